/** `snap-shm render INSTANCE ...`: what would be written on a host for one snap instance. */
import { APPARMOR_PROFILE_DIR, desiredState, DesiredState } from "../model/desired-state";
import { InputError } from "../model/input-error";
import { RECURSIVE_RULE_VERSION } from "../model/snapd-version";
import { renderBlock } from "../render/apparmor-profile";
import { parseArgs } from "node:util";
import { parsedOrUsageError } from "./args";
import { CliIo, EXIT_OK, EXIT_USAGE, UsageError } from "./io";

export const RENDER_HELP = `Usage: snap-shm render INSTANCE [--app NAME]... [--hook NAME]... [--snapd-version X.Y.Z] [--json]

Prints what snap-shm makes true on a host for snap instance INSTANCE (NAME or NAME_KEY):
the private directory, the mount profile entry, and the AppArmor blocks with the profile
files they go into. Nothing is read from or written to any host.

  --app NAME             an app of the snap whose profile gets the rule (repeatable)
  --hook NAME            a hook of the snap whose profile gets the rule (repeatable)
  --snapd-version X.Y.Z  the host's snapd (rule text differs before ${RECURSIVE_RULE_VERSION}); default: newest
  --json                 print one JSON object

Exit status: 0 rendered, 2 invalid input or bad usage.
`;

export function runRender(argv: string[], io: CliIo): number {
  const { values, positionals } = parsedOrUsageError(() =>
    parseArgs({
      args: argv,
      options: {
        app: { type: "string", multiple: true },
        hook: { type: "string", multiple: true },
        "snapd-version": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    }),
  );
  if (values.help) {
    io.stdout(RENDER_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError("render takes exactly one INSTANCE");
  let state: DesiredState;
  try {
    state = desiredState(positionals[0], {
      apps: values.app,
      hooks: values.hook,
      snapdVersion: values["snapd-version"],
    });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.stderr(`snap-shm render: ${error.message}\n`);
    return EXIT_USAGE;
  }
  io.stdout(values.json ? `${JSON.stringify(stateJson(state))}\n` : humanState(state));
  return EXIT_OK;
}

function stateJson(state: DesiredState) {
  return {
    instance: state.instance,
    snap: state.snap,
    instanceKey: state.instanceKey,
    snapdVersion: state.snapdVersion,
    directory: state.directory,
    mountProfile: state.mountProfile,
    appArmor: state.appArmor,
  };
}

function humanState(state: DesiredState): string {
  const key = state.instanceKey === null ? "no instance key" : `instance key ${state.instanceKey}`;
  const snapd =
    state.snapdVersion === null
      ? `newest behaviour (${RECURSIVE_RULE_VERSION} and later)`
      : `${state.snapdVersion} (${state.ruleGeneration} app rule)`;
  const { directory, mountProfile, appArmor } = state;
  const out = [
    `instance       ${state.instance} (snap ${state.snap}, ${key})`,
    `snapd          ${snapd}`,
    `directory      ${directory.path}  mode ${directory.mode}  owner ${directory.owner}:${directory.group}`,
    `mount profile  ${mountProfile.path}`,
    `               ${mountProfile.entry}`,
    `app rule       ${appArmor.appRule}`,
    "",
  ];
  for (const profile of appArmor.profiles) {
    const updateNs = profile.startsWith("snap-update-ns.");
    out.push(`--- ${APPARMOR_PROFILE_DIR}/${profile} (before the closing brace)`);
    out.push(renderBlock(updateNs ? appArmor.updateNsSnippet : appArmor.appSnippet, updateNs ? "  " : ""));
  }
  return out.join("\n");
}
