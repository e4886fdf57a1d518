import { strict as assert } from "node:assert";
import { badInterfacesSummary } from "../../src/model/bad-plugs-summary";
import { declaredPrivatePlug } from "../../src/model/operation-mode";
import { checkSharedMemory } from "../../src/model/shared-memory";
import { isHookSupported, readSnapYaml, SnapDeclaration, SnapDefinitionError, YamlSyntaxError } from "../../src/model/snap-yaml";

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
    ["plugs:\n  shm: {private: {1: a}}\n", 'attribute "private" of plug "shm": non-string key: 1'],
    ["plugs:\n  shm: {private: [{true: a}]}\n", 'attribute "private" of plug "shm": non-string key: true'],
    ["plugs:\n  shm: shared-memory\nslots:\n  shm: {interface: shared-memory, read: [a]}\n", 'cannot have plug and slot with the same name: "shm"'],
  ];
  for (const [yaml, message] of refusals) {
    it(`refuses: ${message}`, () => {
      const error = definitionError(`name: shmtest\nversion: "1"\n${yaml}`);
      assert.equal(error.reason, message);
    });
  }

  it("places a definition error at its plug, outside snapd's message", () => {
    const error = definitionError("name: shmtest\nplugs:\n  ok: shared-memory\n  shm: [a]\n");
    assert.deepEqual(error.position, { line: 4, column: 3 });
    assert.equal(error.message, 'plug "shm" has malformed definition (found []interface {})');
  });

  it("checks the snap name with snapd's message", () => {
    assert.equal(definitionError("name: Shm\n").reason, 'invalid snap name: "Shm"');
    assert.equal(definitionError("name: 123\n").reason, 'invalid snap name: "123"');
    assert.equal(definitionError('name: "~"\n').reason, 'invalid snap name: "~"');
  });

  it("refuses a missing or null name as empty, as snap.Validate checks first", () => {
    // yaml.v2 decodes a null into a string field as "".
    for (const yaml of ["version: 1\n", "name: ~\n", "name:\n", "name: null\n", 'name: ""\n', "name: !!null\n"]) {
      assert.equal(definitionError(yaml).reason, "snap name cannot be empty", yaml);
    }
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

  it("refuses YAML that is not a mapping as snapd does (yaml.v2's unmarshal error), and text that is not YAML as unreadable", () => {
    // snap pack --check-skeleton (snapd 2.57.6) on each text.
    assert.equal(definitionError("- a\n- b\n").reason, "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into snap.snapYaml");
    assert.equal(definitionError("just text").reason, "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `just text` into snap.snapYaml");
    assert.throws(() => readSnapYaml("name: [unclosed\n"), YamlSyntaxError);
  });

  it("reads empty and comment-only text as yaml.v2 does, an empty mapping: snapd refuses it for its name", () => {
    for (const yaml of ["", "# only a comment\n", "\n\n", "---\n", "~\n"]) {
      assert.equal(definitionError(yaml).reason, "snap name cannot be empty", JSON.stringify(yaml));
    }
  });

  it("reads the first YAML document only, as yaml.v2's Unmarshal does", () => {
    assert.equal(readSnapYaml("name: foo\nversion: '1'\n---\nname: bar\n").name, "foo");
    assert.equal(readSnapYaml("name: foo\nversion: '1'\n--- garbage: [\n").name, "foo");
  });
});

/** The snap, with its plugs, slots and dropped ones as [name, interface] or [name, reason]. */
function read(yaml: string): SnapDeclaration {
  return readSnapYaml(`name: shmtest\nversion: "1"\n${yaml}`);
}
const names = (declarations: Array<{ name: string; interface: string }>) => declarations.map((d) => [d.name, d.interface]);
const reasons = (snap: SnapDeclaration) => (snap.dropped ?? []).map((d) => [d.name, d.reason]);

describe("dropping bad plugs and slots as snapd's SanitizePlugsSlots does: the snap still installs", () => {
  const drops: Array<[string, string, string]> = [
    ["plugs:\n  Shm: shared-memory\n", "Shm", 'invalid plug name: "Shm"'],
    ["slots:\n  shm_1: shared-memory\n", "shm_1", 'invalid slot name: "shm_1"'],
    // The interface is checked first: an implicit plug's interface is its own name.
    ["apps:\n  app:\n    plugs: [Bad]\n", "Bad", 'unknown interface "Bad"'],
    ["plugs:\n  Shm: {interface: Shared-Memory}\n", "Shm", 'unknown interface "Shared-Memory"'],
    ['plugs:\n  shm: ""\n', "shm", 'unknown interface ""'],
    ["hooks:\n  configure:\n    slots: [x_y]\n", "x_y", 'unknown interface "x_y"'],
  ];
  for (const [yaml, name, reason] of drops) {
    it(`drops ${name}: ${reason}`, () => {
      const snap = read(yaml);
      assert.deepEqual(reasons(snap), [[name, reason]]);
      assert.deepEqual([...snap.plugs, ...snap.slots], []);
    });
  }

  it("keeps the good ones and gives snapd's warning for the dropped", () => {
    const snap = read("plugs:\n  Shm: shared-memory\n  ok: shared-memory\napps:\n  app:\n    plugs: [Bad, ok]\nslots:\n  A_B: {interface: shared-memory, read: [a]}\n");
    assert.deepEqual(names(snap.plugs), [["ok", "shared-memory"]]);
    assert.deepEqual(snap.slots, []);
    const summary = badInterfacesSummary(snap.name, new Map((snap.dropped ?? []).map((d) => [d.name, d.reason])));
    assert.equal(
      summary,
      'snap "shmtest" has bad plugs or slots: Shm (invalid plug name: "Shm"); A_B (invalid slot name: "A_B"); Bad (unknown interface "Bad")',
    );
    const report = checkSharedMemory(snap);
    assert.equal(report.summary, summary, "validate gives snapd's whole warning");
    assert.deepEqual(
      [...report.plugs, ...report.slots].map((i) => [i.name, i.valid]),
      [["Shm", false], ["ok", true], ["A_B", false]],
      "the shared-memory ones snapd drops are listed as refused",
    );
    assert.equal(report.valid, false);
    const unrelated = checkSharedMemory(read("plugs:\n  shm: {interface: shared-memory, private: true}\napps:\n  app:\n    plugs: [Bad, shm]\n"));
    assert.equal(unrelated.valid, true, "a dropped plug of another interface leaves the shared-memory plugs valid");
    assert.equal(unrelated.privatePlug, "shm");
    assert.equal(unrelated.summary, 'snap "shmtest" has bad plugs or slots: Bad (unknown interface "Bad")');
  });

  it("checks plug and slot names unique only among what is left", () => {
    // The slot is dropped (unknown interface), so the plug of the same name stands alone.
    assert.deepEqual(names(read("plugs:\n  shm: shared-memory\nslots:\n  shm: {interface: Shm}\n").plugs), [["shm", "shared-memory"]]);
    // shared-memory drops a slot with no read or write path before snap.Validate looks.
    assert.deepEqual(names(read("plugs:\n  shm: shared-memory\nslots:\n  shm: shared-memory\n").plugs), [["shm", "shared-memory"]]);
  });

  it("fails a private plug beside a shared-memory plug or slot dropped for its name, as snapd checks it before removing any", () => {
    const besidePlug = "plugs:\n  Shm: shared-memory\n  shm: {interface: shared-memory, private: true}\n";
    assert.deepEqual(reasons(read(besidePlug)), [
      ["Shm", 'invalid plug name: "Shm"'],
      ["shm", 'shared-memory plug with "private: true" set cannot be used with other shared-memory plugs'],
    ]);
    assert.equal(checkSharedMemory(read(besidePlug)).privatePlug, null);
    assert.equal(declaredPrivatePlug(`name: shmtest\nversion: "1"\n${besidePlug}`), undefined);
    const besideSlot = "plugs:\n  shm: {interface: shared-memory, private: true}\nslots:\n  Shm-slot: {interface: shared-memory, read: [a]}\n";
    assert.deepEqual(reasons(read(besideSlot))[1], ["shm", 'shared-memory plug with "private: true" set cannot be used with shared-memory slots']);
    assert.equal(declaredPrivatePlug(`name: shmtest\nversion: "1"\n${besideSlot}`), undefined);
  });

  it("a private plug whose only fault is its name is dropped, never taken as the snap's private plug", () => {
    const yaml = "name: shmtest\nversion: '1'\nplugs:\n  Private-Shm: {interface: shared-memory, private: true}\n";
    assert.deepEqual(reasons(readSnapYaml(yaml)), [["Private-Shm", 'invalid plug name: "Private-Shm"']]);
    assert.equal(declaredPrivatePlug(yaml), undefined);
  });
});

describe("naming plugs and slots by their YAML text, as yaml.v2 decodes map[string] keys and []string items", () => {
  it("y and yes are two plugs, so a private one beside the other fails", () => {
    const yaml = "plugs:\n  y: shared-memory\n  yes: {interface: shared-memory, private: true}\n";
    assert.deepEqual(names(read(yaml).plugs), [["y", "shared-memory"], ["yes", "shared-memory"]]);
    assert.equal(checkSharedMemory(read(yaml)).privatePlug, null);
    assert.equal(declaredPrivatePlug(`name: shmtest\nversion: "1"\n${yaml}`), undefined);
  });

  it("true and \"true\" are one plug, the later winning", () => {
    const snap = read('plugs:\n  true: shared-memory\n  "true": {interface: shared-memory, private: true}\n');
    assert.deepEqual(names(snap.plugs), [["true", "shared-memory"]]);
    assert.equal(checkSharedMemory(snap).privatePlug, "true");
  });

  it("names an app's or hook's plugs by their text: 0123 is \"0123\", off is \"off\", ~ is \"\"", () => {
    const snap = read('plugs:\n  "off": {interface: shared-memory, private: true}\napps:\n  app:\n    plugs: [off, 0123, ~]\nhooks:\n  install:\n    plugs: [0x1F]\n');
    assert.deepEqual(names(snap.plugs), [["off", "shared-memory"]]);
    assert.deepEqual(reasons(snap), [
      ["0123", 'unknown interface "0123"'],
      ["", 'unknown interface ""'],
      ["0x1F", 'unknown interface "0x1F"'],
    ]);
    assert.equal(checkSharedMemory(snap).privatePlug, "off");
  });

  it("reads apps, hooks and snap.yaml's own fields by their key's text", () => {
    const snap = readSnapYaml('"name": shmtest\nversion: 1\n"apps":\n  yes:\n    "plugs": [shared-memory]\n  y:\n    plugs: [network]\n');
    assert.deepEqual(names(snap.plugs), [["shared-memory", "shared-memory"], ["network", "network"]]);
  });
});

describe("hooks snapd does not support", () => {
  it("create no plugs or slots: setHooksFromSnapYaml skips them", () => {
    const snap = read("plugs:\n  shm: {interface: shared-memory, private: true}\nhooks:\n  not-a-hook:\n    plugs: [shared-memory]\n    slots: [Bad]\n");
    assert.deepEqual(names(snap.plugs), [["shm", "shared-memory"]]);
    assert.deepEqual(reasons(snap), []);
    assert.equal(checkSharedMemory(snap).privatePlug, "shm");
  });

  it("a supported hook does create them", () => {
    const snap = read("plugs:\n  shm: {interface: shared-memory, private: true}\nhooks:\n  connect-plug-shm:\n    plugs: [shared-memory]\n");
    assert.deepEqual(names(snap.plugs), [["shm", "shared-memory"], ["shared-memory", "shared-memory"]]);
    assert.equal(checkSharedMemory(snap).privatePlug, null);
  });

  it("still refuse a malformed list, which yaml.v2 decodes whatever the hook", () => {
    assert.equal(
      definitionError('name: foo\nversion: "1"\nhooks:\n  not-a-hook:\n    plugs: shm\n').reason,
      "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!str `shm` into []string",
    );
  });

  it("match snapd's hook patterns", () => {
    for (const name of ["configure", "install", "remove", "pre-refresh", "post-refresh", "prepare-device", "check-health", "gate-auto-refresh",
      "prepare-plug-shm", "unprepare-slot-a-1", "connect-plug-x", "disconnect-slot-y", "fde-setup", "install-device", "change-view-a_B"]) {
      assert.ok(isHookSupported(name), name);
    }
    for (const name of ["", "configure-x", "Configure", "prepare-plug-", "prepare-plug-Shm", "connect-shm", "post-install", "change-view-", "change-view-a\nb"]) {
      assert.ok(!isHookSupported(name), name);
    }
  });
});

describe("an app's or hook's fields through merge keys, as yaml.v2 decodes snapd's appYaml and hookYaml", () => {
  it("creates the plugs and slots a merge brings in, a later list replacing a merged one", () => {
    const snap = read("x: &base {plugs: [shm-a], slots: [shm-b]}\napps:\n  app:\n    <<: *base\n    plugs: [shm-c]\n");
    assert.deepEqual(names(snap.plugs), [["shm-c", "shm-c"]]);
    assert.deepEqual(names(snap.slots), [["shm-b", "shm-b"]]);
  });

  it("places a type error at the first one yaml.v2 reports, in its decoding order rather than the file's", () => {
    const error = definitionError('name: foo\nversion: "1"\nx-base: &base\n  daemon: [y]\napps:\n  foo:\n    command: [x]\n    <<: *base\n');
    assert.deepEqual(error.position, { line: 7, column: 14 });
  });

  it("places an overwritten daemon-scope snapd refuses at that value", () => {
    const error = definitionError('name: foo\nversion: "1"\nx-base: &base\n  daemon-scope: bogus\napps:\n  foo:\n    <<: *base\n    daemon-scope: user\n    daemon: simple\n');
    assert.deepEqual(error.position, { line: 4, column: 17 });
  });

  it("refuses a merge of anything but mappings as yaml.v2 does", () => {
    assert.throws(
      () => readSnapYaml('name: foo\nversion: "1"\napps:\n  a:\n    <<: [x]\n'),
      (e: unknown) => e instanceof YamlSyntaxError && e.reason === "map merge requires map or sequence of maps as the value",
    );
  });
});

describe("sections given twice, as yaml.v2 decodes snapd's map fields", () => {
  const PRIVATE = "  b: {interface: shared-memory, private: true}\n";
  const privatePlugOf = (yaml: string) => checkSharedMemory(read(yaml)).privatePlug;

  it("adds a second `plugs:` to the first, so a private plug there meets the other shared-memory plug", () => {
    const twice = `plugs:\n  a: shared-memory\nplugs:\n${PRIVATE}`;
    assert.deepEqual(names(read(twice).plugs), [["a", "shared-memory"], ["b", "shared-memory"]]);
    assert.equal(privatePlugOf(twice), null, "snapd refuses the private plug beside another shared-memory plug");
  });

  it("adds the plugs of a merged mapping, where the merge stands", () => {
    const merged = `<<: {plugs: {a: shared-memory}}\nplugs:\n${PRIVATE}`;
    assert.deepEqual(names(read(merged).plugs), [["a", "shared-memory"], ["b", "shared-memory"]]);
    assert.equal(privatePlugOf(merged), null);
  });

  it("empties the map at a null, and keeps the last definition of a plug given twice", () => {
    assert.equal(privatePlugOf(`plugs:\n  a: shared-memory\nplugs:\nplugs:\n${PRIVATE}`), "b");
    assert.deepEqual(names(read("plugs:\n  a: shared-memory\nplugs:\n  a: network\n").plugs), [["a", "network"]]);
  });

  it("adds apps given twice, a later app replacing one of the same name", () => {
    const snap = read(`plugs:\n${PRIVATE}apps:\n  one: {plugs: [b]}\napps:\n  two: {plugs: [shm-extra]}\n`);
    assert.deepEqual(names(snap.plugs), [["b", "shared-memory"], ["shm-extra", "shm-extra"]]);
  });
});
