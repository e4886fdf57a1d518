/** What an inventory refused for: its problems, one line each. */
import { strict as assert } from "node:assert";
import { InventoryError, readInventory } from "../../src/model/inventory";

/** Reads `text` as the inventory `file` and returns its problems; fails the test when it is taken. */
export function problems(text: string, file = "inv.yaml"): string[] {
  try {
    readInventory(text, file);
  } catch (error) {
    if (error instanceof InventoryError) return error.message.split("\n");
    throw error;
  }
  assert.fail("expected the inventory to be refused");
}
