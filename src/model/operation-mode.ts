/**
 * Who makes a snap's private /dev/shm true on a host: snapd itself (native), where snapd has
 * private shared memory and the snap declares a valid private shared-memory plug, or
 * snap-shm (managed), everywhere else.
 */
import { failIf } from "./input-error";
import { checkSharedMemory } from "./shared-memory";
import { readSnapYaml } from "./snap-yaml";
import { compareVersions, FIRST_PRIVATE_SHM_VERSION } from "./snapd-version";

/** Who does the work on a host: snap-shm (`managed`) or snapd (`native`). */
export type OperationMode = "managed" | "native";
/** The mode asked for: one of the two, or `auto` to decide per host and snap. */
export type RequestedMode = OperationMode | "auto";

export const REQUESTED_MODES: readonly RequestedMode[] = ["auto", "managed", "native"];
export const OPERATION_MODES: readonly OperationMode[] = ["managed", "native"];

/**
 * Why `value` is not one of `allowed` (REQUESTED_MODES or OPERATION_MODES), or undefined when
 * it is. Plain JavaScript and untyped config reach here with any value, and a mode nobody
 * checks would run as `auto`, or fail only on the host.
 */
export function checkMode(value: unknown, allowed: readonly string[]): string | undefined {
  if (typeof value === "string" && allowed.includes(value)) return undefined;
  const expected = allowed.map((mode) => JSON.stringify(mode));
  return `invalid mode ${JSON.stringify(value) ?? String(value)}: expected ${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}`;
}

/** Refuses a requested mode that is given (not undefined or null) and is not one of REQUESTED_MODES; `field` names it. */
export function checkRequestedMode(field: string, mode: unknown): void {
  if (mode !== undefined && mode !== null) failIf(field, mode, checkMode(mode, REQUESTED_MODES));
}

/** The mode chosen for one snap on one host. */
export interface ModeDecision {
  /** The mode the parts run in. */
  mode: OperationMode;
  /** The plug to connect in native mode: the snap's own private plug when it declares one. */
  plug: string;
  /** Why this mode, in a sentence a reviewer reads. */
  reason: string;
}

/** What the host's probe found that the choice depends on. */
export interface ModeFacts {
  /** The installed snap.yaml; null when the snap is not installed. */
  snapYaml: string | null;
  /** The host's snapd version; null when the host has no snapd that says. */
  snapdVersion: string | null;
}

/**
 * The mode for one snap on one host. `facts` is undefined when the host was not probed (no
 * drift detection, or the host could not be reached): auto then keeps snap-shm in charge.
 */
export function decideOperationMode(requested: RequestedMode, facts: ModeFacts | undefined, configuredPlug: string): ModeDecision {
  if (requested === "managed") return { mode: "managed", plug: configuredPlug, reason: "managed mode was asked for" };
  const declared = declaredPrivatePlug(facts?.snapYaml);
  if (requested === "native") {
    return { mode: "native", plug: declared ?? configuredPlug, reason: "native mode was asked for" };
  }
  const managed = (why: string): ModeDecision => ({ mode: "managed", plug: configuredPlug, reason: `auto: ${why}, so snap-shm manages it` });
  if (facts === undefined) return managed("the host was not probed");
  if (facts.snapdVersion === null) return managed("the host's snapd version is unknown");
  if (compareVersions(facts.snapdVersion, FIRST_PRIVATE_SHM_VERSION) < 0) {
    return managed(`snapd ${facts.snapdVersion} is older than ${FIRST_PRIVATE_SHM_VERSION}`);
  }
  if (facts.snapYaml === null) return managed("the snap is not installed");
  if (declared === undefined) return managed("the snap declares no valid private shared-memory plug");
  return {
    mode: "native",
    plug: declared,
    reason: `auto: snapd ${facts.snapdVersion} and the snap's private plug "${declared}", so snapd does the work`,
  };
}

/** The valid private shared-memory plug a snap.yaml declares, checked as snapd checks it. */
export function declaredPrivatePlug(snapYaml: string | null | undefined): string | undefined {
  if (snapYaml === undefined || snapYaml === null) return undefined;
  try {
    return checkSharedMemory(readSnapYaml(snapYaml)).privatePlug ?? undefined;
  } catch {
    return undefined;
  }
}
