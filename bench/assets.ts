/** The bench runs from compiled JavaScript: the files the code reads at run time are copied next to it. */
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository, from bench/dist/bench/. */
export const REPO = resolve(__dirname, "..", "..", "..");

/**
 * The scripts next to the compiled code, where src/render/host-command.ts, the probe's relay
 * check (src/resources/probe-relay.ts) and the test hosts look for them.
 */
export function copyAssets(): void {
  const dist = resolve(__dirname, "..");
  for (const folder of ["src/host", "src/local", "tests/support"]) {
    mkdirSync(join(dist, folder), { recursive: true });
    for (const file of readdirSync(join(REPO, folder)).filter((f) => f.endsWith(".sh") || f.endsWith(".pl"))) copyFileSync(join(REPO, folder, file), join(dist, folder, file));
  }
}
