import { strict as assert } from "node:assert";
import { GoValue, goFormat, goTypeName } from "../../src/model/go-value";
import { resolvePlainScalar, YamlSyntaxError, YamlV2Document } from "../../src/model/yaml-v2";

function decode(yaml: string): GoValue {
  const doc = YamlV2Document.parse(yaml);
  return doc.value(doc.root);
}

describe("YAML read as Go's yaml.v2 reads snap.yaml", () => {
  const plain: Array<[string, string, string]> = [
    ["yes", "bool", "true"],
    ["Y", "bool", "true"],
    ["On", "bool", "true"],
    ["TRUE", "bool", "true"],
    ["n", "bool", "false"],
    ["Off", "bool", "false"],
    ["~", "<nil>", "<nil>"],
    ["Null", "<nil>", "<nil>"],
    ["", "<nil>", "<nil>"],
    ["12", "int", "12"],
    ["+12", "int", "12"],
    ["-12", "int", "-12"],
    ["0777", "int", "511"],
    ["0o17", "int", "15"],
    ["0x1F", "int", "31"],
    ["0b101", "int", "5"],
    ["1_000", "int", "1000"],
    ["08", "float64", "8"],
    ["1.5", "float64", "1.5"],
    ["1.", "float64", "1"],
    [".5", "float64", "0.5"],
    ["+.5", "float64", "0.5"],
    ["1e6", "float64", "1e+06"],
    ["1e400", "string", "1e400"],
    [".inf", "float64", "+Inf"],
    ["-.Inf", "float64", "-Inf"],
    [".NaN", "float64", "NaN"],
    ["9223372036854775807", "int", "9223372036854775807"],
    ["9223372036854775808", "uint64", "9223372036854775808"],
    ["-9223372036854775809", "float64", "-9.223372036854776e+18"],
    [".", "string", "."],
    ["190:20:30", "string", "190:20:30"],
    ["2001-12-14", "string", "2001-12-14"],
    ["hello", "string", "hello"],
    ["yess", "string", "yess"],
    ["nULL", "string", "nULL"],
    ["<<", "string", "<<"],
  ];
  for (const [text, type, formatted] of plain) {
    it(`plain ${JSON.stringify(text)} is ${type} ${formatted}`, () => {
      const value = resolvePlainScalar(text);
      assert.equal(goTypeName(value), type);
      assert.equal(goFormat(value), formatted);
    });
  }

  it("keeps quoted and block scalars as strings, and honours explicit tags", () => {
    const value = decode('a: "true"\nb: \'1\'\nc: |\n  yes\nd: !!str 5\ne: !!int "5"\nf: !!float 5\ng: !!binary aGk=\n') as Map<GoValue, GoValue>;
    assert.deepEqual([...value.values()], ["true", "1", "yes\n", "5", 5n, 5, "hi"]);
    assert.equal(goTypeName(value.get("f")!), "float64");
  });

  it("refuses an explicit tag the text does not fit", () => {
    assert.throws(() => decode("a: !!int abc\n"), (e: unknown) => e instanceof YamlSyntaxError && /^line 1, column \d+: cannot decode "abc" as !!int$/.test(e.message));
  });

  it("merges as yaml.v2 does: a later key or merge overwrites, earlier maps in a merge list win", () => {
    const value = decode("base: &b {p: 1, q: 1}\nother: &o {q: 2, r: 2}\nm1: {p: 0, <<: *b}\nm2: {<<: *b, p: 0}\nm3: {<<: [*b, *o]}\n") as Map<GoValue, GoValue>;
    assert.equal(goFormat(value.get("m1")!), "map[p:1 q:1]");
    assert.equal(goFormat(value.get("m2")!), "map[p:0 q:1]");
    assert.equal(goFormat(value.get("m3")!), "map[p:1 q:1 r:2]");
  });

  it("lists every pair a struct decodes, in yaml.v2's order: repeated keys each time, a merge where it stands, a merge list last first", () => {
    const doc = YamlV2Document.parse("base: &b {p: 1}\nm: {p: 2, <<: [*b, {p: 3, q: 3}], p: 4}\n");
    const m = doc.entries(doc.root).find((e) => e.keyText === "m")!;
    assert.deepEqual(doc.decodedPairs(m.value).map((e) => [e.keyText, doc.text(e.value)]), [["p", "2"], ["p", "3"], ["q", "3"], ["p", "1"], ["p", "4"]]);
    assert.deepEqual(doc.fieldValues(m.value, "p").map((node) => doc.text(node)), ["2", "3", "1", "4"]);
  });

  it("reads an unquoted y or n key as a bool, as YAML 1.1 does", () => {
    assert.equal(goFormat(decode("y: 1\nn: 2\n")), "map[false:2 true:1]");
  });

  it("tells the keys of a struct or map[string] apart by their text, not their value", () => {
    const doc = YamlV2Document.parse('y: 1\nyes: 2\ntrue: 3\n"true": 4\n0123: 5\n~: 6\nnull: 7\n');
    assert.deepEqual(
      doc.entries(doc.root).map((e) => [e.keyText, doc.text(e.value)]),
      [["y", "1"], ["yes", "2"], ["true", "4"], ["0123", "5"], ["", "7"]],
    );
  });

  it("merges into a struct or map[string] by key text too", () => {
    const doc = YamlV2Document.parse("base: &b {y: 1, on: 2}\nm: {<<: *b, yes: 3, y: 4}\n");
    const m = doc.entries(doc.root).find((e) => e.keyText === "m")!;
    assert.deepEqual(doc.entries(m.value).map((e) => [e.keyText, doc.text(e.value)]), [["on", "2"], ["yes", "3"], ["y", "4"]]);
  });

  it("decodes a scalar into a string as yaml.v2 does: its text, a null as empty, a !!binary as its bytes", () => {
    const doc = YamlV2Document.parse('- 0123\n- off\n- ~\n-\n- null\n- "~"\n- 1.50\n- !!binary aGk=\n- !!str 5\n- &a x\n- *a\n');
    assert.deepEqual(doc.items(doc.root)!.map((item) => doc.text(item)), ["0123", "off", "", "", "", "~", "1.50", "hi", "5", "x", "x"]);
    const map = YamlV2Document.parse("a: b\n");
    assert.equal(map.items(map.root), undefined, "a mapping has no items");
  });

  it("lets a duplicate key win silently", () => {
    assert.equal(goFormat(decode("a: 1\na: 2\n")), "map[a:2]");
  });

  it("reports unreadable YAML with its line and column", () => {
    assert.throws(
      () => decode("name: x\nplugs:\n  a: b: c\n"),
      (e: unknown) => e instanceof YamlSyntaxError && e.position?.line === 3 && e.position.column === 6 && /^line 3, column 6: /.test(e.message),
    );
    assert.throws(() => decode("a: [1, 2\n"), (e: unknown) => e instanceof YamlSyntaxError && e.position !== undefined);
  });

  it("stops a self-referencing alias instead of looping", () => {
    assert.throws(() => decode("&a [*a]\n"), /excessive aliasing or nesting/);
  });
});
