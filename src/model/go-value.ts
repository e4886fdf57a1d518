/**
 * Values as snapd sees them after reading snap.yaml with Go's yaml.v2, and Go's `fmt`
 * rendering of them. snapd's messages embed attribute values with `%v`, names with `%q`
 * and kinds with `%T`; reproducing those verbs is what makes our messages byte-identical.
 */

/** A YAML value typed as yaml.v2 decodes it into `interface{}`. */
export type GoValue = string | boolean | GoInt | GoFloat | null | GoValue[] | GoMap;

/** A YAML integer (`int`, or `uint64` above the int64 range). */
export type GoInt = bigint;

/** A YAML float (`float64`). Kept as a JS number; integers are always `bigint`. */
export type GoFloat = number;

/** A YAML mapping, keys in document order. */
export type GoMap = Map<GoValue, GoValue>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's `%T` for a decoded YAML value. */
export function goTypeName(value: GoValue): string {
  if (value === null) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  if (value instanceof Map) return "map[interface {}]interface {}";
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "bigint":
      return value >= INT64_MIN && value <= INT64_MAX ? "int" : "uint64";
    default:
      return "float64";
  }
}

/** Go's `%v` for a decoded YAML value (maps print with sorted keys, as fmt does). */
export function goFormat(value: GoValue): string {
  if (value === null) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(goFormat).join(" ")}]`;
  if (value instanceof Map) {
    const pairs = [...value].map(([k, v]) => [goFormat(k), goFormat(v)] as const);
    pairs.sort((a, b) => compareBytes(a[0], b[0]));
    return `map[${pairs.map(([k, v]) => `${k}:${v}`).join(" ")}]`;
  }
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
    case "bigint":
      return String(value);
    default:
      return goFormatFloat(value);
  }
}

/**
 * Go's `%v` for a float64: `strconv.FormatFloat(f, 'g', -1, 64)`. Shortest digits; the
 * exponent form when the decimal exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`).
 */
export function goFormatFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  // In this range JS's shortest decimal form is Go's %f with the same digits.
  return String(value);
}

/** Go's `%q` for a string: `strconv.Quote`, which keeps printable Unicode as it is. */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (GO_ESCAPES[ch] !== undefined) out += GO_ESCAPES[ch];
    else if (isGoPrintable(ch)) out += ch;
    else if (code < 0x80) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return `${out}"`;
}

/** Go's `strconv.QuoteToASCII`: `%q`, but every non-ASCII character escaped. */
export function goQuoteToASCII(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (GO_ESCAPES[ch] !== undefined) out += GO_ESCAPES[ch];
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code < 0x80) out += `\\x${hex(code, 2)}`;
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return `${out}"`;
}

/** Go's `%q` for a byte of printable ASCII: a quoted character literal: `'.'`, and `'\''` for a quote. */
export function goQuoteAsciiByte(ch: string): string {
  return ch === "'" || ch === "\\" ? `'\\${ch}'` : `'${ch}'`;
}

const GO_ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isGoPrintable(ch: string): boolean {
  return ch === " " || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, "0");
}

/** Go's string order (`sort.Strings`): byte-wise over UTF-8. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Go's `unicode.IsSpace`, as `strings.TrimSpace` uses it. */
export function hasGoSurroundingSpace(text: string): boolean {
  return /^\p{White_Space}|\p{White_Space}$/u.test(text);
}

/** A decoded value as plain JSON: maps become objects, integers numbers where exact. */
export function goValueToJson(value: GoValue): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(goValueToJson);
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [k, v] of value) object[goFormat(k)] = goValueToJson(v);
    return object;
  }
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return Number.isFinite(value) ? value : goFormatFloat(value);
}

/** A plain JS value (as a Pulumi program writes attributes) typed as yaml.v2 would type it. */
export function goValueFromJson(value: unknown): GoValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "bigint") return value;
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(goValueFromJson);
  if (typeof value === "object") {
    return new Map(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, goValueFromJson(v)]));
  }
  return String(value);
}
