import { strict as assert } from "node:assert";
import { goValueToJson } from "../../src/model/go-value";
import { checkSharedMemory, checkSharedMemoryPath, SharedMemoryReport } from "../../src/model/shared-memory";
import { readSnapYaml } from "../../src/model/snap-yaml";

function check(yaml: string): SharedMemoryReport {
  return checkSharedMemory(readSnapYaml(`name: shmtest\nversion: "1"\n${yaml}`));
}

/** The error of the one shared-memory plug or slot named `name`, or "valid". */
function verdict(report: SharedMemoryReport, name: string): string {
  const found = [...report.plugs, ...report.slots].find((i) => i.name === name);
  assert.ok(found, `${name} is a shared-memory plug or slot`);
  return found.valid ? "valid" : found.error!;
}

function attrs(report: SharedMemoryReport, name: string): unknown {
  const found = [...report.plugs, ...report.slots].find((i) => i.name === name)!;
  return Object.fromEntries([...found.attrs].map(([k, v]) => [k, goValueToJson(v)]));
}

describe("shared-memory plugs, as snapd checks them", () => {
  const plugTable: Array<[string, string]> = [
    ["private: true", "valid"],
    ["private: yes", "valid"],
    ["private: on", "valid"],
    ["private: Y", "valid"],
    ["private: no", "valid"],
    ['private: "true"', 'shared-memory "private" attribute must be a bool, not true'],
    ["private: 'yes'", 'shared-memory "private" attribute must be a bool, not yes'],
    ["private: 1", 'shared-memory "private" attribute must be a bool, not 1'],
    ["private: hello", 'shared-memory "private" attribute must be a bool, not hello'],
    ["private: 1.5", 'shared-memory "private" attribute must be a bool, not 1.5'],
    ["private: 1e6", 'shared-memory "private" attribute must be a bool, not 1e+06'],
    ["private: 2001-12-14", 'shared-memory "private" attribute must be a bool, not 2001-12-14'],
    ["private: [a, b]", 'shared-memory "private" attribute must be a bool, not [a b]'],
    ["private: {b: 1, a: x}", 'shared-memory "private" attribute must be a bool, not map[a:x b:1]'],
    ["shared-memory: [one, two]", 'shared-memory "shared-memory" attribute must be a string, not [one two]'],
    ["shared-memory: 12", 'shared-memory "shared-memory" attribute must be a string, not 12'],
    ["shared-memory: true", 'shared-memory "shared-memory" attribute must be a string, not true'],
    ["private: true\n    shared-memory: foo", 'shared-memory "shared-memory" attribute must not be set together with "private: true"'],
    ['private: true\n    shared-memory: ""', 'shared-memory "shared-memory" attribute must not be set together with "private: true"'],
    ['private: "x"\n    shared-memory: 3', 'shared-memory "private" attribute must be a bool, not x'],
    ["private: true\n    shared-memory: 3", 'shared-memory "shared-memory" attribute must be a string, not 3'],
  ];
  for (const [attributes, expected] of plugTable) {
    it(`${attributes.replace(/\n\s*/g, ", ")} → ${expected}`, () => {
      const report = check(`plugs:\n  shm:\n    interface: shared-memory\n    ${attributes}\n`);
      assert.equal(verdict(report, "shm"), expected);
      assert.equal(report.valid, expected === "valid");
      assert.equal(report.summary, expected === "valid" ? null : `snap "shmtest" has bad plugs or slots: shm (${expected})`);
    });
  }

  it("sanitizes: private defaults to false and shared-memory to the plug name", () => {
    const report = check("plugs:\n  shm:\n    interface: shared-memory\n");
    assert.deepEqual(attrs(report, "shm"), { private: false, "shared-memory": "shm" });
    assert.equal(report.privatePlug, null);
    const empty = check('plugs:\n  shm:\n    interface: shared-memory\n    shared-memory: ""\n');
    assert.deepEqual(attrs(empty, "shm"), { "shared-memory": "shm", private: false });
    const named = check("plugs:\n  shm:\n    interface: shared-memory\n    shared-memory: bus\n    private: false\n");
    assert.deepEqual(attrs(named, "shm"), { "shared-memory": "bus", private: false });
  });

  it("sanitizes a private plug to private: true with no shared-memory attribute", () => {
    const report = check("plugs:\n  shared-memory:\n    private: true\n");
    assert.deepEqual(attrs(report, "shared-memory"), { private: true });
    assert.equal(report.privatePlug, "shared-memory");
  });

  it("finds the interface by explicit interface:, short form, or the plug's own name", () => {
    const report = check(
      [
        "plugs:",
        "  shared-memory:",
        "  by-string: shared-memory",
        "  by-attr: {interface: shared-memory, shared-memory: x}",
        "  other: {interface: network}",
        "  shm-named-like-it: network",
        "",
      ].join("\n"),
    );
    assert.deepEqual(report.plugs.map((p) => p.name), ["by-attr", "by-string", "shared-memory"]);
    assert.ok(report.valid);
  });

  it("counts plugs that apps and hooks declare by name only", () => {
    const report = check(
      "apps:\n  app:\n    command: x\n    plugs: [shared-memory, network]\nhooks:\n  configure:\n    plugs: [home]\n",
    );
    assert.deepEqual(report.plugs.map((p) => p.name), ["shared-memory"]);
    assert.deepEqual(attrs(report, "shared-memory"), { private: false, "shared-memory": "shared-memory" });
  });

  it("an app naming a declared private plug adds no plug", () => {
    const report = check("plugs:\n  shm:\n    interface: shared-memory\n    private: true\napps:\n  app:\n    plugs: [shm]\n");
    assert.equal(report.plugs.length, 1);
    assert.equal(report.privatePlug, "shm");
  });

  it("fails two private plugs both, with snapd's summary", () => {
    const report = check(
      "plugs:\n  shm-b:\n    interface: shared-memory\n    private: true\n  shm-a:\n    interface: shared-memory\n    private: true\n",
    );
    assert.equal(
      report.summary,
      'snap "shmtest" has bad plugs or slots: shm-a, shm-b (shared-memory plug with "private: true" set cannot be used with other shared-memory plugs)',
    );
  });

  it("fails a private plug beside a plain shared-memory plug (implicit from an app too), not the plain one", () => {
    const report = check("plugs:\n  shm:\n    interface: shared-memory\n    private: true\napps:\n  app:\n    plugs: [shared-memory]\n");
    assert.equal(verdict(report, "shm"), 'shared-memory plug with "private: true" set cannot be used with other shared-memory plugs');
    assert.equal(verdict(report, "shared-memory"), "valid");
  });

  it("fails a private plug beside a shared-memory slot, even an invalid one", () => {
    const report = check("plugs:\n  shm:\n    interface: shared-memory\n    private: true\nslots:\n  shm-slot:\n    interface: shared-memory\n");
    assert.equal(verdict(report, "shm"), 'shared-memory plug with "private: true" set cannot be used with shared-memory slots');
    assert.equal(verdict(report, "shm-slot"), 'shared memory interface requires at least a valid "read" or "write" attribute');
    assert.equal(
      report.summary,
      'snap "shmtest" has bad plugs or slots: ' +
        'shm-slot (shared memory interface requires at least a valid "read" or "write" attribute); ' +
        'shm (shared-memory plug with "private: true" set cannot be used with shared-memory slots)',
    );
  });
});

describe("shared-memory slots, as snapd checks them", () => {
  function slot(attributes: string): SharedMemoryReport {
    return check(`slots:\n  shm:\n    interface: shared-memory\n    ${attributes}\n`);
  }
  const slotTable: Array<[string, string]> = [
    ["read: [a]", "valid"],
    ["write: [a*, b]", "valid"],
    ["read: []\n    write: [x]", "valid"],
    ["read: [.]", "valid"],
    ["shared-memory: 12\n    read: [a]", 'shared-memory "shared-memory" attribute must be a string, not 12'],
    ["shared-memory: 12\n    read: 3", 'shared-memory "shared-memory" attribute must be a string, not 12'],
    ["read: a string", 'shared-memory "read" attribute must be a list of strings, not "a string"'],
    ["write: a string", 'shared-memory "write" attribute must be a list of strings, not "a string"'],
    ["read: [a, 1]", 'shared-memory "read" attribute must be a list of strings, not "[a 1]"'],
    ["read: 3\n    write: x", 'shared-memory "read" attribute must be a list of strings, not "3"'],
    ["read: [a]\n    write: x", 'shared-memory "write" attribute must be a list of strings, not "x"'],
    ["read: []", 'shared memory interface requires at least a valid "read" or "write" attribute'],
    ["other: 1", 'shared memory interface requires at least a valid "read" or "write" attribute'],
    ['read: [""]', "shared-memory interface path is empty"],
    ['read: [" a"]', 'shared-memory interface path has leading or trailing spaces: " a"'],
    ['write: ["a\\t"]', 'shared-memory interface path has leading or trailing spaces: "a\\t"'],
    ['read: ["a?"]', 'shared-memory interface path is invalid: "a?" contains a reserved apparmor char from ?[]{}^"\0'],
    ['read: ["a{b,c}"]', 'shared-memory interface path is invalid: "a{b,c}" contains a reserved apparmor char from ?[]{}^"\0'],
    ["read: ['a\"b']", 'shared-memory interface path is invalid: "a\\"b" contains a reserved apparmor char from ?[]{}^"\0'],
    ['read: ["a\\0b"]', 'shared-memory interface path is invalid: "a\\x00b" contains a reserved apparmor char from ?[]{}^"\0'],
    ['read: ["a**"]', 'shared-memory interface path is invalid: "a**" contains ** which is unsupported'],
    ['read: ["a**?"]', 'shared-memory interface path is invalid: "a**?" contains a reserved apparmor char from ?[]{}^"\0'],
    ['read: ["a/b"]', "shared-memory interface path should not contain '/': \"a/b\""],
    ['read: ["../a"]', "shared-memory interface path should not contain '/': \"../a\""],
    ['read: [".."]', 'shared-memory interface path is not clean: ".."'],
    ['read: [ok, ""]\n    write: ["a/b"]', "shared-memory interface path is empty"],
    ['read: [ok]\n    write: ["a/b", ""]', "shared-memory interface path should not contain '/': \"a/b\""],
  ];
  for (const [attributes, expected] of slotTable) {
    it(`${attributes.replace(/\n\s*/g, ", ")} → ${expected.replace("\0", "\\0")}`, () => {
      assert.equal(verdict(slot(attributes), "shm"), expected);
    });
  }

  it("defaults shared-memory to the slot name", () => {
    assert.deepEqual(attrs(slot("read: [a]"), "shm"), { read: ["a"], "shared-memory": "shm" });
    assert.deepEqual(attrs(slot("shared-memory: bus\n    write: [a]"), "shm"), { "shared-memory": "bus", write: ["a"] });
  });

  it("checks a path directly", () => {
    assert.equal(checkSharedMemoryPath("foo*"), undefined);
    assert.equal(checkSharedMemoryPath("a\u00a0"), 'shared-memory interface path has leading or trailing spaces: "a\\u00a0"');
  });
});

describe("snapd's bad-plugs summary", () => {
  it("groups names by reason, reasons and names in byte order, joined as snapd joins them", () => {
    const report = check(
      [
        "plugs:",
        "  zed: {interface: shared-memory, private: 1}",
        "  abc: {interface: shared-memory, private: 1}",
        "  mid: {interface: shared-memory, shared-memory: 5}",
        "  ok: {interface: shared-memory}",
        "slots:",
        "  b-slot: {interface: shared-memory}",
        "",
      ].join("\n"),
    );
    // "shared memory ..." sorts first: a space is below a dash.
    assert.equal(
      report.summary,
      'snap "shmtest" has bad plugs or slots: ' +
        'b-slot (shared memory interface requires at least a valid "read" or "write" attribute); ' +
        'abc, zed (shared-memory "private" attribute must be a bool, not 1); ' +
        'mid (shared-memory "shared-memory" attribute must be a string, not 5)',
    );
    assert.equal(verdict(report, "ok"), "valid");
  });
});
