/**
 * The fleet program of the root Pulumi project: deploys the fleet the YAML inventory
 * describes. The inventory's path is the stack config `snap-shm:inventory` (default
 * `inventory.yaml` in the project folder); SSH secrets come from secret config or the SSH
 * agent (see ./credentials.ts). A bad inventory fails here, with every problem's file, line and
 * column, before any resource is registered.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readInventory } from "../model/inventory";
import { credentialsFromConfig } from "./credentials";
import { deployInventory } from "./inventory-fleet";
import { projectFolder } from "./project-folder";

const config = new pulumi.Config("snap-shm");
const inventoryPath = resolve(projectFolder(), config.get("inventory") ?? "inventory.yaml");
let text: string;
try {
  text = readFileSync(inventoryPath, "utf8");
} catch (error) {
  throw new Error(
    `cannot read the inventory ${inventoryPath} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
      "set its path with `pulumi config set snap-shm:inventory PATH`",
  );
}
const inventory = readInventory(text, inventoryPath);
const fleet = deployInventory("fleet", inventory, credentialsFromConfig(dirname(inventoryPath)));

/** Per host, per snap instance: the mode and why, what the prerequisite check found, what changed. */
export const summary = fleet.summary;
/** Hosts the drift probe could not reach, left out of the rollout order (within the budget). */
export const unreachable = fleet.unreachable;
