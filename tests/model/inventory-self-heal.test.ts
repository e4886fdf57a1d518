/** The inventory's per-snap `selfHeal` setting, checked by the published schema. */
import { strict as assert } from "node:assert";
import { InventoryError, readInventory } from "../../src/model/inventory";

describe("the inventory's selfHeal setting", () => {
  it("is read per snap, and left out when not given (the resources then default to on)", () => {
    const inventory = readInventory(
      "defaults:\n  snaps:\n    - {instance: chromium, selfHeal: false}\nhosts:\n  h1:\n    address: a\n    snaps: [{instance: code_insiders}]\n",
      "inventory.yaml",
    );
    assert.deepEqual(
      inventory.hosts[0].snaps.map((s) => [s.instance, s.selfHeal]),
      [["chromium", false], ["code_insiders", undefined]],
    );
  });

  it("must be a boolean, with the place named", () => {
    assert.throws(
      () => readInventory("hosts:\n  h1:\n    address: a\n    snaps: [{instance: chromium, selfHeal: sometimes}]\n", "inventory.yaml"),
      (error: unknown) => error instanceof InventoryError && error.message === "inventory.yaml:4:44: hosts.h1.snaps[0].selfHeal: must be a boolean (true or false), not \"sometimes\"",
    );
  });
});
