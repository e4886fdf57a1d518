/**
 * snap-shm's reading of snap.yaml held to the real gopkg.in/yaml.v2 (Debian's
 * golang-gopkg-yaml.v2-dev, built by tests/support/yaml-v2/main.go into snapd's snapYaml
 * shape): the names each map field ends with, and each app's and hook's plug and slot lists,
 * for duplicate sections, merge keys, nulls and keys YAML 1.1 would resolve to other types.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { MappingEntry, YamlV2Document } from "../../src/model/yaml-v2";
import { goTool } from "../support/go-tool";

interface Decoded {
  error?: string;
  name: string;
  plugs: string[];
  slots: string[];
  apps: Record<string, string[]>;
  hooks: Record<string, string[]>;
}

const TEXTS = [
  "name: s\nplugs:\n  a: shared-memory\nplugs:\n  b: {interface: shared-memory, private: true}\n",
  "<<: {plugs: {a: shared-memory}}\nplugs:\n  b: x\n",
  "<<: [{plugs: {a: x}}, {plugs: {c: x}}]\nplugs: {b: x}\n",
  "plugs:\n  a: shared-memory\nplugs:\nplugs:\n  b: x\n",
  "plugs: {y: x, yes: x, true: x, 'true': x, 0123: x, off: x, ~: x}\n",
  "apps:\n  one: {plugs: [b, 0123, off, ~]}\napps:\n  two: {plugs: [c], slots: [d]}\n",
  "apps:\n  one: {plugs: [b]}\napps:\n  one: {command: x}\n",
  "hooks:\n  configure: {plugs: [a]}\nhooks:\n  install: {plugs: [b]}\nslots: {s: x}\nslots: {t: x}\n",
  "name: ~\n",
  "name: first\nname: second\n",
  "x: &base {plugs: [a], slots: [b]}\napps:\n  one:\n    <<: *base\n    plugs: [c]\nhooks:\n  install: {<<: [{plugs: [d]}, *base]}\n",
];

/** What snap-shm's reader leaves of the same fields. */
function ours(text: string): Decoded {
  const doc = YamlV2Document.parse(text);
  const field = (key: string) =>
    doc.mergedEntries(doc.fieldValues(doc.root, key), () => {
      throw new Error(`${key} is not a mapping`);
    });
  // An app's or hook's `plugs` and `slots` are []string: a list given twice keeps the last.
  const listed = (owner: MappingEntry, list: string) =>
    doc
      .entries(owner.value)
      .filter((entry) => entry.keyText === list)
      .flatMap((entry) => (doc.items(entry.value) ?? []).map((item) => doc.text(item)));
  const lists = (key: string) => Object.fromEntries(field(key).map((owner) => [owner.keyText, [...listed(owner, "plugs"), ...listed(owner, "slots")]]));
  const name = doc.entries(doc.root).find((entry) => entry.keyText === "name");
  const sorted = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { name: name ? doc.text(name.value) : "", plugs: sorted(field("plugs").map((e) => e.keyText)), slots: sorted(field("slots").map((e) => e.keyText)), apps: lists("apps"), hooks: lists("hooks") };
}

describe("snap.yaml read as gopkg.in/yaml.v2 reads it (the real library)", function () {
  this.timeout(120_000);

  it("gives the same names for every field, text by text", () => {
    const run = spawnSync(goTool("yaml-v2", "golang-go and golang-gopkg-yaml.v2-dev"), [], { input: JSON.stringify(TEXTS), encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const theirs = JSON.parse(run.stdout) as Decoded[];
    TEXTS.forEach((text, i) => {
      assert.equal(theirs[i].error, undefined, `yaml.v2 reads ${JSON.stringify(text)}`);
      assert.deepEqual(ours(text), theirs[i], JSON.stringify(text));
    });
  });
});
