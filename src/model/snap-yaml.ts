/**
 * Reads a snap.yaml or snapcraft.yaml the way snapd reads snap.yaml (Go's yaml.v2, see
 * yaml-v2.ts): plugs and slots as snapd's `convertToSlotOrPlugData` sees them, with the
 * implicit plugs and slots that apps and supported hooks declare by name, the plugs and
 * slots snapd's `SanitizePlugsSlots` drops for their interface or name (the snap still
 * installs), and the checks of `snap.Validate` that concern what is left.
 */
import { Node } from "yaml";
import { GoMap, GoValue, goFormat, goQuote, goTypeName } from "./go-value";
import { checkPlugName, checkSlotName, checkSnapName } from "./names";
import { beforePreparePlug, beforePrepareSlot, isSharedMemory } from "./shared-memory";
import { MappingEntry, SourcePosition, YamlSyntaxError, YamlV2Document } from "./yaml-v2";

export { SourcePosition, YamlSyntaxError } from "./yaml-v2";

/** YAML that snapd refuses as a snap definition (snapd's message), before any interface looks at it. */
export class SnapDefinitionError extends Error {
  constructor(
    readonly reason: string,
    readonly position?: SourcePosition,
  ) {
    super(position ? `${reason} (line ${position.line}, column ${position.column})` : reason);
    this.name = "SnapDefinitionError";
  }
}

export type InterfaceKind = "plug" | "slot";

/** One plug or slot as declared, before any interface looks at it. */
export interface InterfaceDeclaration {
  kind: InterfaceKind;
  name: string;
  /** The explicit `interface:`, or the plug or slot's own name. */
  interface: string;
  /** Attributes as declared, normalized as snapd's metautil.NormalizeValue does. */
  attrs: Map<string, GoValue>;
  position?: SourcePosition;
}

/** A plug or slot snapd drops (the snap still installs), with snapd's reason. */
export interface DroppedDeclaration extends InterfaceDeclaration {
  /** `unknown interface "<interface>"`, `invalid plug name: "<name>"`, `invalid slot name: "<name>"`, or an interface's. */
  reason: string;
}

export interface SnapDeclaration {
  name: string;
  /** The plugs snapd keeps for their interface to check. */
  plugs: InterfaceDeclaration[];
  slots: InterfaceDeclaration[];
  /**
   * The plugs and slots snapd drops that checking `plugs` and `slots` cannot tell, with
   * snapd's reason, as snap.Info.BadInterfaces keeps them (by name, a slot's reason replacing
   * a plug's of the same name): the snap installs without them, and snapd's "has bad plugs or
   * slots" warning (badInterfacesSummary) lists them beside the ones the interfaces refuse.
   */
  dropped?: DroppedDeclaration[];
}

/** Parses and reads a snap; YamlSyntaxError for text that is not a YAML mapping. */
export function readSnapYaml(text: string): SnapDeclaration {
  const doc = YamlV2Document.parse(text);
  if (!doc.isMapping(doc.root)) {
    throw new YamlSyntaxError("a snap.yaml or snapcraft.yaml must be a YAML mapping", doc.position(doc.root));
  }
  const top = new Map(doc.entries(doc.root).map((entry) => [entry.keyText, entry]));
  const section = (key: string) => top.get(key)?.value ?? null;
  // `plugs`, `slots`, `apps` and `hooks` are maps in snapd's struct: given twice (or by a
  // merge too), yaml.v2 adds the second to the first.
  const mapSection = (key: string, invalid: string) =>
    doc.mergedEntries(doc.fieldValues(doc.root, key), (node) => {
      throw new SnapDefinitionError(invalid, doc.position(node));
    });
  const declared = {
    plugs: readDeclarations(doc, "plug", mapSection("plugs", "plugs must be a mapping of plug names to definitions")),
    slots: readDeclarations(doc, "slot", mapSection("slots", "slots must be a mapping of slot names to definitions")),
  };
  addImplicit(doc, "app", mapSection("apps", "apps must be a mapping"), declared);
  addImplicit(doc, "hook", mapSection("hooks", "hooks must be a mapping"), declared);
  const name = doc.text(section("name"));
  const snap = { name, ...sanitize(name, declared) };
  validate(snap, declared);
  return snap;
}

function isEmpty(doc: YamlV2Document, node: Node | null): boolean {
  return doc.value(node) === null;
}

function readDeclarations(doc: YamlV2Document, kind: InterfaceKind, entries: MappingEntry[]): InterfaceDeclaration[] {
  return entries.map((entry) => {
    const position = doc.position(entry.key);
    const { iface, attrs } = convertDefinition(kind, entry.keyText, doc.value(entry.value), position);
    return { kind, name: entry.keyText, interface: iface, attrs, position };
  });
}

/** snapd's convertToSlotOrPlugData, message for message. */
function convertDefinition(
  kind: InterfaceKind,
  name: string,
  definition: GoValue,
  position: SourcePosition | undefined,
): { iface: string; attrs: Map<string, GoValue> } {
  const fail = (reason: string): never => {
    throw new SnapDefinitionError(reason, position);
  };
  const attrs = new Map<string, GoValue>();
  if (typeof definition === "string") return { iface: definition, attrs };
  if (definition === null) return { iface: name, attrs };
  if (!(definition instanceof Map)) {
    return fail(`${kind} ${goQuote(name)} has malformed definition (found ${goTypeName(definition)})`);
  }
  let iface = name;
  for (const [key, value] of definition) {
    if (typeof key !== "string") {
      return fail(`${kind} ${goQuote(name)} has attribute key that is not a string (found ${goTypeName(key)})`);
    }
    if (key.startsWith("$")) return fail(`${kind} ${goQuote(name)} uses reserved attribute ${goQuote(key)}`);
    if (key === "") return fail(`${kind} ${goQuote(name)} has an empty attribute key`);
    if (key === "interface") {
      if (typeof value !== "string") {
        return fail(`interface name on ${kind} ${goQuote(name)} is not a string (found ${goTypeName(value)})`);
      }
      iface = value;
    } else if (key === "label") {
      if (typeof value !== "string") return fail(`label of ${kind} ${goQuote(name)} is not a string (found ${goTypeName(value)})`);
    } else {
      try {
        attrs.set(key, normalizeValue(value));
      } catch (error) {
        if (!(error instanceof UnsupportedAttributeValue)) throw error;
        return fail(`attribute ${goQuote(key)} of ${kind} ${goQuote(name)}: ${error.message}`);
      }
    }
  }
  return { iface, attrs };
}

class UnsupportedAttributeValue extends Error {}

/** metautil.NormalizeValue: scalars, lists and string-keyed maps only. */
function normalizeValue(value: GoValue): GoValue {
  if (value === null) throw new UnsupportedAttributeValue("invalid scalar: <nil>");
  if (typeof value === "bigint" && goTypeName(value) !== "int") {
    throw new UnsupportedAttributeValue(`invalid scalar: ${value}`);
  }
  if (Array.isArray(value)) return value.map(normalizeValue);
  if (value instanceof Map) {
    const normalized: GoMap = new Map();
    for (const [key, item] of value) {
      if (typeof key !== "string") {
        throw new UnsupportedAttributeValue(`non-string key: ${goFormat(key)}`);
      }
      normalized.set(key, normalizeValue(item));
    }
    return normalized;
  }
  return value;
}

/**
 * Plugs and slots named by apps and hooks but not declared at the top level are implicit:
 * their interface is their own name (snapd's bindImplicit). A hook snapd does not support
 * creates none: setHooksFromSnapYaml skips it before it looks at its plugs and slots.
 */
function addImplicit(
  doc: YamlV2Document,
  owner: "app" | "hook",
  owners: MappingEntry[],
  declared: { plugs: InterfaceDeclaration[]; slots: InterfaceDeclaration[] },
): void {
  for (const ownerEntry of owners) {
    if (isEmpty(doc, ownerEntry.value)) continue;
    if (!doc.isMapping(ownerEntry.value)) {
      throw new SnapDefinitionError(`${owner} ${goQuote(ownerEntry.keyText)} must be a mapping`, doc.position(ownerEntry.key));
    }
    const creates = owner === "app" || isHookSupported(ownerEntry.keyText);
    for (const entry of doc.entries(ownerEntry.value)) {
      const kind = entry.keyText === "plugs" ? "plug" : entry.keyText === "slots" ? "slot" : undefined;
      if (kind === undefined) continue;
      // yaml.v2 decodes the list whether or not the hook is supported: a malformed one refuses the snap.
      const names = nameList(doc, `${owner} ${goQuote(ownerEntry.keyText)}`, kind, entry);
      if (!creates) continue;
      const known = kind === "plug" ? declared.plugs : declared.slots;
      for (const { name, position } of names) {
        if (!known.some((d) => d.name === name)) known.push({ kind, name, interface: name, attrs: new Map(), position });
      }
    }
  }
}

/** An app's or hook's `plugs:` or `slots:`, a `[]string`: each name is its item's text (`0123` names "0123"). */
function nameList(
  doc: YamlV2Document,
  owner: string,
  kind: InterfaceKind,
  entry: MappingEntry,
): Array<{ name: string; position?: SourcePosition }> {
  if (isEmpty(doc, entry.value)) return [];
  const items = doc.items(entry.value);
  if (items === undefined || items.some((item) => doc.isMapping(item) || doc.items(item) !== undefined)) {
    throw new SnapDefinitionError(`${owner}: ${entry.keyText} must be a list of ${kind} names`, doc.position(entry.value));
  }
  return items.map((item) => ({ name: doc.text(item), position: doc.position(item) ?? doc.position(entry.value) }));
}

/**
 * snapd's supported hooks (snap/hooktypes.go, as of the newest snapd). Older snapd supports
 * fewer; taking the newest list means a hook an older snapd skips still creates its plugs
 * here, which can only fail a private shared-memory plug that snapd would keep, never the
 * other way round.
 */
const SUPPORTED_HOOKS = [
  /^prepare-device$/,
  /^prepare-serial-request$/,
  /^install-device$/,
  /^default-configure$/,
  /^configure$/,
  /^install$/,
  /^pre-refresh$/,
  /^post-refresh$/,
  /^remove$/,
  /^prepare-(?:plug|slot)-[-a-z0-9]+$/,
  /^unprepare-(?:plug|slot)-[-a-z0-9]+$/,
  /^connect-(?:plug|slot)-[-a-z0-9]+$/,
  /^disconnect-(?:plug|slot)-[-a-z0-9]+$/,
  /^check-health$/,
  /^fde-setup$/,
  /^gate-auto-refresh$/,
  // Go's `.` is anything but a newline.
  /^change-view-[^\n]+$/,
  /^save-view-[^\n]+$/,
  /^query-view-[^\n]+$/,
  /^load-view-[^\n]+$/,
  /^observe-view-[^\n]+$/,
];

/** snapd's IsHookSupported. */
export function isHookSupported(name: string): boolean {
  return SUPPORTED_HOOKS.some((pattern) => pattern.test(name));
}

/**
 * snapd's SanitizePlugsSlots, which runs before snap.Validate, as far as checking `plugs` and
 * `slots` later cannot tell: a plug or slot whose interface snapd does not know, or whose own
 * name is invalid, is dropped with its reason, and the snap installs without it.
 */
function sanitize(
  snapName: string,
  declared: { plugs: InterfaceDeclaration[]; slots: InterfaceDeclaration[] },
): { plugs: InterfaceDeclaration[]; slots: InterfaceDeclaration[]; dropped: DroppedDeclaration[] } {
  const dropped: DroppedDeclaration[] = [];
  const kept = (declarations: InterfaceDeclaration[], checkName: (name: string) => string | undefined) =>
    declarations.filter((declaration) => {
      const reason = isKnownInterface(declaration.interface)
        ? checkName(declaration.name)
        : `unknown interface ${goQuote(declaration.interface)}`;
      if (reason !== undefined) dropped.push({ ...declaration, reason });
      return reason === undefined;
    });
  const snap = { name: snapName, plugs: kept(declared.plugs, checkPlugName), slots: kept(declared.slots, checkSlotName) };
  // snapd removes what it drops only after checking every plug and slot, so a private
  // shared-memory plug still fails beside a shared-memory plug or slot just dropped for its
  // name. Checked on the kept ones alone it would pass: it is dropped here, with that reason.
  const whileSanitizing = { name: snapName, ...declared };
  snap.plugs = snap.plugs.filter((plug) => {
    if (!isSharedMemory(plug)) return true;
    const result = beforePreparePlug(plug, whileSanitizing);
    if (result.ok || !beforePreparePlug(plug, snap).ok) return true;
    dropped.push({ ...plug, reason: result.error });
    return false;
  });
  return { ...snap, dropped };
}

/**
 * Whether snapd knows an interface. That depends on its version (audio-playback is unknown
 * to old ones), so only what no snapd can know is unknown here: a name that is not a valid
 * interface name (interface names follow the plug and slot name rule). A plug or slot of any
 * other interface stays: that can only make `validate` refuse a snap snapd installs, never
 * the other way round, and shared-memory is known to every snapd this project drives.
 */
function isKnownInterface(iface: string): boolean {
  return checkPlugName(iface) === undefined;
}

/**
 * The checks of snap.Validate that concern plugs and slots, on what SanitizePlugsSlots left:
 * the snap name (empty first), then plug and slot names unique across both. Its plug and slot
 * name checks cannot fail any more (sanitizing dropped every invalid name). Sanitizing also
 * dropped the plugs and slots their interface refuses; of those only shared-memory's are
 * known here, checked as snapd checks them, with every declared plug and slot still present.
 */
function validate(snap: SnapDeclaration, declared: { plugs: InterfaceDeclaration[]; slots: InterfaceDeclaration[] }): void {
  if (snap.name === "") throw new SnapDefinitionError("snap name cannot be empty");
  const snapError = checkSnapName(snap.name);
  if (snapError !== undefined) throw new SnapDefinitionError(snapError);
  const whileSanitizing = { name: snap.name, ...declared };
  const plugs = snap.plugs.filter((plug) => !isSharedMemory(plug) || beforePreparePlug(plug, whileSanitizing).ok);
  const slots = snap.slots.filter((slot) => !isSharedMemory(slot) || beforePrepareSlot(slot).ok);
  for (const slot of slots) {
    if (plugs.some((plug) => plug.name === slot.name)) {
      throw new SnapDefinitionError(`cannot have plug and slot with the same name: ${goQuote(slot.name)}`, slot.position);
    }
  }
}
