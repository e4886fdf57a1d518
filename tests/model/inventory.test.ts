import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readInventory } from "../../src/model/inventory";
import { problems as problemsIn } from "../support/inventory-problems";

/** This file's problems name the inventory `inventory.yaml`. */
const problems = (text: string) => problemsIn(text, "inventory.yaml");

describe("the fleet inventory", () => {
  it("reads the example: settings from defaults to group to host, snaps added up", () => {
    const file = join(__dirname, "..", "..", "examples", "fleet", "inventory.yaml");
    const inventory = readInventory(readFileSync(file, "utf8"), file);
    assert.deepEqual(inventory.hosts.map((h) => [h.name, h.group ?? null, h.connection.user, h.become, h.snaps.map((s) => s.instance)]), [
      ["kiosk-01", "kiosks", "ops", true, ["chromium", "kiosk-browser"]],
      ["kiosk-02", "kiosks", "ops", true, ["chromium", "kiosk-browser"]],
      ["ci-runner-01", null, "ops", true, ["code_insiders"]],
    ]);
    assert.deepEqual(inventory.hosts[2].connection.proxy, {
      address: "bastion.example.internal",
      user: "jump",
      hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFQ2mY5rJ2Y2Z5S0m2gB0ZTzjY3ZlqS3u8rWbWm4e9Xb",
    });
    assert.equal(inventory.hosts[0].connection.dialErrorLimit, 3);
    assert.equal(inventory.hosts[0].driftDetection, true);
    assert.deepEqual(inventory.hosts.map((h) => h.connectionSharing), [true, true, false]);
    assert.equal(inventory.hosts[0].snaps[1].mode, "native");
    assert.deepEqual(inventory.rollout, { batchSize: 1, failureBudget: 1 });
  });

  it("reads the rollout: batch size and failure budget", () => {
    const inventory = readInventory("rollout: {batchSize: 2, failureBudget: 1}\nhosts:\n  h1: {address: a}\n", "inventory.yaml");
    assert.deepEqual(inventory.rollout, { batchSize: 2, failureBudget: 1 });
    assert.deepEqual(readInventory("hosts:\n  h1: {address: a}\n", "inventory.yaml").rollout, {});
  });

  it("lets the more specific level win", () => {
    const inventory = readInventory(
      "defaults: {user: a, port: 2200, become: true}\ngroups:\n  g:\n    user: b\n    hosts:\n      h1: {address: 10.0.0.1, become: false}\n",
      "inventory.yaml",
    );
    assert.deepEqual([inventory.hosts[0].connection.user, inventory.hosts[0].connection.port, inventory.hosts[0].become], ["b", 2200, false]);
  });

  const cases: Array<[string, string, string]> = [
    ["an unknown key", "hosts:\n  h1:\n    address: 10.0.0.1\n    adress: x\n", 'inventory.yaml:4:5: hosts.h1: unknown key "adress"'],
    ["a secret", "hosts:\n  h1:\n    address: 10.0.0.1\n    privateKey: abc\n", 'inventory.yaml:4:5: hosts.h1: secrets do not belong in the inventory: give "privateKey" through Pulumi secret config (pulumi config set --secret) or load the key into an SSH agent'],
    ["a wrong type", "hosts:\n  h1:\n    address: 10.0.0.1\n    port: twenty\n", 'inventory.yaml:4:11: hosts.h1.port: must be a whole number, not "twenty"'],
    ["yes for a bool (YAML 1.2)", "defaults:\n  become: yes\n", 'inventory.yaml:2:11: defaults.become: must be a boolean (true or false), not "yes"'],
    ["a port out of range", "hosts:\n  h1: {address: h, port: 70000}\n", "inventory.yaml:2:26: hosts.h1.port: must be at most 65535, not 70000"],
    ["a missing address", "hosts:\n  h1: {user: ops}\n", 'inventory.yaml:2:7: hosts.h1: missing required key "address"'],
    ["a bad snap name", "hosts:\n  h1:\n    address: h\n    snaps:\n      - instance: Chromium\n", 'inventory.yaml:5:19: hosts.h1.snaps[0].instance: invalid snap name: "Chromium"'],
    ["a bad instance key", "hosts:\n  h1:\n    address: h\n    snaps: [{instance: chromium_X}]\n", 'inventory.yaml:4:24: hosts.h1.snaps[0].instance: invalid instance key: "X"'],
    ["a bad app", "hosts:\n  h1:\n    address: h\n    snaps: [{instance: chromium, apps: [ok, a b]}]\n", 'inventory.yaml:4:45: hosts.h1.snaps[0].apps[1]: invalid app name: "a b"'],
    ["a quoted private", "hosts:\n  h1:\n    address: h\n    snaps: [{instance: chromium, plug: {attributes: {private: 'true'}}}]\n", 'inventory.yaml:4:40: hosts.h1.snaps[0].plug: shared-memory "private" attribute must be a bool, not true'],
    ["an old snapd", "hosts:\n  h1:\n    address: h\n    snaps: [{instance: chromium, snapdVersion: '2.54'}]\n", "inventory.yaml:4:48: hosts.h1.snaps[0].snapdVersion: snapd 2.54 has no private shared memory: it needs snapd 2.55.3 or newer"],
    ["a duplicate host", "groups:\n  g:\n    hosts:\n      h1: {address: a}\nhosts:\n  h1: {address: b}\n", 'inventory.yaml:6:7: hosts.h1: host "h1" is already defined at groups.g.hosts.h1'],
    ["a duplicate instance", "defaults:\n  snaps: [{instance: chromium}]\nhosts:\n  h1:\n    address: a\n    snaps: [{instance: chromium}]\n", 'inventory.yaml:6:24: hosts.h1.snaps[0].instance: snap instance "chromium" is already listed for host "h1" at defaults.snaps[0]'],
    ["a duplicate key", "hosts:\n  h1: {address: a}\n  h1: {address: b}\n", 'inventory.yaml:3:3: hosts: key "h1" is given twice'],
    ["a batch size of 0", "rollout:\n  batchSize: 0\nhosts:\n  h1: {address: a}\n", "inventory.yaml:2:14: rollout.batchSize: must be at least 1, not 0"],
    ["an unknown rollout key", "rollout:\n  serial: 2\n", 'inventory.yaml:2:3: rollout: unknown key "serial"'],
    ["not YAML", "hosts: [\n", "inventory.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]"],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what}, naming file, line and column`, () => assert.deepEqual(problems(text), [message]));
  }

  it("reads connectionSharing from defaults to host, off unless set", () => {
    const inventory = readInventory("defaults: {connectionSharing: true}\nhosts:\n  h1: {address: a}\n  h2: {address: b, connectionSharing: false}\n", "inventory.yaml");
    assert.deepEqual(inventory.hosts.map((h) => [h.name, h.connectionSharing]), [["h1", true], ["h2", false]]);
    assert.equal(readInventory("hosts:\n  h1: {address: a}\n", "inventory.yaml").hosts[0].connectionSharing, false);
  });

  it("takes connectionSharing for a host behind a proxy too, and refuses a value that is not a boolean", () => {
    const inventory = readInventory("defaults: {connectionSharing: true}\nhosts:\n  h1: {address: a}\n  h2:\n    address: b\n    proxy: {address: jump}\n", "inventory.yaml");
    assert.deepEqual(inventory.hosts.map((h) => [h.name, h.connectionSharing, h.connection.proxy?.address]), [["h1", true, undefined], ["h2", true, "jump"]]);
    assert.deepEqual(problems("hosts:\n  h1: {address: a, connectionSharing: yes}\n"), ['inventory.yaml:2:39: hosts.h1.connectionSharing: must be a boolean (true or false), not "yes"']);
  });

  it("lists every problem at once", () => {
    assert.equal(problems("hosts:\n  h1: {address: a, colour: red}\n  h2: {address: b, port: 0}\n").length, 2);
  });

  describe("refuses hostile values in every string field before anything runs", () => {
    const hostile = ["a'b", 'a"b', "$(id)", "`id`", "a\nb", "../etc", "a;b", "a b"];
    const fields: Array<[string, (v: string) => string, RegExp]> = [
      ["host name", (v) => `hosts:\n  ${JSON.stringify(v)}: {address: a}\n`, /invalid host name/],
      ["address", (v) => `hosts:\n  h: {address: ${JSON.stringify(v)}}\n`, /hosts\.h\.address: invalid host address/],
      ["user", (v) => `hosts:\n  h: {address: a, user: ${JSON.stringify(v)}}\n`, /hosts\.h\.user: invalid user name/],
      ["hostKey", (v) => `hosts:\n  h: {address: a, hostKey: ${JSON.stringify(`ssh-ed25519 AAAA${v}`)}}\n`, /hosts\.h\.hostKey: invalid host key/],
      ["proxy address", (v) => `hosts:\n  h: {address: a, proxy: {address: ${JSON.stringify(v)}}}\n`, /hosts\.h\.proxy\.address: invalid host address/],
      ["instance", (v) => `hosts:\n  h: {address: a, snaps: [{instance: ${JSON.stringify(v)}}]}\n`, /snaps\[0\]\.instance: invalid (snap name|instance key)/],
      ["app", (v) => `hosts:\n  h: {address: a, snaps: [{instance: shm, apps: [${JSON.stringify(v)}]}]}\n`, /apps\[0\]: invalid app name/],
      ["hook", (v) => `hosts:\n  h: {address: a, snaps: [{instance: shm, hooks: [${JSON.stringify(v)}]}]}\n`, /hooks\[0\]: invalid hook name/],
      ["plug name", (v) => `hosts:\n  h: {address: a, snaps: [{instance: shm, plug: {name: ${JSON.stringify(v)}}}]}\n`, /plug: invalid plug name/],
      ["snapdVersion", (v) => `hosts:\n  h: {address: a, snaps: [{instance: shm, snapdVersion: ${JSON.stringify(`2.61${v}`)}}]}\n`, /snapdVersion: invalid snapd version/],
      ["identityFile", (v) => `hosts:\n  h: {address: a, identityFile: ${JSON.stringify(`/k\n${v}`)}}\n`, /identityFile: secrets do not belong in the inventory: this looks like a private key \(not shown\)/],
    ];
    for (const [field, make, expected] of fields) {
      it(field, () => {
        for (const value of hostile) {
          if (field === "identityFile" && value !== "a\nb") continue;
          // "ssh-ed25519 AAAAa b" is a key with the comment "b", which is allowed.
          if (field === "hostKey" && value === "a b") continue;
          const found = problems(make(value));
          assert.ok(found.some((p) => expected.test(p)), `${JSON.stringify(value)}: ${found.join(" | ")}`);
        }
      });
    }
  });
});
