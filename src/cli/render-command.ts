/** `snap-shm render INSTANCE ...`: what would be written on a host for one snap instance. */
import { APPARMOR_PROFILE_DIR, desiredState, DesiredState } from "../model/desired-state";
import { InputError } from "../model/input-error";
import { RECURSIVE_RULE_VERSION } from "../model/snapd-version";
import { renderBlock } from "../render/apparmor-profile";
import { profileList } from "../render/part-arguments";
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
    io.stderr(`snap-shm render: ${optionOf(error.field)}: ${error.reason}\n`);
    return EXIT_USAGE;
  }
  // As the resources and check do: without --app and --hook, every app and hook profile
  // (snap.I.*) gets the rule, besides snap-update-ns.
  const profiles = profileList(state, values.app === undefined && values.hook === undefined).split(" ");
  io.stdout(values.json ? `${JSON.stringify(stateJson(state, profiles))}\n` : humanState(state, profiles));
  return EXIT_OK;
}

/** The option the user typed for a field of the desired state (`apps[0]` is `--app`). */
function optionOf(field: string): string {
  const option = ({ apps: "--app", hooks: "--hook", snapdVersion: "--snapd-version" } as Record<string, string>)[field.replace(/\[\d+\]$/, "")];
  return option ?? field;
}

function stateJson(state: DesiredState, profiles: string[]) {
  return {
    instance: state.instance,
    snap: state.snap,
    instanceKey: state.instanceKey,
    snapdVersion: state.snapdVersion,
    directory: state.directory,
    mountProfile: state.mountProfile,
    appArmor: { ...state.appArmor, profiles },
  };
}

function humanState(state: DesiredState, profiles: string[]): string {
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
  for (const profile of profiles) {
    const updateNs = profile.startsWith("snap-update-ns.");
    const which = profile.endsWith(".*") ? "every app and hook profile of the instance, " : "";
    out.push(`--- ${APPARMOR_PROFILE_DIR}/${profile} (${which}before the closing brace)`);
    out.push(renderBlock(updateNs ? appArmor.updateNsSnippet : appArmor.appSnippet, updateNs ? "  " : ""));
  }
  return out.join("\n");
}
