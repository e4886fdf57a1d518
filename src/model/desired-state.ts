/**
 * What a host must look like for snap instance I to have a private /dev/shm: exactly what
 * snapd itself writes for a connected `shared-memory` plug with `private: true`.
 */
import { checkAppName, checkHookName, checkInstanceName, splitInstanceName } from "./names";
import { failIf } from "./input-error";
import { ruleGenerationFor, RuleGeneration } from "./snapd-version";

export const SHM_ROOT = "/dev/shm";
export const MOUNT_PROFILE_DIR = "/var/lib/snapd/mount";
export const APPARMOR_PROFILE_DIR = "/var/lib/snapd/apparmor/profiles";

/** The private directory as snapd makes it. */
export interface DesiredDirectory {
  /** `/dev/shm/snap.I`. */
  path: string;
  /** Octal mode without the leading zero: always `"1777"` (sticky, world-writable). */
  mode: "1777";
  /** Always root. */
  owner: "root";
  /** Always root. */
  group: "root";
}

/** snapd's mount profile entry for the private directory. */
export interface DesiredMountProfile {
  /** snapd's desired mount profile, `/var/lib/snapd/mount/snap.I.fstab`. */
  path: string;
  /** The fstab line that binds the private directory over /dev/shm in the snap's namespace. */
  entry: string;
}

/** The AppArmor rules snapd writes for a connected private plug. */
export interface DesiredAppArmor {
  /** The rule snapd adds to every app and hook profile (its text depends on the snapd version). */
  appRule: string;
  /** snapd's whole app-profile snippet: a blank line, a description comment, the rule. */
  appSnippet: string;
  /** snapd's five-line snippet for the snap-update-ns profile, two-space indented. */
  updateNsSnippet: string;
  /** Profile file names (under APPARMOR_PROFILE_DIR) the blocks go into; update-ns first. */
  profiles: string[];
}

/** What snapd writes for one instance with a connected private shared-memory plug. */
export interface DesiredState {
  /** The instance, `NAME` or `NAME_KEY`. */
  instance: string;
  /** The snap name. */
  snap: string;
  /** The instance key, or null. */
  instanceKey: string | null;
  /** The snapd version the state was computed for; `null` means the newest behaviour. */
  snapdVersion: string | null;
  /** Which app rule that snapd version writes. */
  ruleGeneration: RuleGeneration;
  /** The private directory. */
  directory: DesiredDirectory;
  /** The mount profile entry. */
  mountProfile: DesiredMountProfile;
  /** The AppArmor rules. */
  appArmor: DesiredAppArmor;
}

export interface DesiredStateOptions {
  /** App names whose profiles `snap.I.<app>` get the rule. */
  apps?: readonly string[];
  /** Hook names whose profiles `snap.I.hook.<hook>` get the rule. */
  hooks?: readonly string[];
  /** The host's snapd version; omitted means the newest behaviour. */
  snapdVersion?: string;
}

const APP_RULES: Record<RuleGeneration, string> = {
  "single-level": '"/dev/shm/*" mrwlkix,',
  recursive: '"/dev/shm/**" mrwlkix,',
};

export function privateDirectoryPath(instance: string): string {
  return `${SHM_ROOT}/snap.${instance}`;
}

export function mountEntry(instance: string): string {
  return `${privateDirectoryPath(instance)} ${SHM_ROOT} none bind,rw 0 0`;
}

export function appRule(generation: RuleGeneration): string {
  return APP_RULES[generation];
}

export function appSnippet(generation: RuleGeneration): string {
  return `\n# Description: Allow access to everything in private /dev/shm\n${appRule(generation)}\n`;
}

export function updateNsSnippet(instance: string): string {
  return [
    "  # Private /dev/shm",
    "  /dev/ r,",
    "  /dev/shm/{,**} rw,",
    `  mount options=(bind, rw) ${privateDirectoryPath(instance)}/ -> /dev/shm/,`,
    "  umount /dev/shm/,",
    "",
  ].join("\n");
}

/** Validates the instance, apps, hooks and version with snapd's rules, then derives the state. */
export function desiredState(instance: string, options: DesiredStateOptions = {}): DesiredState {
  failIf("instance", instance, checkInstanceName(instance));
  const apps = options.apps ?? [];
  const hooks = options.hooks ?? [];
  apps.forEach((app, i) => failIf(`apps[${i}]`, app, checkAppName(app)));
  hooks.forEach((hook, i) => failIf(`hooks[${i}]`, hook, checkHookName(hook)));
  failIf("apps", apps, duplicateOf(apps));
  failIf("hooks", hooks, duplicateOf(hooks));
  const ruleGeneration = ruleGenerationFor(options.snapdVersion);
  const { snap, instanceKey } = splitInstanceName(instance);
  return {
    instance,
    snap,
    instanceKey,
    snapdVersion: options.snapdVersion ?? null,
    ruleGeneration,
    directory: { path: privateDirectoryPath(instance), mode: "1777", owner: "root", group: "root" },
    mountProfile: { path: `${MOUNT_PROFILE_DIR}/snap.${instance}.fstab`, entry: mountEntry(instance) },
    appArmor: {
      appRule: appRule(ruleGeneration),
      appSnippet: appSnippet(ruleGeneration),
      updateNsSnippet: updateNsSnippet(instance),
      profiles: [
        `snap-update-ns.${instance}`,
        ...apps.map((app) => `snap.${instance}.${app}`),
        ...hooks.map((hook) => `snap.${instance}.hook.${hook}`),
      ],
    },
  };
}

function duplicateOf(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `${JSON.stringify(name)} is listed twice`;
    seen.add(name);
  }
  return undefined;
}

/** snapd's refusal where the host's /dev/shm is a symlink (WSL, old Ubuntu). */
export const SHM_SYMLINK_MESSAGE = 'shared-memory plug with "private: true" cannot be connected if "/dev/shm" is a symlink';
