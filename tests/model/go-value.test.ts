import { strict as assert } from "node:assert";
import { compareBytes, goFormat, goFormatFloat, goQuote, goTypeName, GoValue, hasGoSurroundingSpace } from "../../src/model/go-value";

describe("Go formatting of YAML values", () => {
  const formats: Array<[GoValue, string]> = [
    ["true", "true"],
    [true, "true"],
    [1n, "1"],
    [-12n, "-12"],
    [1.5, "1.5"],
    [1, "1"],
    [1e6, "1e+06"],
    [123456, "123456"],
    [1234567, "1.234567e+06"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1e100, "1e+100"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
    [null, "<nil>"],
    [["one", "two"], "[one two]"],
    [[1n, ["a"]], "[1 [a]]"],
    [new Map<GoValue, GoValue>([["b", 1n], ["a", "x"]]), "map[a:x b:1]"],
  ];
  for (const [value, text] of formats) {
    it(`%v of ${String(value)} is ${text}`, () => assert.equal(goFormat(value), text));
  }

  it("%T names yaml.v2's types", () => {
    assert.equal(goTypeName("x"), "string");
    assert.equal(goTypeName(true), "bool");
    assert.equal(goTypeName(1n), "int");
    assert.equal(goTypeName(2n ** 63n), "uint64");
    assert.equal(goTypeName(1.5), "float64");
    assert.equal(goTypeName(null), "<nil>");
    assert.equal(goTypeName([]), "[]interface {}");
    assert.equal(goTypeName(new Map()), "map[interface {}]interface {}");
  });

  it("%q quotes as strconv.Quote does", () => {
    assert.equal(goQuote("plain"), '"plain"');
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote("\t\n\r\x07\b\f\v"), '"\\t\\n\\r\\a\\b\\f\\v"');
    assert.equal(goQuote("\x00\x1b\x7f"), '"\\x00\\x1b\\x7f"');
    assert.equal(goQuote("é ü 中"), '"é ü 中"');
    assert.equal(goQuote("\u00a0\u2028"), '"\\u00a0\\u2028"');
    assert.equal(goQuote("\u{e0001}"), '"\\U000e0001"');
  });

  it("floats print Go's shortest digits", () => {
    assert.equal(goFormatFloat(0.1), "0.1");
    assert.equal(goFormatFloat(-2.5e-7), "-2.5e-07");
    assert.equal(goFormatFloat(999999), "999999");
  });

  it("orders strings by UTF-8 bytes, as Go's sort.Strings", () => {
    // U+FF5E sorts before U+1F600 in UTF-8 but after it in UTF-16.
    assert.ok(compareBytes("\uff5e", "\u{1f600}") < 0);
    assert.ok("\uff5e" > "\u{1f600}");
    assert.ok(compareBytes("B", "a") < 0);
  });

  it("finds the white space strings.TrimSpace removes", () => {
    for (const s of [" a", "a ", "\ta", "a\n", "\u0085a", "a\u00a0", "\u3000a"]) assert.ok(hasGoSurroundingSpace(s), JSON.stringify(s));
    for (const s of ["a", "a b", "\ufeffa"]) assert.ok(!hasGoSurroundingSpace(s), JSON.stringify(s));
  });
});
