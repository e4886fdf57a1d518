/**
 * Reads a snap.yaml or snapcraft.yaml the way snapd reads snap.yaml (Go's yaml.v2, see
 * yaml-v2.ts): plugs and slots as snapd's `convertToSlotOrPlugData` sees them, with the
 * implicit plugs and slots that apps and supported hooks declare by name, the plugs and
 * slots snapd's `SanitizePlugsSlots` drops for their interface or name (the snap still
 * installs), and the checks of `snap.Validate` that concern what is left.
 */
import { Node } from "yaml";
import { compareBytes, GoMap, GoValue, goFormat, goQuote, goTypeName } from "./go-value";
import { checkAppName, checkHookName, checkPlugName, checkSlotName, checkSnapName, checkVersion } from "./names";
import { beforePreparePlug, beforePrepareSlot, isSharedMemory } from "./shared-memory";
import { MappingEntry, SourcePosition, YamlV2Document } from "./yaml-v2";

export { SourcePosition, YamlSyntaxError } from "./yaml-v2";

/**
 * A snap.yaml snapd refuses outright. `reason` and `message` are snapd's message exactly (as
 * snapd's install returns it; `snap pack` puts `cannot validate snap "<name>": ` before those
 * of snap.Validate); `position`, when known, is where in the file, kept out of the message.
 */
export class SnapDefinitionError extends Error {
  constructor(
    readonly reason: string,
    readonly position?: SourcePosition,
  ) {
    super(reason);
    this.name = "SnapDefinitionError";
  }
}

/**
 * A refusal that depends on what snapd's other interfaces make of their plugs and slots, which
 * the file alone cannot tell: snapd refuses the snap with `refusal` unless, while sanitizing,
 * it drops one of `unlessDropped` (its interface does not exist in that snapd, or refuses it).
 */
export interface UndeterminedRefusal {
  refusal: string;
  unlessDropped: Array<{ kind: InterfaceKind; name: string; interface: string }>;
  position?: SourcePosition;
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
  /** Refusals of snap.Validate that hang on other interfaces' checks (see UndeterminedRefusal). */
  undetermined?: UndeterminedRefusal[];
}

/**
 * Parses and reads a snap: YamlSyntaxError for text yaml.v2 cannot parse, SnapDefinitionError
 * (snapd's message) for a snap snapd refuses outright, as far as the checks here go.
 */
export function readSnapYaml(text: string): SnapDeclaration {
  const doc = YamlV2Document.parse(text);
  checkDecoding(doc);
  const root = doc.isMapping(doc.root) ? doc.root : null;
  // `plugs`, `slots`, `apps` and `hooks` are maps in snapd's struct: given twice (or by a
  // merge too), yaml.v2 adds the second to the first. checkDecoding refused any other type.
  const mapSection = (key: string) =>
    doc.mergedEntries(doc.fieldValues(root, key), () => {
      throw new Error(`${key}: not a mapping after checkDecoding`);
    });
  const declared = {
    plugs: readDeclarations(doc, "plug", mapSection("plugs")),
    slots: readDeclarations(doc, "slot", mapSection("slots")),
  };
  const apps = mapSection("apps");
  const hooks = mapSection("hooks");
  addImplicit(doc, "app", apps, declared);
  addImplicit(doc, "hook", hooks, declared);
  const field = (key: string) => lastValue(doc, root, key);
  const name = doc.text(field("name"));
  const snap: SnapDeclaration = { name, ...sanitize(name, declared) };
  validate(doc, snap, declared, { version: doc.text(field("version")), title: doc.text(field("title")), description: doc.text(field("description")), apps, hooks });
  return snap;
}

/**
 * What yaml.v2 leaves in the string or list field `key` of a struct (the snap, an app, a hook)
 * decoded from `owner`: the last value it decodes there, merges included (see fieldValues).
 */
function lastValue(doc: YamlV2Document, owner: Node | null, key: string): Node | null {
  const values = doc.fieldValues(owner, key);
  return values.length > 0 ? values[values.length - 1] : null;
}

/** The snap.yaml fields read here, by their Go type in snapd's snapYaml, appYaml and hookYaml. */
const STRING_FIELDS = ["name", "version", "title", "description"];
const MAP_FIELDS = ["plugs", "slots"];
/** snapd's `apps` and `hooks`: maps of structs, and the fields of those structs read here. */
const OWNER_SECTIONS: Record<string, { type: string; strings: string[]; lists: string[] }> = {
  apps: {
    type: "snap.appYaml",
    strings: ["command", "stop-command", "reload-command", "post-stop-command", "bus-name", "daemon", "daemon-scope"],
    lists: ["plugs", "slots", "command-chain"],
  },
  hooks: { type: "snap.hookYaml", strings: [], lists: ["plugs", "slots", "command-chain"] },
};

/**
 * What yaml.v2 says decoding snap.yaml into snapd's structs, for the fields read here. It
 * decodes every key it meets, in its order (see decodedPairs), even one a later key or merge
 * overwrites: the first error of a field's own unmarshaler (an app's `daemon-scope`) ends the
 * decoding with that error alone; otherwise every type error, in that order, in one message.
 * Type errors in fields not read here (there are many) are not found.
 */
function checkDecoding(doc: YamlV2Document): void {
  const typeErrors: Array<{ offset: number; text: string }> = [];
  const isNull = (node: Node | null) => doc.value(node) === null;
  const isScalar = (node: Node | null) => !doc.isMapping(node) && doc.items(node) === undefined;
  const expectString = (node: Node | null) => {
    if (!isScalar(node)) typeErrors.push(doc.typeError(node, "string"));
  };
  const expectStrings = (node: Node | null) => {
    if (isNull(node)) return;
    const items = doc.items(node);
    if (items === undefined) typeErrors.push(doc.typeError(node, "[]string"));
    else items.forEach(expectString);
  };
  const expectMap = (node: Node | null, into: string): boolean => {
    if (isNull(node)) return false;
    if (!doc.isMapping(node)) {
      typeErrors.push(doc.typeError(node, into));
      return false;
    }
    return true;
  };
  // snapd's DaemonScope.UnmarshalYAML: yaml.v2 never calls it for a null, and a list or mapping fails as a plain string's type error.
  const expectDaemonScope = (node: Node | null) => {
    if (isNull(node) || !isScalar(node)) return;
    const scope = doc.text(node);
    if (scope !== "system" && scope !== "user") {
      throw new SnapDefinitionError(`cannot parse snap.yaml: invalid daemon scope: ${goQuote(scope)}`, doc.position(doc.deref(node)));
    }
  };
  const expectOwners = (section: Node | null, { type, strings, lists }: (typeof OWNER_SECTIONS)[string]) => {
    if (!expectMap(section, `map[string]${type}`)) return;
    for (const owner of doc.decodedPairs(section)) {
      if (!expectMap(owner.value, type)) continue;
      for (const field of doc.decodedPairs(owner.value)) {
        if (lists.includes(field.keyText)) expectStrings(field.value);
        if (!strings.includes(field.keyText)) continue;
        expectString(field.value);
        if (field.keyText === "daemon-scope") expectDaemonScope(field.value);
      }
    }
  };

  if (expectMap(doc.root, "snap.snapYaml")) {
    for (const field of doc.decodedPairs(doc.root)) {
      if (STRING_FIELDS.includes(field.keyText)) expectString(field.value);
      else if (MAP_FIELDS.includes(field.keyText)) expectMap(field.value, "map[string]interface {}");
      else if (Object.hasOwn(OWNER_SECTIONS, field.keyText)) expectOwners(field.value, OWNER_SECTIONS[field.keyText]);
    }
  }
  if (typeErrors.length === 0) return;
  throw new SnapDefinitionError(
    `cannot parse snap.yaml: yaml: unmarshal errors:\n  ${typeErrors.map((e) => e.text).join("\n  ")}`,
    doc.positionAt(typeErrors[0].offset),
  );
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
    // yaml.v2 decodes the lists whether or not the hook is supported: checkDecoding refused a malformed one.
    if (owner === "hook" && !isHookSupported(ownerEntry.keyText)) continue;
    for (const kind of ["plug", "slot"] as const) {
      const known = kind === "plug" ? declared.plugs : declared.slots;
      for (const { name, position } of nameList(doc, lastValue(doc, ownerEntry.value, `${kind}s`))) {
        if (!known.some((d) => d.name === name)) known.push({ kind, name, interface: name, attrs: new Map(), position });
      }
    }
  }
}

/** An app's or hook's `plugs:` or `slots:`, a `[]string`: each name is its item's text (`0123` names "0123"). */
function nameList(doc: YamlV2Document, list: Node | null): Array<{ name: string; position?: SourcePosition }> {
  return (doc.items(list) ?? []).map((item) => ({ name: doc.text(item), position: doc.position(item) ?? doc.position(list) }));
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

/** What validate reads besides the plugs and slots. */
interface SnapFields {
  version: string;
  title: string;
  description: string;
  apps: MappingEntry[];
  hooks: MappingEntry[];
}

/** snapd's appContentWhitelist and commandChainContentWhitelist, as `%s` prints them. */
const APP_CONTENT = "^[A-Za-z0-9/. _#:$-]*$";
const COMMAND_CHAIN_CONTENT = "^[A-Za-z0-9/._#:$-]*$";
const APP_CONTENT_PATTERN = new RegExp(APP_CONTENT);
const COMMAND_CHAIN_PATTERN = new RegExp(COMMAND_CHAIN_CONTENT);
const APP_CONTENT_FIELDS = ["command", "stop-command", "reload-command", "post-stop-command", "bus-name"];
/** The hooks whose name comes from a plug or slot, which can break naming.ValidateHook; every other hook snapd reads has a valid name. */
const INTERFACE_HOOK = /^(?:prepare|unprepare|connect|disconnect)-(?:plug|slot)-/;

/**
 * The checks of snap.Validate, in its order, that a snap.yaml can fail and that are copied
 * here: snap name, title and description length, version, each app's daemon, daemon-scope,
 * name and command fields, each hook's name and command-chain, then plug and slot names unique
 * across both, on what SanitizePlugsSlots left. Not copied (a snap failing only those passes
 * here): provenance, epoch, license, app sockets, activates-on, restart, before/after and
 * their cycles, timeouts, stop-mode, refresh-mode, install-mode, timer, legacy aliases, base,
 * system-usernames, links, common-id, layouts. snapd takes apps and hooks in Go's map order,
 * which is random: with several faulty apps (or command fields), snapd names any one of
 * them; the first by name is given here.
 *
 * Sanitizing dropped the plugs and slots their interface refuses; of those only
 * shared-memory's are known here, checked as snapd checks them, with every declared plug and
 * slot still present. A plug and slot of the same name where either is of another interface
 * is an UndeterminedRefusal: whether snapd dropped it cannot be told from the file.
 */
function validate(
  doc: YamlV2Document,
  snap: SnapDeclaration,
  declared: { plugs: InterfaceDeclaration[]; slots: InterfaceDeclaration[] },
  fields: SnapFields,
): void {
  const refuse = (reason: string, position?: SourcePosition): never => {
    throw new SnapDefinitionError(reason, position);
  };
  if (snap.name === "") refuse("snap name cannot be empty");
  const snapError = checkSnapName(snap.name);
  if (snapError !== undefined) refuse(snapError);
  const runes = (text: string) => [...text].length;
  if (runes(fields.title) > 40) refuse(`title can have up to 40 codepoints, got ${runes(fields.title)}`);
  if (runes(fields.description) > 4096) refuse(`description can have up to 4096 codepoints, got ${runes(fields.description)}`);
  const versionError = checkVersion(fields.version);
  if (versionError !== undefined) refuse(versionError);

  const byName = (a: MappingEntry, b: MappingEntry) => compareBytes(a.keyText, b.keyText);
  for (const app of [...fields.apps].sort(byName)) {
    const error = appError(doc, app);
    if (error !== undefined) refuse(`invalid definition of application ${goQuote(app.keyText)}: ${error}`, doc.position(app.key));
  }
  for (const hook of [...fields.hooks].filter((h) => isHookSupported(h.keyText)).sort(byName)) {
    if (INTERFACE_HOOK.test(hook.keyText)) {
      const nameError = checkHookName(hook.keyText);
      if (nameError !== undefined) refuse(nameError, doc.position(hook.key));
    }
    for (const value of stringList(doc, hook.value, "command-chain")) {
      if (!COMMAND_CHAIN_PATTERN.test(value)) {
        refuse(`hook command-chain contains illegal ${goQuote(value)} (legal: '${COMMAND_CHAIN_CONTENT}')`, doc.position(hook.key));
      }
    }
  }

  const whileSanitizing = { name: snap.name, ...declared };
  const plugs = snap.plugs.filter((plug) => !isSharedMemory(plug) || beforePreparePlug(plug, whileSanitizing).ok);
  const slots = snap.slots.filter((slot) => !isSharedMemory(slot) || beforePrepareSlot(slot).ok);
  const undetermined: UndeterminedRefusal[] = [];
  for (const slot of slots) {
    const plug = plugs.find((p) => p.name === slot.name);
    if (plug === undefined) continue;
    const refusal = `cannot have plug and slot with the same name: ${goQuote(slot.name)}`;
    // A shared-memory plug or slot left here is one snapd keeps; another interface's may be dropped.
    const unlessDropped = [plug, slot].filter((d) => !isSharedMemory(d)).map(({ kind, name, interface: iface }) => ({ kind, name, interface: iface }));
    if (unlessDropped.length === 0) refuse(refusal, slot.position);
    undetermined.push({ refusal, unlessDropped, position: slot.position });
  }
  if (undetermined.length > 0) snap.undetermined = undetermined;
}

/** snap.ValidateApp, as far as it is copied (see validate); undefined when the app passes. */
function appError(doc: YamlV2Document, app: MappingEntry): string | undefined {
  const field = (key: string) => doc.text(lastValue(doc, app.value, key));
  const daemon = field("daemon");
  if (!["", "simple", "forking", "oneshot", "dbus", "notify"].includes(daemon)) return `"daemon" field contains invalid value ${goQuote(daemon)}`;
  // snapd gives a daemon without daemon-scope the system scope; checkDecoding refused other values.
  if (field("daemon-scope") !== "" && daemon === "") return '"daemon-scope" can only be set for daemons';
  if (checkAppName(app.keyText) !== undefined) {
    return `cannot have ${goQuote(app.keyText)} as app name - use letters, digits, and dash as separator`;
  }
  for (const name of [...APP_CONTENT_FIELDS].sort(compareBytes)) {
    const value = field(name);
    if (!APP_CONTENT_PATTERN.test(value)) return `app description field '${name}' contains illegal ${goQuote(value)} (legal: '${APP_CONTENT}')`;
  }
  for (const value of stringList(doc, app.value, "command-chain")) {
    if (!COMMAND_CHAIN_PATTERN.test(value)) {
      return `app description field 'command-chain' contains illegal ${goQuote(value)} (legal: '${COMMAND_CHAIN_CONTENT}')`;
    }
  }
  return undefined;
}

/** A `[]string` field of an app or hook (see lastValue), each item by its text. */
function stringList(doc: YamlV2Document, owner: Node | null, key: string): string[] {
  return (doc.items(lastValue(doc, owner, key)) ?? []).map((item) => doc.text(item));
}
