/**
 * YAML as snapd reads snap.yaml: Go's gopkg.in/yaml.v2 decoding into `interface{}`.
 *
 * The `yaml` library parses (failsafe schema: every scalar stays text); the scalars are then
 * resolved with yaml.v2's own table and rules, which differ from YAML 1.1's schema at the
 * edges: `.` and `190:20:30` stay strings, `08` is a float, timestamps stay strings, a
 * duplicate key silently wins, and a merge key overwrites the keys before it.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Node, parseAllDocuments, Parser, Document, Scalar } from "yaml";
import { GoMap, GoValue, goFormat, goTypeName } from "./go-value";

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** Not YAML that yaml.v2 can decode. */
export class YamlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position?: SourcePosition,
  ) {
    super(position ? `line ${position.line}, column ${position.column}: ${reason}` : reason);
    this.name = "YamlSyntaxError";
  }
}

/** One key of a mapping after merges, with its nodes for positions. */
export interface MappingEntry {
  key: Node;
  /** The key as yaml.v2 decodes it into a Go `string` (see `text`). */
  keyText: string;
  value: Node | null;
}

/**
 * What makes two keys of a mapping the same key, which depends on the Go type yaml.v2
 * decodes the mapping into: a struct or a `map[string]...` compares the keys as strings
 * (`y` and `yes` differ, `true` and `"true"` are one key), a `map[interface{}]interface{}`
 * compares the decoded values (`y` and `yes` are both the bool true).
 */
type KeyIdentity = "string" | "value";

/** yaml.v2's resolve table for plain scalars whose first character is one of `yYnNtTfFoO~.+-0-9` or empty. */
const RESOLVE_TABLE = new Map<string, GoValue>([
  ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map((s) => [s, true] as const),
  ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map((s) => [s, false] as const),
  ...["", "~", "null", "Null", "NULL"].map((s) => [s, null] as const),
  ...[".nan", ".NaN", ".NAN"].map((s) => [s, NaN] as const),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s) => [s, Infinity] as const),
  ...["-.inf", "-.Inf", "-.INF"].map((s) => [s, -Infinity] as const),
]);
const MAP_HINT = /^[yYnNtTfFoO~]/;
const NUMBER_HINT = /^[-+0-9]/;
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;
const YAML_STYLE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Go's strconv.ParseInt with base 0 (underscores already removed). */
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The value yaml.v2 gives a plain (unquoted, untagged) scalar. */
export function resolvePlainScalar(text: string): GoValue {
  if (text === "" || MAP_HINT.test(text) || text.startsWith(".") || NUMBER_HINT.test(text)) {
    if (RESOLVE_TABLE.has(text)) return RESOLVE_TABLE.get(text)!;
  }
  if (text.startsWith(".")) return DOT_FLOAT.test(text) ? Number(text) : text;
  if (!NUMBER_HINT.test(text)) return text;
  const plain = text.replace(/_/g, "");
  const int = parseGoInt(plain);
  if (int !== undefined && int >= INT64_MIN && int <= UINT64_MAX && (int <= INT64_MAX || !plain.startsWith("+"))) {
    return int;
  }
  if (YAML_STYLE_FLOAT.test(plain)) {
    const float = Number(plain);
    if (Number.isFinite(float)) return float;
  }
  return text;
}

function parseGoInt(plain: string): bigint | undefined {
  const match = GO_INT.exec(plain);
  if (!match) return undefined;
  const [, sign, digits] = match;
  const prefixed = /^0[oO]/.test(digits) ? `0o${digits.slice(2)}` : /^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits;
  const magnitude = BigInt(prefixed);
  return sign === "-" ? -magnitude : magnitude;
}

const YAML_TAG_PREFIX = "tag:yaml.org,2002:";

/** The tag yaml.v2 resolves a plain scalar to, for its messages. */
function resolvedTag(text: string): string {
  const value = resolvePlainScalar(text);
  const type = goTypeName(value);
  if (type === "bool") return "!!bool";
  if (type === "int" || type === "uint64") return "!!int";
  if (type === "float64") return "!!float";
  if (type === "<nil>") return "!!null";
  return isTimestamp(text) ? "!!timestamp" : "!!str";
}

/**
 * yaml.v2's parseTimestamp: four digits and a `-`, then Go's time.Parse with one of
 * "2006-1-2T15:4:5.999999999Z07:00" (or lower-case t), "2006-1-2 15:4:5.999999999", "2006-1-2".
 */
function isTimestamp(text: string): boolean {
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})| (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?)?$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return false;
  const [hour, minute, second] = (match[4] ? match.slice(5, 8) : match.slice(8, 11)).map(Number);
  return match[5] === undefined && match[8] === undefined ? true : hour < 24 && minute < 60 && second < 60;
}

const STR_TAG = "tag:yaml.org,2002:str";
const BINARY_TAG = "tag:yaml.org,2002:binary";
const TAG_TYPES: Record<string, string[]> = {
  "tag:yaml.org,2002:int": ["int", "uint64"],
  "tag:yaml.org,2002:float": ["float64", "int", "uint64"],
  "tag:yaml.org,2002:bool": ["bool"],
  "tag:yaml.org,2002:null": ["<nil>"],
};
/** yaml.v2 refuses deeper nesting and alias expansion beyond this (it has similar limits). */
const MAX_DEPTH = 1000;
const MAX_NODES = 1_000_000;

/** A parsed document, read the way yaml.v2 decodes it. */
export class YamlV2Document {
  private visited = 0;

  private constructor(
    private readonly doc: Document.Parsed | undefined,
    private readonly lineCounter: LineCounter,
  ) {}

  /**
   * yaml.v2's Unmarshal reads the first document only: text after it is never parsed (a
   * syntax error there goes unnoticed), and empty or comment-only text is a null document.
   * Only yaml.v2's reader looks past the first document, checking characters in 512-byte
   * chunks up to the one holding the 4th character of the marker (`---` or `...`) that ends
   * it: a control character there fails the whole text (see checkReaderWindow).
   */
  static parse(text: string): YamlV2Document {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { schema: "failsafe", version: "1.1", uniqueKeys: false, prettyErrors: false, lineCounter });
    const first = docs.length > 0 ? (docs[0] as Document.Parsed) : undefined;
    const parsed = new YamlV2Document(first, lineCounter);
    const end = firstDocumentEnd(text);
    // yaml.v2 skips extra `...` between documents, but not before the first.
    if (end?.leading) throw new YamlSyntaxError("did not find expected node content", parsed.positionAt(end.offset));
    const control = checkReaderWindow(text, end?.offset);
    if (control !== undefined) throw new YamlSyntaxError("control characters are not allowed", parsed.positionAt(control));
    // The parser may charge a stray token after the end marker to the first document.
    const error = first?.errors.find((e) => end === undefined || e.pos[0] < end.offset);
    if (error !== undefined) throw new YamlSyntaxError(error.message, parsed.positionAt(error.pos[0]));
    return parsed;
  }

  /** The first document's root node; null for an empty document or text without one. */
  get root(): Node | null {
    return this.doc?.contents ?? null;
  }

  positionAt(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  position(node: Node | null | undefined): SourcePosition | undefined {
    return node?.range ? this.positionAt(node.range[0]) : undefined;
  }

  /** The node an alias stands for (the node itself otherwise). */
  deref(node: Node | null): Node | null {
    return isAlias(node) && this.doc ? (node.resolve(this.doc) ?? null) : node;
  }

  isMapping(node: Node | null): boolean {
    return isMap(this.deref(node));
  }

  /**
   * A mapping's keys after merges as yaml.v2 decodes the mapping into a struct or a
   * `map[string]...` (snap.yaml's top level, `plugs`, `slots`, `apps`, `hooks`, an app):
   * keys told apart by their string (see `text`), in order, a later key (or merge) overwriting.
   */
  entries(node: Node | null): MappingEntry[] {
    return this.mappingEntries(node, "string", 0);
  }

  /**
   * Every key and value yaml.v2 decodes from mapping `node` into a struct or a `map[string]...`,
   * in the order it decodes them: each pair where it stands, a repeated key each time, and the
   * pairs of merged mappings at the merge (a sequence of mappings last first). Each is decoded,
   * so a value that a later key or merge overwrites still gives its type errors.
   */
  decodedPairs(node: Node | null, depth = 0): MappingEntry[] {
    const map = this.deref(node);
    if (!isMap(map)) return [];
    this.guard(depth);
    const pairs: MappingEntry[] = [];
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as Node;
      const value = (pair.value as Node | null) ?? null;
      const sources = this.mergeSources(key, value);
      if (sources) {
        for (const source of sources) pairs.push(...this.decodedPairs(source, depth + 1));
        continue;
      }
      pairs.push({ key, keyText: this.text(key), value });
    }
    return pairs;
  }

  /**
   * Every value yaml.v2 decodes into the struct field `key` of mapping `node`, in the order it
   * decodes them (see `decodedPairs`). A string or list field keeps the last; a map field, such
   * as snap.yaml's `plugs`, adds each to the one before (see `mergedEntries`).
   */
  fieldValues(node: Node | null, key: string): Array<Node | null> {
    return this.decodedPairs(node)
      .filter((pair) => pair.keyText === key)
      .map((pair) => pair.value);
  }

  /**
   * The entries of a `map[string]...` struct field given several times (`fieldValues`), as
   * yaml.v2 leaves the map: each mapping's keys added to the map already there, a later key
   * overwriting, and a null emptying it. `invalid` is called with a value that is neither.
   */
  mergedEntries(values: Array<Node | null>, invalid: (node: Node | null) => never): MappingEntry[] {
    const merged = new Map<string, MappingEntry>();
    for (const value of values) {
      if (this.value(value) === null) {
        merged.clear();
        continue;
      }
      if (!this.isMapping(value)) invalid(value);
      for (const entry of this.entries(value)) {
        merged.delete(entry.keyText);
        merged.set(entry.keyText, entry);
      }
    }
    return [...merged.values()];
  }

  private mappingEntries(node: Node | null, identity: KeyIdentity, depth: number): MappingEntry[] {
    const map = this.deref(node);
    if (!isMap(map)) return [];
    this.guard(depth);
    const entries = new Map<string, MappingEntry>();
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as Node;
      const value = (pair.value as Node | null) ?? null;
      const sources = this.mergeSources(key, value);
      if (sources) {
        for (const source of sources) {
          for (const entry of this.mappingEntries(source, identity, depth + 1)) entries.set(this.keyId(entry, identity), entry);
        }
        continue;
      }
      const entry = { key, keyText: this.text(key), value };
      entries.delete(this.keyId(entry, identity));
      entries.set(this.keyId(entry, identity), entry);
    }
    return [...entries.values()];
  }

  /**
   * The mappings a merge key (`<<`) brings in, in the order yaml.v2 applies them (a sequence
   * last first), each checked to be a mapping; undefined for any other key.
   */
  private mergeSources(key: Node, value: Node | null): Array<Node | null> | undefined {
    if (!(isScalar(key) && key.type === "PLAIN" && key.source === "<<" && !key.tag)) return undefined;
    const merged = this.deref(value);
    const sources = isSeq(merged) ? [...(merged.items as Node[])].reverse() : [merged];
    for (const source of sources) {
      if (!isMap(this.deref(source))) throw new YamlSyntaxError("map merge requires map or sequence of maps as the value", this.position(source));
    }
    return sources;
  }

  /**
   * A scalar as yaml.v2 decodes it into a Go `string` (a `string` field, a `map[string]...`
   * key, an item of a `[]string`): its source text whatever it resolves to (`0123` stays
   * "0123", `off` stays "off"), except that a null (`~`, `null`, nothing) is "" and a
   * `!!binary` is its decoded bytes.
   */
  text(node: Node | null): string {
    const target = this.deref(node);
    if (!isScalar(target)) return "";
    const value = this.scalar(target);
    if (value === null) return "";
    if (typeof value === "string") return value;
    return String(target.value ?? "");
  }

  /** The item nodes of a sequence, or undefined when `node` is not a sequence. */
  items(node: Node | null): Node[] | undefined {
    const target = this.deref(node);
    return isSeq(target) ? (target.items as Node[]) : undefined;
  }

  /** The value yaml.v2 decodes a node to, as `interface{}`. */
  value(node: Node | null, depth = 0): GoValue {
    this.guard(depth);
    const target = this.deref(node);
    if (target === null) return null;
    if (isScalar(target)) return this.scalar(target);
    if (isSeq(target)) return (target.items as Node[]).map((item) => this.value(item, depth + 1));
    const map: GoMap = new Map();
    for (const entry of this.mappingEntries(target, "value", depth)) {
      map.set(this.value(entry.key, depth + 1), this.value(entry.value, depth + 1));
    }
    return map;
  }

  /**
   * yaml.v2's type error for decoding `node` into the Go type `into` (a struct, a `string`, a
   * `[]string`...), as its decoder words it: `line 3: cannot unmarshal !!seq into string`, a
   * scalar with its text, cut to 7 bytes and "..." beyond 10 bytes (a character cut there
   * comes out as U+FFFD here, where Go prints the bytes it kept).
   */
  typeError(node: Node | null, into: string): { line: number; offset: number; text: string } {
    const target = this.deref(node);
    const offset = target?.range?.[0] ?? 0;
    const explicit = (target as { tag?: string } | null)?.tag;
    let tag: string;
    let value = "";
    if (isSeq(target)) tag = "!!seq";
    else if (isMap(target)) tag = "!!map";
    else {
      const scalar = target as Scalar;
      const text = String(scalar?.value ?? "");
      const plain = scalar?.type === "PLAIN" || scalar?.type === undefined;
      tag = !plain ? "!!str" : resolvedTag(text);
      const bytes = Buffer.from(text, "utf8");
      value = bytes.length > 10 ? ` \`${bytes.subarray(0, 7).toString("utf8")}...\`` : ` \`${text}\``;
    }
    if (explicit) tag = explicit.startsWith(YAML_TAG_PREFIX) ? `!!${explicit.slice(YAML_TAG_PREFIX.length)}` : explicit;
    const { line } = this.positionAt(offset);
    return { line, offset, text: `line ${line}: cannot unmarshal ${tag}${value} into ${into}` };
  }

  private scalar(node: Scalar): GoValue {
    const text = String(node.value ?? "");
    if (node.tag === STR_TAG) return text;
    if (node.tag === BINARY_TAG) return Buffer.from(text.replace(/\s/g, ""), "base64").toString("utf8");
    const plain = node.type === "PLAIN" || (node.type === undefined && !node.tag);
    if (!node.tag) return plain ? resolvePlainScalar(text) : text;
    const resolved = resolvePlainScalar(text);
    const allowed = TAG_TYPES[node.tag];
    if (allowed !== undefined && !allowed.includes(goTypeName(resolved))) {
      throw new YamlSyntaxError(`cannot decode ${JSON.stringify(text)} as ${node.tag.replace("tag:yaml.org,2002:", "!!")}`, this.position(node));
    }
    if (allowed === undefined) return text;
    // An explicit !!float turns an integer into a float64.
    return node.tag.endsWith(":float") && typeof resolved === "bigint" ? Number(resolved) : resolved;
  }

  private keyId(entry: MappingEntry, identity: KeyIdentity): string {
    if (identity === "string") return entry.keyText;
    const value = this.value(entry.key);
    return `${goTypeName(value)}\0${goFormat(value)}`;
  }

  private guard(depth: number): void {
    this.visited++;
    if (depth > MAX_DEPTH || this.visited > MAX_NODES) {
      throw new YamlSyntaxError("document contains excessive aliasing or nesting");
    }
  }
}

/**
 * The offset of the marker that ends the first document: a `...` after it, or the `---` that
 * starts the next one; undefined when the first document runs to the end of the text.
 * `leading` when a `...` comes before any document.
 */
function firstDocumentEnd(text: string): { offset: number; leading?: true } | undefined {
  let seenFirst = false;
  let firstIsBare = false;
  for (const token of new Parser().parse(text)) {
    if (token.type === "document") {
      if (seenFirst) return { offset: token.start.find((t) => t.type === "doc-start")?.offset ?? token.offset };
      seenFirst = true;
      // The parser opens an empty document for a `...` that ends nothing.
      firstIsBare = token.value === undefined && !token.start.some((t) => t.type === "doc-start");
    } else if (token.type === "doc-end") {
      return firstIsBare ? { offset: token.offset, leading: true } : { offset: token.offset };
    }
  }
  return undefined;
}

/** yaml.v2's reader reads 512 bytes at a time. */
const READ_CHUNK = 512;

/** What yaml.v2's reader accepts: #x9 | #xA | #xD | [#x20-#x7E] | #x85 | [#xA0-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isAllowedCharacter(cp: number): boolean {
  return (
    cp === 0x09 || cp === 0x0a || cp === 0x0d || (cp >= 0x20 && cp <= 0x7e) || cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * The string offset of the first character yaml.v2's reader refuses among those it decodes:
 * the whole text when the first document runs to its end, else (`marker` given) the 512-byte
 * chunks it reads until the marker's first 4 characters are decoded, the scanner's lookahead
 * for `---` or `...`. A character cut by the last chunk's end is not decoded.
 */
function checkReaderWindow(text: string, marker: number | undefined): number | undefined {
  const total = Buffer.byteLength(text);
  let needed = total;
  if (marker !== undefined) {
    let end = marker;
    for (let i = 0; i < 4 && end < text.length; i++) end += text.codePointAt(end)! > 0xffff ? 2 : 1;
    needed = Buffer.byteLength(text.slice(0, end));
  }
  // Read chunks: each read fills the raw buffer (what is left undecoded, and more) up to 512 bytes.
  let decodedBytes = 0;
  let readBytes = 0;
  let offset = 0;
  while (decodedBytes < needed && readBytes < total) {
    readBytes = Math.min(total, readBytes + (READ_CHUNK - (readBytes - decodedBytes)));
    while (offset < text.length) {
      const cp = text.codePointAt(offset)!;
      const width = cp <= 0x7f ? 1 : cp <= 0x7ff ? 2 : cp <= 0xffff ? 3 : 4;
      if (decodedBytes + width > readBytes) break;
      if (!isAllowedCharacter(cp)) return offset;
      decodedBytes += width;
      offset += cp > 0xffff ? 2 : 1;
    }
  }
  return undefined;
}
