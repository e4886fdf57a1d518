/**
 * yaml.v2's Unmarshal reads the first document of a text and ignores the rest, except what its
 * reader checks past it (control characters in the 512-byte chunks it has read): held to the
 * real gopkg.in/yaml.v2 (tests/support/yaml-v2/main.go), error or not and the name it reads.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { YamlSyntaxError, YamlV2Document } from "../../src/model/yaml-v2";
import { goTool } from "../support/go-tool";

const pad = (bytes: number) => `description: ${"x".repeat(bytes - "description: \n".length)}\n`;
/** A text whose `---` (or `...`) line starts at byte `at`, with a control character `after` bytes past it. */
function boundary(at: number, after: number, marker = "---"): string {
  const head = "name: foo\n";
  const filler = at - head.length;
  const body = filler > 0 ? `${head}${pad(filler)}` : head;
  const tail = after <= 4 ? `${marker}${" ".repeat(Math.max(0, after - 3))}\u0001\n` : `${marker}\n#${"y".repeat(after - 6)}\n\u0001\n`;
  return `${body}${tail}`;
}

const TEXTS = [
  "name: foo\n---\nname: bar\n",
  "name: foo\n--- garbage: [\n",
  "name: foo\n---\n[\n",
  "name: foo\n--- ]\n",
  'name: foo\n---\n"unclosed\n',
  "name: foo\n---\n\t- x\n",
  "name: foo\n---\n%YAML 1.1\n",
  "name: foo\n...\n%YAML 1.1\n--- x\n",
  "name: foo\n...\n%BAD\n--- x\n",
  "name: foo\n...\n[\n",
  "name: foo\n---\n@x\n",
  "name: foo\n--- !<bad\n",
  "name: foo\n--- {a: b\n",
  "name: foo\n--- &a\n--- *b\n",
  "name: foo\n---\na: b\n a: c\n",
  "name: foo\n---",
  "---\nname: foo\n---\n",
  "--- \nname: foo\n--- [\n",
  "%YAML 1.1\n---\nname: foo\n---\n[\n",
  "name: foo\n  bad: indent\n---\n",
  "# only a comment\n",
  "",
  "---\n",
  "...\n",
  // Control characters: in the first document always, after it within the chunks read.
  "name: foo\u0001\n",
  "name: foo\n---\nx: \u0001\n",
  "name: foo\n---\nx: \u0080\n",
  "name: foo\n---\nx: \uFFFE\n",
  "name: foo\n---\nx: \u0085\u00a0\n",
  boundary(100, 300),
  boundary(100, 500),
  boundary(300, 250),
  boundary(508, 3),
  boundary(509, 3),
  boundary(510, 3),
  boundary(511, 3),
  boundary(512, 3),
  boundary(513, 3),
  boundary(1020, 4),
  boundary(1021, 4),
  boundary(509, 3, "..."),
  boundary(510, 3, "..."),
  // A two-byte character cut by the chunk's end is decoded with the next chunk.
  `name: foo\ndescription: ${"x".repeat(488)}\u00e9\n---\n\u0001\n`,
  `name: foo\ndescription: ${"x".repeat(489)}\u00e9\n---\n\u0001\n`,
  `name: foo\ndescription: ${"é".repeat(246)}\n---\nxx\u0001\n`,
  `name: foo\ndescription: ${"é".repeat(247)}\n---\nxx\u0001\n`,
];

interface Decoded {
  error?: string;
  name: string;
}

function ours(text: string): Decoded {
  try {
    const doc = YamlV2Document.parse(text);
    const name = doc.entries(doc.root).find((entry) => entry.keyText === "name");
    return { name: name ? doc.text(name.value) : "" };
  } catch (error) {
    if (error instanceof YamlSyntaxError) return { error: error.reason, name: "" };
    throw error;
  }
}

describe("snap.yaml with several YAML documents, as gopkg.in/yaml.v2 reads it (the real library)", function () {
  this.timeout(120_000);
  let theirs: Decoded[];

  before(() => {
    const run = spawnSync(goTool("yaml-v2", "golang-go and golang-gopkg-yaml.v2-dev"), [], { input: JSON.stringify(TEXTS), encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    theirs = JSON.parse(run.stdout) as Decoded[];
  });

  it("reads the first document, fails where yaml.v2 fails and nowhere else", () => {
    TEXTS.forEach((text, i) => {
      const mine = ours(text);
      const label = JSON.stringify(text.length > 80 ? `${text.slice(0, 30)}…${text.slice(-40)}` : text);
      assert.equal(mine.error !== undefined, theirs[i].error !== undefined, `${label}: ours ${mine.error ?? "reads it"}, yaml.v2 ${theirs[i].error ?? "reads it"}`);
      if (theirs[i].error === undefined) assert.equal(mine.name, theirs[i].name, label);
      if (theirs[i].error === "yaml: control characters are not allowed") assert.equal(mine.error, "control characters are not allowed", label);
    });
  });

  it("the boundary cases really straddle yaml.v2's chunk: some fail and some do not", () => {
    const outcomes = new Set(TEXTS.slice(TEXTS.indexOf(boundary(508, 3))).map((_, i, all) => theirs[TEXTS.indexOf(all[i])].error === undefined));
    assert.deepEqual([...outcomes].sort(), [false, true]);
  });
});
