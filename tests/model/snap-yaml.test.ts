import { strict as assert } from "node:assert";
import { readSnapYaml, SnapDefinitionError, YamlSyntaxError } from "../../src/model/snap-yaml";

function definitionError(yaml: string): SnapDefinitionError {
  try {
    readSnapYaml(yaml);
  } catch (error) {
    if (error instanceof SnapDefinitionError) return error;
    throw error;
  }
  assert.fail("expected snapd to refuse the snap");
}

describe("reading a snap's plugs and slots as snapd does", () => {
  const refusals: Array<[string, string]> = [
    ["plugs:\n  shm: [a]\n", 'plug "shm" has malformed definition (found []interface {})'],
    ["plugs:\n  shm: 3\n", 'plug "shm" has malformed definition (found int)'],
    ["slots:\n  shm: true\n", 'slot "shm" has malformed definition (found bool)'],
    ["plugs:\n  shm: {interface: 3}\n", 'interface name on plug "shm" is not a string (found int)'],
    ["plugs:\n  shm: {interface: ~}\n", 'interface name on plug "shm" is not a string (found <nil>)'],
    ["plugs:\n  shm: {label: [x]}\n", 'label of plug "shm" is not a string (found []interface {})'],
    ["plugs:\n  shm: {$private: true}\n", 'plug "shm" uses reserved attribute "$private"'],
    ["plugs:\n  shm: {1: true}\n", 'plug "shm" has attribute key that is not a string (found int)'],
    ['plugs:\n  shm: {"": true}\n', 'plug "shm" has an empty attribute key'],
    ["plugs:\n  shm: {interface: shared-memory, private: ~}\n", 'attribute "private" of plug "shm": invalid scalar: <nil>'],
    ["plugs:\n  shm: {interface: shared-memory, private:}\n", 'attribute "private" of plug "shm": invalid scalar: <nil>'],
    ["plugs:\n  shm: {private: 18446744073709551615}\n", 'attribute "private" of plug "shm": invalid scalar: 18446744073709551615'],
    ["plugs:\n  shm: {private: {1: a}}\n", 'attribute "private" of plug "shm": non-string key in attribute map: 1'],
    ["plugs:\n  Shm: shared-memory\n", 'invalid plug name: "Shm"'],
    ["slots:\n  shm_1: shared-memory\n", 'invalid slot name: "shm_1"'],
    ["plugs:\n  shm: shared-memory\nslots:\n  shm: shared-memory\n", 'cannot have plug and slot with the same name: "shm"'],
    ["apps:\n  app:\n    plugs: [Bad]\n", 'invalid plug name: "Bad"'],
  ];
  for (const [yaml, message] of refusals) {
    it(`refuses: ${message}`, () => {
      const error = definitionError(`name: shmtest\n${yaml}`);
      assert.equal(error.reason, message);
    });
  }

  it("places a definition error at its plug", () => {
    const error = definitionError("name: shmtest\nplugs:\n  ok: shared-memory\n  shm: [a]\n");
    assert.deepEqual(error.position, { line: 4, column: 3 });
    assert.equal(error.message, 'plug "shm" has malformed definition (found []interface {}) (line 4, column 3)');
  });

  it("checks the snap name with snapd's message", () => {
    assert.equal(definitionError("name: Shm\n").reason, 'invalid snap name: "Shm"');
    assert.equal(definitionError("version: 1\n").reason, 'invalid snap name: ""');
    assert.equal(definitionError("name: 123\n").reason, 'invalid snap name: "123"');
  });

  it("reads snapcraft.yaml the same way", () => {
    const snap = readSnapYaml(
      [
        "name: browser",
        "base: core22",
        "version: '1.0'",
        "grade: stable",
        "confinement: strict",
        "plugs:",
        "  shmem:",
        "    interface: shared-memory",
        "    private: true",
        "apps:",
        "  browser:",
        "    command: bin/browser",
        "    plugs: [shmem, browser-support, network]",
        "parts:",
        "  browser:",
        "    plugin: dump",
        "    source: .",
        "",
      ].join("\n"),
    );
    assert.equal(snap.name, "browser");
    assert.deepEqual(snap.plugs.map((p) => [p.name, p.interface]), [
      ["shmem", "shared-memory"],
      ["browser-support", "browser-support"],
      ["network", "network"],
    ]);
    assert.deepEqual(snap.plugs[0].position, { line: 7, column: 3 });
  });

  it("refuses text that is not a YAML mapping as unreadable", () => {
    assert.throws(() => readSnapYaml("- a\n- b\n"), YamlSyntaxError);
    assert.throws(() => readSnapYaml("just text"), YamlSyntaxError);
    assert.throws(() => readSnapYaml("name: [unclosed\n"), YamlSyntaxError);
  });
});
