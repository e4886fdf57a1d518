/**
 * snapd's naming rules (snap/naming), with snapd's messages. Each check returns snapd's
 * error message, or `undefined` when the name is valid.
 */
import { goQuote, goQuoteAsciiByte, goQuoteToASCII } from "./go-value";

const ALMOST_VALID_SNAP_NAME = /^[a-z0-9-]*[a-z][a-z0-9-]*$/;
const INSTANCE_KEY = /^[a-z0-9]{1,10}$/;
/** Plug, slot, interface and hook names. */
const PLUG_SLOT_NAME = /^[a-z](?:-?[a-z0-9])*$/;
const APP_NAME = /^[a-zA-Z0-9](?:-?[a-zA-Z0-9])*$/;

/** A snap (store) name: 2 to 40 bytes, lower case letters, digits and single inner dashes. */
export function checkSnapName(name: string): string | undefined {
  const valid =
    Buffer.byteLength(name) >= 2 &&
    Buffer.byteLength(name) <= 40 &&
    ALMOST_VALID_SNAP_NAME.test(name) &&
    !name.startsWith("-") &&
    !name.endsWith("-") &&
    !name.includes("--");
  return valid ? undefined : `invalid snap name: ${goQuote(name)}`;
}

/** An instance name, `<snap>` or `<snap>_<key>`, split at the first `_` as snapd does. */
export function checkInstanceName(instance: string): string | undefined {
  const { snap, instanceKey } = splitInstanceName(instance);
  const snapError = checkSnapName(snap);
  if (snapError !== undefined) return snapError;
  if (instanceKey !== null && !INSTANCE_KEY.test(instanceKey)) {
    return `invalid instance key: ${goQuote(instanceKey)}`;
  }
  return undefined;
}

/** The store name and instance key of an instance name (key `null` when there is none). */
export function splitInstanceName(instance: string): { snap: string; instanceKey: string | null } {
  const underscore = instance.indexOf("_");
  if (underscore === -1) return { snap: instance, instanceKey: null };
  return { snap: instance.slice(0, underscore), instanceKey: instance.slice(underscore + 1) };
}

export function checkPlugName(name: string): string | undefined {
  return PLUG_SLOT_NAME.test(name) ? undefined : `invalid plug name: ${goQuote(name)}`;
}

export function checkSlotName(name: string): string | undefined {
  return PLUG_SLOT_NAME.test(name) ? undefined : `invalid slot name: ${goQuote(name)}`;
}

export function checkAppName(name: string): string | undefined {
  return APP_NAME.test(name) ? undefined : `invalid app name: ${goQuote(name)}`;
}

export function checkHookName(name: string): string | undefined {
  return PLUG_SLOT_NAME.test(name) ? undefined : `invalid hook name: ${goQuote(name)}`;
}

const VALID_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9:.+~-]{0,30}[a-zA-Z0-9+~])?$/;
const NON_GRAPHICAL_ASCII = /[^!-~]/;
const INVALID_MIDDLE_VERSION_CHARS = /[^a-zA-Z0-9:.+~-]+/g;

/** A snap version (snap.ValidateVersion), with every reason snapd gives. */
export function checkVersion(version: string): string | undefined {
  if (VALID_VERSION.test(version)) return undefined;
  if (version.length === 0) return "invalid snap version: cannot be empty";
  if (NON_GRAPHICAL_ASCII.test(version)) {
    return `invalid snap version ${goQuoteToASCII(version)}: must be printable, non-whitespace ASCII`;
  }
  // Printable ASCII from here on: characters are bytes.
  const reasons: string[] = [];
  if (version.length > 32) reasons.push(`cannot be longer than 32 characters (got: ${version.length})`);
  if (/^[^a-zA-Z0-9]/.test(version)) reasons.push(`must start with an ASCII alphanumeric (and not ${goQuoteAsciiByte(version[0])})`);
  if (version.length > 1) {
    if (/[^a-zA-Z0-9+~]$/.test(version)) {
      reasons.push(`must end with an ASCII alphanumeric or one of '+' or '~' (and not ${goQuoteAsciiByte(version[version.length - 1])})`);
    }
    if (version.length > 2) {
      const all = version.slice(1, -1).match(INVALID_MIDDLE_VERSION_CHARS) ?? [];
      if (all.length > 0) reasons.push(`contains invalid characters: ${all.map(goQuote).join(", ")}`);
    }
  }
  if (reasons.length === 0) return `invalid snap version ${goQuote(version)}`;
  if (reasons.length === 1) return `invalid snap version ${goQuote(version)}: ${reasons[0]}`;
  return `invalid snap version ${goQuote(version)}: ${reasons.slice(0, -1).join(", ")}, and ${reasons[reasons.length - 1]}`;
}
