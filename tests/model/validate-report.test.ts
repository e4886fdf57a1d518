/**
 * `snap-shm validate`'s report, run in-process: snapd's messages kept exact with the place in
 * the file outside them, and the snaps whose fate the file alone cannot tell.
 */
import { strict as assert } from "node:assert";
import { EXIT_UNDETERMINED, runValidate } from "../../src/cli/validate-command";

function validate(yaml: string, ...flags: string[]) {
  const out = { stdout: "", stderr: "" };
  const status = runValidate([...flags, "snap.yaml"], {
    stdout: (text) => (out.stdout += text),
    stderr: (text) => (out.stderr += text),
    readFile: () => yaml,
  });
  return { status, ...out };
}

describe("snap-shm validate's report", () => {
  it("prints snapd's refusal exactly, the place in the file as a FILE:LINE:COLUMN: prefix", () => {
    const yaml = "name: malformed\nversion: '1'\nplugs:\n  shm: [shared-memory]\n";
    const human = validate(yaml);
    assert.equal(human.status, 1);
    assert.equal(human.stdout, 'snap.yaml:4:3: snapd refuses this snap: plug "shm" has malformed definition (found []interface {})\n');
    const json = JSON.parse(validate(yaml, "--json").stdout);
    assert.equal(json.error, 'plug "shm" has malformed definition (found []interface {})');
    assert.deepEqual(json.position, { line: 4, column: 3 });
  });

  it("exits 1 for snaps snapd 2.57.6 refuses outright: a bad app name, no version, an empty file", () => {
    const badApp = validate("name: foo\nversion: 1\napps:\n  Bad_App:\n    command: x\n");
    assert.equal(badApp.status, 1);
    assert.equal(
      badApp.stdout,
      'snap.yaml:4:3: snapd refuses this snap: invalid definition of application "Bad_App": cannot have "Bad_App" as app name - use letters, digits, and dash as separator\n',
    );
    assert.deepEqual([validate("name: foo\n").status, validate("name: foo\n").stdout], [1, "snap.yaml: snapd refuses this snap: invalid snap version: cannot be empty\n"]);
    for (const empty of ["", "# comment only\n"]) {
      assert.deepEqual([validate(empty).status, validate(empty).stdout], [1, "snap.yaml: snapd refuses this snap: snap name cannot be empty\n"]);
    }
    const list = validate("[]\n");
    assert.deepEqual([list.status, list.stdout], [1, "snap.yaml:1:1: snapd refuses this snap: cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into snap.snapYaml\n"]);
  });

  it("exits 0 for a second YAML document, which snapd never reads", () => {
    const { status, stdout } = validate("name: foo\nversion: '1'\nplugs:\n  shm: {interface: shared-memory, private: true}\n--- garbage: [\n");
    assert.equal(status, 0);
    assert.match(stdout, /foo asks for a private \/dev\/shm \(plug shm\)/);
  });

  it("exits 3 and says what it hangs on when a same-named slot of another interface may be dropped, keeping the private plug", () => {
    const yaml = "name: foo\nversion: '1'\nplugs:\n  p: {interface: shared-memory, private: true}\nslots:\n  p: {interface: content}\n";
    const { status, stdout, stderr } = validate(yaml);
    assert.equal(status, EXIT_UNDETERMINED);
    assert.equal(
      stdout,
      [
        "foo: 1 shared-memory plug, 0 slots",
        "  plug p: valid  private=true",
        "foo asks for a private /dev/shm (plug p).",
        'snap.yaml:6:3: cannot tell from the file alone: snapd refuses this snap (cannot have plug and slot with the same name: "p") unless it drops slot "p" (interface "content") while sanitizing, which depends on whether that snapd knows the interface and on the interface\'s own checks',
        "",
      ].join("\n"),
    );
    assert.match(stderr, /^snap-shm validate: snap\.yaml: not judged: p: plugs and slots of other interfaces than shared-memory/);
    const json = JSON.parse(validate(yaml, "--json").stdout);
    assert.deepEqual(json.undetermined, [
      { refusal: 'cannot have plug and slot with the same name: "p"', unlessDropped: [{ kind: "slot", name: "p", interface: "content" }], position: { line: 6, column: 3 } },
    ]);
  });

  it("names the plugs and slots of other interfaces it cannot judge, which snapd's warning may also list", () => {
    // snapd 2.57.6: snap "foo" has bad plugs or slots: bogus, bogus2 (unknown interface "no-such-iface")
    const { status, stderr } = validate("name: foo\nversion: '1'\nplugs:\n  bogus: no-such-iface\n  bogus2: no-such-iface\n  shm: {interface: shared-memory, private: true}\n");
    assert.equal(status, 0);
    assert.match(stderr, /not judged: bogus, bogus2: /);
  });
});
