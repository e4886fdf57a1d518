/**
 * Reads a snap.yaml or snapcraft.yaml the way snapd reads snap.yaml (Go's yaml.v2, see
 * yaml-v2.ts): plugs and slots as snapd's `convertToSlotOrPlugData` sees them, with the
 * implicit plugs and slots that apps and hooks declare by name, and the name checks of
 * `snap.Validate` that concern them.
 */
import { Node } from "yaml";
import { GoMap, GoValue, goFormat, goQuote, goTypeName } from "./go-value";
import { checkPlugName, checkSlotName, checkSnapName } from "./names";
import { SourcePosition, YamlSyntaxError, YamlV2Document } from "./yaml-v2";

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

export interface SnapDeclaration {
  name: string;
  plugs: InterfaceDeclaration[];
  slots: InterfaceDeclaration[];
}

/** Parses and reads a snap; YamlSyntaxError for text that is not a YAML mapping. */
export function readSnapYaml(text: string): SnapDeclaration {
  const doc = YamlV2Document.parse(text);
  if (!doc.isMapping(doc.root)) {
    throw new YamlSyntaxError("a snap.yaml or snapcraft.yaml must be a YAML mapping", doc.position(doc.root));
  }
  const top = new Map(doc.entries(doc.root).map((entry) => [entry.keyText, entry]));
  const section = (key: string) => top.get(key)?.value ?? null;
  const declared = {
    plugs: readDeclarations(doc, "plug", section("plugs")),
    slots: readDeclarations(doc, "slot", section("slots")),
  };
  addImplicit(doc, "app", section("apps"), declared);
  addImplicit(doc, "hook", section("hooks"), declared);
  const name = doc.text(section("name"));
  checkDeclarationNames(name, declared.plugs, declared.slots);
  return { name, ...declared };
}

function isEmpty(doc: YamlV2Document, node: Node | null): boolean {
  return doc.value(node) === null;
}

function readDeclarations(doc: YamlV2Document, kind: InterfaceKind, node: Node | null): InterfaceDeclaration[] {
  if (isEmpty(doc, node)) return [];
  if (!doc.isMapping(node)) {
    throw new SnapDefinitionError(`${kind}s must be a mapping of ${kind} names to definitions`, doc.position(node));
  }
  return doc.entries(node).map((entry) => {
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
        throw new UnsupportedAttributeValue(`non-string key in attribute map: ${goFormat(key)}`);
      }
      normalized.set(key, normalizeValue(item));
    }
    return normalized;
  }
  return value;
}

/**
 * Plugs and slots named by apps and hooks but not declared at the top level are implicit:
 * their interface is their own name (snapd's bindImplicit).
 */
function addImplicit(
  doc: YamlV2Document,
  owner: "app" | "hook",
  node: Node | null,
  declared: { plugs: InterfaceDeclaration[]; slots: InterfaceDeclaration[] },
): void {
  if (isEmpty(doc, node)) return;
  if (!doc.isMapping(node)) throw new SnapDefinitionError(`${owner}s must be a mapping`, doc.position(node));
  for (const ownerEntry of doc.entries(node)) {
    if (isEmpty(doc, ownerEntry.value)) continue;
    if (!doc.isMapping(ownerEntry.value)) {
      throw new SnapDefinitionError(`${owner} ${goQuote(ownerEntry.keyText)} must be a mapping`, doc.position(ownerEntry.key));
    }
    for (const entry of doc.entries(ownerEntry.value)) {
      const kind = entry.keyText === "plugs" ? "plug" : entry.keyText === "slots" ? "slot" : undefined;
      if (kind === undefined) continue;
      const list = doc.value(entry.value);
      if (list === null) continue;
      if (!Array.isArray(list) || list.some((item) => item instanceof Map || Array.isArray(item))) {
        throw new SnapDefinitionError(
          `${owner} ${goQuote(ownerEntry.keyText)}: ${entry.keyText} must be a list of ${kind} names`,
          doc.position(entry.value),
        );
      }
      const known = kind === "plug" ? declared.plugs : declared.slots;
      for (const item of list) {
        const name = item === null ? "" : goFormat(item);
        if (!known.some((d) => d.name === name)) {
          known.push({ kind, name, interface: name, attrs: new Map(), position: doc.position(entry.value) });
        }
      }
    }
  }
}

/** The name checks of snap.Validate that concern plugs and slots. */
function checkDeclarationNames(snapName: string, plugs: InterfaceDeclaration[], slots: InterfaceDeclaration[]): void {
  const snapError = checkSnapName(snapName);
  if (snapError !== undefined) throw new SnapDefinitionError(snapError);
  for (const plug of plugs) {
    const error = checkPlugName(plug.name);
    if (error !== undefined) throw new SnapDefinitionError(error, plug.position);
  }
  for (const slot of slots) {
    const error = checkSlotName(slot.name);
    if (error !== undefined) throw new SnapDefinitionError(error, slot.position);
    if (plugs.some((plug) => plug.name === slot.name)) {
      throw new SnapDefinitionError(`cannot have plug and slot with the same name: ${goQuote(slot.name)}`, slot.position);
    }
  }
}
