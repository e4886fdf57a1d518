/**
 * Type checks for callers TypeScript does not check (plain JavaScript, values read from
 * untyped config): a value of the wrong type is refused by the name of its field before
 * anything registers, not left to fail as a bare TypeError somewhere inside.
 */
import { InputError } from "../model/input-error";

/** A value as a message shows it: never more than its type for an object. */
function shown(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value === "undefined" ? "" : `${typeof value} `}${String(value)}`;
}

/** The component's arguments: an object. `context` ends with `args.`, as every constructor's does. */
export function requireArgs(context: string, args: unknown): void {
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new InputError(context.replace(/\.$/, ""), args, `expected an object of arguments, not ${shown(args)}`);
  }
}

/** A plain object (not an array); `what` says what it should be. */
export function requireObject(field: string, value: unknown, what: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InputError(field, value, `expected ${what}, not ${shown(value)}`);
}

/** A string; `what` says what it should be. */
export function requireString(field: string, value: unknown, what: string): void {
  if (typeof value !== "string") throw new InputError(field, value, `expected ${what}, not ${shown(value)}`);
}

/** An array; `what` says what it should hold. */
export function requireArray(field: string, value: unknown, what: string): void {
  if (!Array.isArray(value)) throw new InputError(field, value, `expected an array of ${what}, not ${shown(value)}`);
}

/** Undefined, or an array of strings; `what` says what they name. */
function optionalStrings(field: string, value: unknown, what: string): void {
  if (value === undefined) return;
  requireArray(field, value, what);
  (value as unknown[]).forEach((item, i) => requireString(`${field}[${i}]`, item, `a string (${what})`));
}

/** An instance of `type` (a class such as SnapSharedMemory); `what` says what it should be. */
export function requireInstanceOf(field: string, value: unknown, type: abstract new (...args: never[]) => unknown, what: string): void {
  if (!(value instanceof type)) throw new InputError(field, value, `expected ${what}, not ${value instanceof Object ? `an instance of ${value.constructor.name}` : shown(value)}`);
}

/** A snap instance name and, `withProfiles`, the app and hook names where given: what desiredState reads. */
export function requireInstanceNames(args: { instance: unknown; apps?: unknown; hooks?: unknown }, withProfiles: boolean): void {
  requireString("instance", args.instance, 'a snap instance name such as "chromium"');
  if (!withProfiles) return;
  optionalStrings("apps", args.apps, "app names");
  optionalStrings("hooks", args.hooks, "hook names");
}
