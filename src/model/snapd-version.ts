/**
 * snapd versions, and which private shared-memory behaviour each one has.
 *
 * Versions compare the way snapd and dpkg compare them (strutil.VersionCompare), so a
 * distribution build such as `2.57.6-1+deb12u1+b2`, as `/usr/lib/snapd/info` reports it,
 * orders correctly against the release that changed a rule.
 */
import { goQuote } from "./go-value";
import { failIf } from "./input-error";

/** The first snapd with `private: true` for shared-memory plugs. */
export const FIRST_PRIVATE_SHM_VERSION = "2.55.3";
/** From this snapd on the app rule is `"/dev/shm/**"` (subdirectories allowed). */
export const RECURSIVE_RULE_VERSION = "2.60.2";

/** [epoch:]upstream[-revision] with Debian's characters; upstream starts with a digit. */
const VERSION_SHAPE = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~]*(?:-[A-Za-z0-9.+~]+)*$/;

/** snapd's message-style check of a version string; `undefined` when valid. */
export function checkSnapdVersion(version: string): string | undefined {
  return VERSION_SHAPE.test(version)
    ? undefined
    : `invalid snapd version: ${goQuote(version)} (expected a version such as 2.61.3 or 2.57.6-1+deb12u1)`;
}

/** Debian's version order: negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  return pa.epoch - pb.epoch || compareFragment(pa.upstream, pb.upstream) || compareFragment(pa.revision, pb.revision);
}

function splitVersion(version: string): { epoch: number; upstream: string; revision: string } {
  const colon = version.indexOf(":");
  const epoch = colon === -1 ? 0 : Number(version.slice(0, colon));
  const rest = version.slice(colon + 1);
  const dash = rest.lastIndexOf("-");
  return dash === -1
    ? { epoch, upstream: rest, revision: "" }
    : { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
}

/** dpkg's verrevcmp: alternating non-digit runs (with `~` lowest) and numeric runs. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= "0" && ch <= "9";
}

/** dpkg's character order: end of string and digits 0, `~` lowest, letters before symbols. */
function order(ch: string | undefined): number {
  if (ch === undefined || isDigit(ch)) return 0;
  if (ch === "~") return -1;
  if (/[A-Za-z]/.test(ch)) return ch.charCodeAt(0);
  return ch.charCodeAt(0) + 256;
}

/** Which app rule a snapd writes for a private shared-memory plug. */
export type RuleGeneration = "single-level" | "recursive";

/**
 * A rule generation, or `auto`: the one the host's snapd writes, read on the host each time
 * an operation runs (so a snapd upgraded since the last apply gets its own rule).
 */
export type RuleGenerationChoice = RuleGeneration | "auto";

/**
 * The app rule generation of a snapd version; no version means the newest behaviour.
 * A malformed version, or one without private mode, is an InputError on `field`.
 */
export function ruleGenerationFor(version: string | undefined, field = "snapdVersion"): RuleGeneration {
  if (version === undefined) return "recursive";
  failIf(field, version, checkSnapdVersion(version));
  failIf(
    field,
    version,
    compareVersions(version, FIRST_PRIVATE_SHM_VERSION) < 0
      ? `snapd ${version} has no private shared memory: it needs snapd ${FIRST_PRIVATE_SHM_VERSION} or newer`
      : undefined,
  );
  return compareVersions(version, RECURSIVE_RULE_VERSION) >= 0 ? "recursive" : "single-level";
}
