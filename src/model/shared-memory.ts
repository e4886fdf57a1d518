/**
 * snapd's `shared-memory` interface checks (BeforePreparePlug, BeforePrepareSlot), rule for
 * rule and message for message, and the sanitized attributes they leave behind.
 */
import { compareBytes, GoValue, goFormat, goQuote, goValueFromJson, hasGoSurroundingSpace } from "./go-value";
import { checkPlugName } from "./names";
import { badInterfacesSummary } from "./bad-plugs-summary";
import { InterfaceDeclaration, InterfaceKind, SnapDeclaration } from "./snap-yaml";

export const SHARED_MEMORY = "shared-memory";

/** The outcome of snapd's check for one plug or slot. */
export type PrepareResult = { ok: true; attrs: Map<string, GoValue> } | { ok: false; error: string };

export interface CheckedInterface {
  kind: InterfaceKind;
  name: string;
  interface: typeof SHARED_MEMORY;
  valid: boolean;
  /** snapd's message when the plug or slot is dropped. */
  error?: string;
  /** Sanitized attributes when valid; as declared otherwise. */
  attrs: Map<string, GoValue>;
}

export interface SharedMemoryReport {
  snap: string;
  /** Every shared-memory plug and slot as snapd keeps it. */
  valid: boolean;
  /** snapd's "has bad plugs or slots" warning (every interface's), or `null` when it has none to give. */
  summary: string | null;
  plugs: CheckedInterface[];
  slots: CheckedInterface[];
  /** The valid plug with `private: true`, if any: the snap asks for a private /dev/shm. */
  privatePlug: string | null;
}

/** Every shared-memory plug and slot of a snap, checked as snapd checks them at install. */
export function checkSharedMemory(snap: SnapDeclaration): SharedMemoryReport {
  // What snapd dropped while sanitizing (any interface) is in its warning too; the
  // shared-memory ones among them are listed as refused, with snapd's reason.
  const dropped = snap.dropped ?? [];
  const droppedShm = dropped.filter(isSharedMemory).map((d) => checked(d, { ok: false, error: d.reason }));
  const plugs = [...snap.plugs.filter(isSharedMemory).map((plug) => checked(plug, beforePreparePlug(plug, snap))), ...droppedShm.filter((d) => d.kind === "plug")];
  const slots = [...snap.slots.filter(isSharedMemory).map((slot) => checked(slot, beforePrepareSlot(slot))), ...droppedShm.filter((d) => d.kind === "slot")];
  const byName = (a: CheckedInterface, b: CheckedInterface) => compareBytes(a.name, b.name);
  plugs.sort(byName);
  slots.sort(byName);
  const bad = new Map([...dropped.map((d) => [d.name, d.reason] as const), ...[...plugs, ...slots].filter((i) => !i.valid).map((i) => [i.name, i.error!] as const)]);
  const privatePlug = plugs.find((plug) => plug.valid && plug.attrs.get("private") === true);
  return {
    snap: snap.name,
    valid: [...plugs, ...slots].every((i) => i.valid),
    summary: bad.size === 0 ? null : badInterfacesSummary(snap.name, bad),
    plugs,
    slots,
    privatePlug: privatePlug?.name ?? null,
  };
}

export function isSharedMemory(declaration: InterfaceDeclaration): boolean {
  return declaration.interface === SHARED_MEMORY;
}

function checked(declaration: InterfaceDeclaration, result: PrepareResult): CheckedInterface {
  const base = { kind: declaration.kind, name: declaration.name, interface: SHARED_MEMORY } as const;
  return result.ok
    ? { ...base, valid: true, attrs: result.attrs }
    : { ...base, valid: false, error: result.error, attrs: declaration.attrs };
}

/** snapd's BeforePreparePlug for one shared-memory plug of `snap`. */
export function beforePreparePlug(plug: InterfaceDeclaration, snap: SnapDeclaration): PrepareResult {
  const attrs = new Map(plug.attrs);
  const privateAttr = attrs.get("private");
  if (privateAttr !== undefined && typeof privateAttr !== "boolean") {
    return fail(`shared-memory "private" attribute must be a bool, not ${goFormat(privateAttr)}`);
  }
  const isPrivate = privateAttr === true;
  attrs.set("private", isPrivate);
  const sharedMemoryAttr = attrs.get("shared-memory");
  if (sharedMemoryAttr !== undefined && typeof sharedMemoryAttr !== "string") {
    return fail(`shared-memory "shared-memory" attribute must be a string, not ${goFormat(sharedMemoryAttr)}`);
  }
  if (isPrivate) {
    if (sharedMemoryAttr !== undefined) {
      return fail('shared-memory "shared-memory" attribute must not be set together with "private: true"');
    }
    if (snap.plugs.some((other) => other !== plug && isSharedMemory(other))) {
      return fail('shared-memory plug with "private: true" set cannot be used with other shared-memory plugs');
    }
    if (snap.slots.some(isSharedMemory)) {
      return fail('shared-memory plug with "private: true" set cannot be used with shared-memory slots');
    }
  } else if (!sharedMemoryAttr) {
    attrs.set("shared-memory", plug.name);
  }
  return { ok: true, attrs };
}

/** snapd's BeforePrepareSlot for one shared-memory slot. */
export function beforePrepareSlot(slot: InterfaceDeclaration): PrepareResult {
  const attrs = new Map(slot.attrs);
  const sharedMemoryAttr = attrs.get("shared-memory");
  if (sharedMemoryAttr !== undefined && typeof sharedMemoryAttr !== "string") {
    return fail(`shared-memory "shared-memory" attribute must be a string, not ${goFormat(sharedMemoryAttr)}`);
  }
  if (!sharedMemoryAttr) attrs.set("shared-memory", slot.name);
  const paths: string[] = [];
  for (const key of ["read", "write"]) {
    const value = attrs.get(key);
    if (value === undefined) continue;
    if (!Array.isArray(value) || !value.every((item): item is string => typeof item === "string")) {
      return fail(`shared-memory ${goQuote(key)} attribute must be a list of strings, not "${goFormat(value)}"`);
    }
    paths.push(...value);
  }
  if (paths.length === 0) {
    return fail('shared memory interface requires at least a valid "read" or "write" attribute');
  }
  for (const path of paths) {
    const error = checkSharedMemoryPath(path);
    if (error !== undefined) return fail(error);
  }
  return { ok: true, attrs };
}

const RESERVED_APPARMOR_CHARS = '?[]{}^"\0';

/** snapd's validateSharedMemoryPath for one `read` or `write` path. */
export function checkSharedMemoryPath(path: string): string | undefined {
  if (path.length === 0) return "shared-memory interface path is empty";
  if (hasGoSurroundingSpace(path)) {
    return `shared-memory interface path has leading or trailing spaces: ${goQuote(path)}`;
  }
  if ([...RESERVED_APPARMOR_CHARS].some((ch) => path.includes(ch))) {
    return `shared-memory interface path is invalid: ${goQuote(path)} contains a reserved apparmor char from ${RESERVED_APPARMOR_CHARS}`;
  }
  if (path.includes("**")) {
    return `shared-memory interface path is invalid: ${goQuote(path)} contains ** which is unsupported`;
  }
  if (path.includes("/")) return `shared-memory interface path should not contain '/': ${goQuote(path)}`;
  // snapd also requires filepath.Clean(path) == path and no "../" prefix; without a "/"
  // the only path those reject is "..".
  if (path === "..") return `shared-memory interface path is not clean: ${goQuote(path)}`;
  return undefined;
}

function fail(error: string): PrepareResult {
  return { ok: false, error };
}

/**
 * A plug declared for a snap whose publisher did not declare one: checked as snapd checks a
 * plug from snap.yaml, and required to sanitize to `private: true`.
 */
export function checkPrivatePlug(snap: string, name: string, attributes: Record<string, unknown>): string | undefined {
  const nameError = checkPlugName(name);
  if (nameError !== undefined) return nameError;
  const attrs = new Map<string, GoValue>();
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "interface" || key === "label" || key.startsWith("$") || key === "") {
      return `plug attribute ${goQuote(key)} cannot be set here`;
    }
    if (value === null || value === undefined) return `attribute ${goQuote(key)} of plug ${goQuote(name)}: invalid scalar: <nil>`;
    attrs.set(key, goValueFromJson(value));
  }
  const plug: InterfaceDeclaration = { kind: "plug", name, interface: SHARED_MEMORY, attrs };
  const result = beforePreparePlug(plug, { name: snap, plugs: [plug], slots: [] });
  if (!result.ok) return result.error;
  if (result.attrs.get("private") !== true) return `plug ${goQuote(name)} is not private: set "private: true" for a private /dev/shm`;
  return undefined;
}
