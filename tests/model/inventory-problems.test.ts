/**
 * Inventory problems as the user reads them: each named with file, line, column and the rule
 * (aliases included), and each reported once, however many hosts inherit it.
 */
import { strict as assert } from "node:assert";
import { readInventory } from "../../src/model/inventory";
import { problems } from "../support/inventory-problems";


/** Nine levels of ten aliases each, at `indent` under `parent`: a billion scalars if it were expanded. */
function aliasBomb(parent = "", indent = ""): string {
  const lines = [`${indent}a0: &a0 [x, x, x, x, x, x, x, x, x, x]`];
  for (let i = 1; i < 9; i++) lines.push(`${indent}a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
  return `${parent}${lines.join("\n")}\n`;
}

describe("inventory problems", () => {
  describe("in host names", () => {
    it("places a problem under a host named like a number at the host, with its name as written", () => {
      assert.deepEqual(problems("hosts:\n  '01': {address: a, port: 0}\n"), ["inv.yaml:2:28: hosts.01.port: must be at least 1, not 0"]);
    });

    it("refuses a host name YAML would read as another (01 as 1), asking for quotes", () => {
      assert.deepEqual(problems("hosts:\n  h1: {address: a}\n  01: {address: b}\ngroups:\n  g:\n    hosts:\n      0x1F: {address: c}\n"), [
        'inv.yaml:3:3: hosts.1: host name 01 is read by YAML as 1: quote it ("01") to keep the name as written',
        'inv.yaml:7:7: groups.g.hosts.31: host name 0x1F is read by YAML as 31: quote it ("0x1F") to keep the name as written',
      ]);
      // Kept in the order written (the rollout's order), where JavaScript would put "7" first.
      assert.deepEqual(readInventory("hosts:\n  '01': {address: b}\n  7: {address: c}\n", "inv.yaml").hosts.map((h) => h.name), ["01", "7"]);
    });
  });

  describe("in aliases", () => {
    it("refuses an alias bomb at the alias the expansion stopped at, with the rule", () => {
      // a2's ninth alias of a1 is where the yaml library's limit is reached.
      assert.deepEqual(problems(`${aliasBomb()}hosts: {}\n`), [
        "inv.yaml:3:50: a2[8]: alias *a1 is refused: aliases would repeat too much of the document (a guard against YAML alias bombs)",
      ]);
    });

    it("refuses an alias bomb inside the hosts, with the path to it", () => {
      assert.deepEqual(problems(aliasBomb("hosts:\n  h1:\n    address: a\n", "    ")), [
        "inv.yaml:6:54: hosts.h1.a2[8]: alias *a1 is refused: aliases would repeat too much of the document (a guard against YAML alias bombs)",
      ]);
    });

    it("refuses an alias with no anchor before it where it stands", () => {
      assert.deepEqual(problems("hosts:\n  h1: {address: a, snaps: [*chromium]}\n"), [
        "inv.yaml:2:28: hosts.h1.snaps[0]: Unresolved alias (the anchor must be set before the alias): chromium",
      ]);
    });

    it("still reads aliases used as meant", () => {
      const text = "groups:\n  g:\n    proxy: &bastion {address: bastion}\n    hosts:\n      g1: {address: a}\nhosts:\n  h1: {address: b, proxy: *bastion}\n";
      assert.deepEqual(readInventory(text, "inv.yaml").hosts.map((h) => [h.name, h.connection.proxy?.address]), [["g1", "bastion"], ["h1", "bastion"]]);
    });
  });

  describe("in merge keys", () => {
    it("reads settings merged from an anchor, the mapping's own keys winning", () => {
      const text = [
        "defaults: &site {user: ops, port: 2222}",
        "hosts:",
        "  kiosk-01: &kiosk",
        "    address: 10.0.0.1",
        "    become: true",
        "    snaps: [{instance: chromium}]",
        "  kiosk-02:",
        "    <<: *kiosk",
        "    address: 10.0.0.2",
        "  runner: {<<: [*site, {port: 22, user: ci}], address: 10.0.0.3}",
        "",
      ].join("\n");
      const hosts = readInventory(text, "inv.yaml").hosts.map((h) => [h.name, h.connection.address, h.connection.port, h.connection.user, h.become, h.snaps.map((s) => s.instance)]);
      assert.deepEqual(hosts, [
        ["kiosk-01", "10.0.0.1", 2222, "ops", true, ["chromium"]],
        ["kiosk-02", "10.0.0.2", 2222, "ops", true, ["chromium"]],
        // Of several sources the first that has a key gives it; defaults still apply beneath.
        ["runner", "10.0.0.3", 2222, "ops", false, []],
      ]);
    });

    it("refuses a merge source that is not a mapping, where it stands", () => {
      assert.deepEqual(problems("hosts:\n  h1: {address: a}\n  h2: {<<: 5, address: b}\n"), [
        "inv.yaml:3:12: hosts.h2.<<: a merge key (<<) takes a mapping, an alias of one, or a list of them, not 5",
      ]);
      assert.deepEqual(problems("hosts:\n  h1: &h {address: a}\n  h2: {<<: [*h, *x], address: b}\n"), [
        "inv.yaml:3:17: hosts.h2.<<: a merge key (<<) takes a mapping, an alias of one, or a list of them, not an alias with no anchor before it (*x)",
      ]);
    });

    it("refuses a merge of a mapping the merge key stands in, instead of expanding it without end", () => {
      assert.deepEqual(problems("hosts:\n  h1: &h {address: a, <<: *h}\n"), [
        "inv.yaml:2:27: hosts.h1.<<: a merge key (<<) cannot merge a mapping it stands in (*h): it would merge itself without end",
      ]);
      assert.deepEqual(problems("hosts:\n  h1: &h {address: a, snaps: [{instance: x, <<: [{apps: [a]}, *h]}]}\n"), [
        "inv.yaml:2:63: hosts.h1.snaps[0].<<: a merge key (<<) cannot merge a mapping it stands in (*h): it would merge itself without end",
      ]);
    });

    it("names a problem in a merged value at the line it is written on, for every host that merges it", () => {
      assert.deepEqual(problems("hosts:\n  h1: &h\n    address: a\n    port: 99999\n  h2: {<<: *h, address: b}\n"), [
        "inv.yaml:4:11: hosts.h1.port: must be at most 65535, not 99999",
        "inv.yaml:4:11: hosts.h2.port: must be at most 65535, not 99999",
      ]);
    });

    it("refuses a secret merged into a host, at the key where it is written", () => {
      assert.deepEqual(problems("defaults: &d {user: ops}\nhosts:\n  h1: {<<: [*d, {password: hunter2}], address: a}\n"), [
        'inv.yaml:3:18: hosts.h1: secrets do not belong in the inventory: give "password" through Pulumi secret config (pulumi config set --secret) or load the key into an SSH agent',
      ]);
    });
  });

  describe("inherited by many hosts", () => {
    it("reports an invalid snap of defaults once, not once per host", () => {
      const text = "defaults:\n  snaps:\n    - instance: Chromium\nhosts:\n  h1: {address: a}\n  h2: {address: b}\n";
      assert.deepEqual(problems(text), ['inv.yaml:3:17: defaults.snaps[0].instance: invalid snap name: "Chromium"']);
    });

    it("reports an invalid snap or plug of a group once, not once per host of the group", () => {
      const text = "groups:\n  g:\n    snaps: [{instance: Bad}, {instance: ok, plug: {attributes: {private: 'true'}}}]\n    hosts:\n      g1: {address: a}\n      g2: {address: b}\n";
      assert.deepEqual(problems(text), [
        'inv.yaml:3:24: groups.g.snaps[0].instance: invalid snap name: "Bad"',
        'inv.yaml:3:51: groups.g.snaps[1].plug: shared-memory "private" attribute must be a bool, not true',
      ]);
    });

    it("reports a snap listed twice in defaults, or in defaults and a group, once", () => {
      assert.deepEqual(problems("defaults:\n  snaps: [{instance: chromium}, {instance: chromium}]\nhosts:\n  h1: {address: a}\n  h2: {address: b}\n"), [
        'inv.yaml:2:44: defaults.snaps[1].instance: snap instance "chromium" is already listed at defaults.snaps[0]',
      ]);
      const text = "defaults:\n  snaps: [{instance: chromium}]\ngroups:\n  g:\n    snaps: [{instance: chromium}]\n    hosts:\n      g1: {address: a}\n      g2: {address: b}\n";
      assert.deepEqual(problems(text), ['inv.yaml:5:24: groups.g.snaps[0].instance: snap instance "chromium" is already listed at defaults.snaps[0]']);
    });

    it("still reports a host's own repeat of an inherited snap for that host", () => {
      const text = "defaults:\n  snaps: [{instance: chromium}]\nhosts:\n  h1: {address: a, snaps: [{instance: chromium}]}\n  h2: {address: b, snaps: [{instance: chromium}]}\n";
      assert.deepEqual(problems(text), [
        'inv.yaml:4:39: hosts.h1.snaps[0].instance: snap instance "chromium" is already listed for host "h1" at defaults.snaps[0]',
        'inv.yaml:5:39: hosts.h2.snaps[0].instance: snap instance "chromium" is already listed for host "h2" at defaults.snaps[0]',
      ]);
    });
  });
});
