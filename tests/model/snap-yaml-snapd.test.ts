/**
 * What snapd does with a snap.yaml, held to snapd 2.57.6 itself: every expectation below is
 * what `snap pack --check-skeleton` (snapd's own snap.yaml reading, sanitizing and
 * snap.Validate) printed for that text, its `cannot validate snap "<name>": ` prefix left off
 * (snapd's install gives snap.Validate's message without it).
 */
import { strict as assert } from "node:assert";
import { declaredPrivatePlug } from "../../src/model/operation-mode";
import { checkSharedMemory } from "../../src/model/shared-memory";
import { readSnapYaml, SnapDeclaration, SnapDefinitionError } from "../../src/model/snap-yaml";

interface Outcome {
  /** snapd refuses the snap with this message. */
  refused?: string;
  /** snapd installs it with this warning. */
  warning?: string;
}

/** [snap.yaml, what snapd 2.57.6 did with it]. */
const CASES: Array<[string, Outcome]> = [
  ["name: foo\nversion: 1\napps:\n  Bad_App:\n    command: x\n", { refused: "invalid definition of application \"Bad_App\": cannot have \"Bad_App\" as app name - use letters, digits, and dash as separator" }],
  ["name: foo\n", { refused: "invalid snap version: cannot be empty" }],
  ["name: foo\nversion: ~\n", { refused: "invalid snap version: cannot be empty" }],
  ["name: foo\nversion: 1.0\n", {}],
  ["name: foo\nversion: 'a!b@@c'\n", { refused: "invalid snap version \"a!b@@c\": contains invalid characters: \"!\", \"@@\"" }],
  ["name: foo\nversion: '.a!b'\n", { refused: "invalid snap version \".a!b\": must start with an ASCII alphanumeric (and not '.'), and contains invalid characters: \"!\"" }],
  ["name: foo\nversion: '-'\n", { refused: "invalid snap version \"-\": must start with an ASCII alphanumeric (and not '-')" }],
  ["name: foo\nversion: 'a.'\n", { refused: "invalid snap version \"a.\": must end with an ASCII alphanumeric or one of '+' or '~' (and not '.')" }],
  ["name: foo\nversion: 'é'\n", { refused: "invalid snap version \"\\u00e9\": must be printable, non-whitespace ASCII" }],
  ["name: foo\nversion: 'a b'\n", { refused: "invalid snap version \"a b\": must be printable, non-whitespace ASCII" }],
  ["name: foo\nversion: \"a\\tb\\u0001\"\n", { refused: "invalid snap version \"a\\tb\\x01\": must be printable, non-whitespace ASCII" }],
  ["name: foo\nversion: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n", { refused: "invalid snap version \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": cannot be longer than 32 characters (got: 33)" }],
  ["name: foo\nversion: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.!'\n", { refused: "invalid snap version \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.!\": cannot be longer than 32 characters (got: 33), and must end with an ASCII alphanumeric or one of '+' or '~' (and not '!')" }],
  ["name: foo\nversion: \"'a'\"\n", { refused: "invalid snap version \"'a'\": must start with an ASCII alphanumeric (and not '\\''), and must end with an ASCII alphanumeric or one of '+' or '~' (and not '\\'')" }],
  ["name: foo\nversion: 'a\\b'\n", { refused: "invalid snap version \"a\\\\b\": contains invalid characters: \"\\\\\"" }],
  ["name: foo\nversion: 'a\"b'\n", { refused: "invalid snap version \"a\\\"b\": contains invalid characters: \"\\\"\"" }],
  ["name: foo\nversion: 1.0~rc1+git\n", {}],
  ["name: Foo\n", { refused: "invalid snap name: \"Foo\"" }],
  ["name: foo\nversion: \"1\"\ntitle: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", { refused: "title can have up to 40 codepoints, got 41" }],
  ["name: foo\nversion: \"1\"\ntitle: éééééééééééééééééééééééééééééééééééééééé\n", {}],
  [`name: foo\nversion: "1"\ndescription: ${"x".repeat(4097)}\n`, { refused: "description can have up to 4096 codepoints, got 4097" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    command: bin/foo \"x\"\n", { refused: "invalid definition of application \"a\": app description field 'command' contains illegal \"bin/foo \\\"x\\\"\" (legal: '^[A-Za-z0-9/. _#:$-]*$')" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    command: bin/foo --x=$SNAP/y\n", { refused: "invalid definition of application \"a\": app description field 'command' contains illegal \"bin/foo --x=$SNAP/y\" (legal: '^[A-Za-z0-9/. _#:$-]*$')" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    stop-command: \"bin/stop 'now'\"\n", { refused: "invalid definition of application \"a\": app description field 'stop-command' contains illegal \"bin/stop 'now'\" (legal: '^[A-Za-z0-9/. _#:$-]*$')" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    daemon: bogus\n", { refused: "invalid definition of application \"a\": \"daemon\" field contains invalid value \"bogus\"" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    daemon: simple\n    daemon-scope: user\n", {}],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    daemon-scope: user\n", { refused: "invalid definition of application \"a\": \"daemon-scope\" can only be set for daemons" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    daemon-scope: bogus\n    daemon: simple\n", { refused: "cannot parse snap.yaml: invalid daemon scope: \"bogus\"" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    command-chain: [a b]\n", { refused: "invalid definition of application \"a\": app description field 'command-chain' contains illegal \"a b\" (legal: '^[A-Za-z0-9/._#:$-]*$')" }],
  ["name: foo\nversion: \"1\"\napps:\n  a-1:\n  B2:\n", {}],
  ["name: foo\nversion: \"1\"\napps:\n  -a:\n", { refused: "invalid definition of application \"-a\": cannot have \"-a\" as app name - use letters, digits, and dash as separator" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n", {}],
  ["name: foo\nversion: \"1\"\nhooks:\n  configure:\n    command-chain: [a b]\n", { refused: "hook command-chain contains illegal \"a b\" (legal: '^[A-Za-z0-9/._#:$-]*$')" }],
  ["name: foo\nversion: \"1\"\nhooks:\n  prepare-plug-a--b: {}\n", { refused: "invalid hook name: \"prepare-plug-a--b\"" }],
  ["name: foo\nversion: \"1\"\nhooks:\n  not-a-hook:\n    command-chain: [a b]\n", {}],
  ["[]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into snap.snapYaml" }],
  ["hello\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `hello` into snap.snapYaml" }],
  ["5\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!int `5` into snap.snapYaml" }],
  ["hello world long text\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `hello w...` into snap.snapYaml" }],
  ["\n\n[]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!seq into snap.snapYaml" }],
  ["2001-12-14\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!timestamp `2001-12-14` into snap.snapYaml" }],
  ["yes\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!bool `yes` into snap.snapYaml" }],
  ["1.5\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!float `1.5` into snap.snapYaml" }],
  ["'a'\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `a` into snap.snapYaml" }],
  ["name: [a]\nversion: {a: 1}\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into string\n  line 2: cannot unmarshal !!map into string" }],
  ["name: foo\nversion: \"1\"\napps:\n  a: [x]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!seq into snap.appYaml" }],
  ["name: foo\nversion: \"1\"\napps: [x]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!seq into map[string]snap.appYaml" }],
  ["name: foo\nversion: \"1\"\nplugs: [x]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!seq into map[string]interface {}" }],
  ["name: foo\nversion: \"1\"\nslots: x\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `x` into map[string]interface {}" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    plugs: x\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!str `x` into []string" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    plugs: [[x], {a: b}]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!seq into string\n  line 5: cannot unmarshal !!map into string" }],
  ["name: foo\nversion: \"1\"\nhooks:\n  configure: x\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!str `x` into snap.hookYaml" }],
  ["name: foo\nversion: \"1\"\nhooks:\n  not-a-hook:\n    plugs: shm\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!str `shm` into []string" }],
  ["name: foo\nversion: \"1\"\napps:\n  a: x\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!str `x` into snap.appYaml" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    command: [x]\n    daemon-scope: bogus\n", { refused: "cannot parse snap.yaml: invalid daemon scope: \"bogus\"" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    command: [x]\n  b:\n    plugs: 12\nplugs: [x]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!seq into string\n  line 7: cannot unmarshal !!int `12` into []string\n  line 8: cannot unmarshal !!seq into map[string]interface {}" }],
  ["", { refused: "snap name cannot be empty" }],
  ["# only a comment\n", { refused: "snap name cannot be empty" }],
  ["~\n", { refused: "snap name cannot be empty" }],
  ["name: foo\nversion: \"1\"\n---\nname: bar\n", {}],
  ["name: foo\nversion: \"1\"\n--- garbage: [\n", {}],
  ["name: foo\nversion: \"1\"\nplugs:\n  p: {interface: shared-memory, private: true}\nslots:\n  p: {interface: content}\n", { warning: "snap \"foo\" has bad plugs or slots: p (read or write path must be set)" }],
  ["name: foo\nversion: \"1\"\nplugs:\n  p: {interface: shared-memory, private: true}\napps:\n  a:\n    slots: [p]\n", { warning: "snap \"foo\" has bad plugs or slots: p (unknown interface \"p\")" }],
  ["name: foo\nversion: \"1\"\nplugs:\n  p: shared-memory\nslots:\n  p: network\n", { refused: "cannot have plug and slot with the same name: \"p\"" }],
  ["name: foo\nversion: \"1\"\nplugs:\n  net: network\napps:\n  app:\n    slots: [net]\n", { warning: "snap \"foo\" has bad plugs or slots: net (unknown interface \"net\")" }],
  ["name: foo\nversion: \"1\"\nplugs:\n  p: shared-memory\nslots:\n  p: {interface: shared-memory, read: [a]}\n", { refused: "cannot have plug and slot with the same name: \"p\"" }],
  ["name: foo\nversion: \"1\"\nplugs:\n  bogus: no-such-iface\n  bogus2: no-such-iface\n  shm: {interface: shared-memory, private: true}\n", { warning: "snap \"foo\" has bad plugs or slots: bogus, bogus2 (unknown interface \"no-such-iface\")" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    plugs: [1.0, 0x1F, yes]\nplugs:\n  shm-b:\n", { warning: "snap \"foo\" has bad plugs or slots: 0x1F (unknown interface \"0x1F\"); 1.0 (unknown interface \"1.0\"); shm-b (unknown interface \"shm-b\"); yes (unknown interface \"yes\")" }],
  ["name: foo\nversion: \"1\"\nplugs:\n  ok: shared-memory\n  shm: [a]\n", { refused: "plug \"shm\" has malformed definition (found []interface {})" }],
  // yaml.v2 decodes each app and hook into a struct: a merge key brings fields in, and every value met is decoded, even one a later key or merge overwrites (type errors in decoding order).
  ["name: foo\nversion: \"1\"\nx-base: &base\n  command: bin/foo\n  daemon: simple\napps:\n  foo:\n    <<: *base\n", {}],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  daemon: bogus\napps:\n  foo:\n    <<: *base\n    command: bin/foo\n", { refused: "invalid definition of application \"foo\": \"daemon\" field contains invalid value \"bogus\"" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  daemon: bogus\napps:\n  foo:\n    daemon: simple\n    <<: *base\n", { refused: "invalid definition of application \"foo\": \"daemon\" field contains invalid value \"bogus\"" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  command: bin/foo\napps:\n  foo:\n    <<: *base\n    command:\n", {}],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  command-chain: [a b]\nhooks:\n  configure:\n    <<: *base\n", { refused: "hook command-chain contains illegal \"a b\" (legal: '^[A-Za-z0-9/._#:$-]*$')" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  command-chain: [a b]\nhooks:\n  configure:\n    <<: *base\n    command-chain: [ok]\n", {}],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  command: [x]\napps:\n  foo:\n    <<: *base\n    command: bin/foo\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!seq into string" }],
  ["name: foo\nversion: \"1\"\napps:\n  foo:\n    command: [x]\n    command: bin/foo\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!seq into string" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  daemon-scope: bogus\napps:\n  foo:\n    <<: *base\n    daemon-scope: user\n    daemon: simple\n", { refused: "cannot parse snap.yaml: invalid daemon scope: \"bogus\"" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  daemon-scope: bad2\napps:\n  foo:\n    daemon-scope: bad1\n    <<: *base\n    daemon-scope: user\n    daemon: simple\n", { refused: "cannot parse snap.yaml: invalid daemon scope: \"bad1\"" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  plugs: x\nhooks:\n  configure:\n    <<: *base\n    plugs: [a]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!str `x` into []string" }],
  ["name: foo\nversion: \"1\"\nhooks:\n  not-a-hook:\n    <<: {plugs: x}\n    plugs: [a]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!str `x` into []string" }],
  ["name: foo\nversion: \"1\"\napps:\n  a:\n    command: [x]\n  a:\n    command: y\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!seq into string" }],
  ["name: foo\nversion: \"1\"\napps:\n  <<: {a: {command: [x]}}\n  a:\n    command: y\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 4: cannot unmarshal !!seq into string" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  daemon: [y]\napps:\n  foo:\n    command: [x]\n    <<: *base\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 7: cannot unmarshal !!seq into string\n  line 4: cannot unmarshal !!seq into string" }],
  ["name: foo\nversion: \"1\"\nx-base: &base\n  plugs: x\napps:\n  a:\n    command: [x]\n  b:\n    <<: [{command-chain: [[y]]}, *base]\n    plugs: [p]\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 7: cannot unmarshal !!seq into string\n  line 4: cannot unmarshal !!str `x` into []string\n  line 9: cannot unmarshal !!seq into string" }],
  ["x-v: &v\n  version: [1]\nname: foo\napps:\n  a: {command: [x]}\n<<: *v\n", { refused: "cannot parse snap.yaml: yaml: unmarshal errors:\n  line 5: cannot unmarshal !!seq into string\n  line 2: cannot unmarshal !!seq into string" }],
];

/**
 * Texts whose outcome hangs on whether snapd drops a plug or slot of another interface than
 * shared-memory: validate cannot tell, and must not claim a refusal (nor a clean install).
 */
const UNDETERMINED = new Set([
  'name: foo\nversion: "1"\nplugs:\n  p: {interface: shared-memory, private: true}\nslots:\n  p: {interface: content}\n',
  'name: foo\nversion: "1"\nplugs:\n  p: {interface: shared-memory, private: true}\napps:\n  a:\n    slots: [p]\n',
  'name: foo\nversion: "1"\nplugs:\n  p: shared-memory\nslots:\n  p: network\n',
  'name: foo\nversion: "1"\nplugs:\n  net: network\napps:\n  app:\n    slots: [net]\n',
]);

function outcome(yaml: string): { snap?: SnapDeclaration; error?: SnapDefinitionError } {
  try {
    return { snap: readSnapYaml(yaml) };
  } catch (error) {
    if (error instanceof SnapDefinitionError) return { error };
    throw error;
  }
}

describe("snap.yaml as snapd 2.57.6 reads, sanitizes and validates it (snap pack --check-skeleton)", () => {
  for (const [yaml, expected] of CASES) {
    const label = JSON.stringify(yaml.length > 100 ? `${yaml.slice(0, 60)}…` : yaml);
    if (UNDETERMINED.has(yaml)) {
      it(`cannot tell from the file alone: ${label}`, () => {
        const { snap, error } = outcome(yaml);
        assert.equal(error, undefined, "no refusal is claimed");
        const [undetermined] = snap!.undetermined ?? [];
        assert.ok(undetermined, "the refusal is reported as undetermined");
        // When snapd refused, it was with this refusal; when it installed, it dropped one of these.
        if (expected.refused !== undefined) assert.equal(undetermined.refusal, expected.refused);
        else assert.ok(undetermined.unlessDropped.some((d) => expected.warning!.includes(`${d.name} (`)), expected.warning);
      });
      continue;
    }
    if (expected.refused !== undefined) {
      it(`refuses ${label}: ${expected.refused.split("\n").join(" / ")}`, () => {
        const { error } = outcome(yaml);
        assert.ok(error, "snapd refuses it");
        assert.equal(error.reason, expected.refused);
        assert.equal(error.message, expected.refused, "the message is snapd's alone, no position in it");
      });
    } else {
      it(`installs ${label}`, () => {
        const { snap, error } = outcome(yaml);
        assert.equal(error?.reason, undefined);
        assert.deepEqual(snap!.undetermined ?? [], []);
      });
    }
  }

  it("keeps a private plug snapd keeps beside a same-named slot of another interface (snapd installed it, so it dropped the slot)", () => {
    const yaml = 'name: foo\nversion: "1"\nplugs:\n  p: {interface: shared-memory, private: true}\nslots:\n  p: {interface: content}\n';
    assert.equal(checkSharedMemory(readSnapYaml(yaml)).privatePlug, "p");
    assert.equal(declaredPrivatePlug(yaml), "p");
  });

  it("places a refusal in the file without putting the place in snapd's message", () => {
    const { error } = outcome('name: foo\nversion: "1"\nplugs:\n  ok: shared-memory\n  shm: [a]\n');
    assert.deepEqual(error!.position, { line: 5, column: 3 });
    assert.deepEqual(outcome("name: foo\nversion: '1'\napps:\n  ok:\n  Bad_App:\n").error!.position, { line: 5, column: 3 });
    assert.deepEqual(outcome("\n\n[]\n").error!.position, { line: 3, column: 1 });
  });
});
