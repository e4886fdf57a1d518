/** The bench runs from compiled JavaScript: the files the code reads at run time are copied next to it. */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

/**
 * A home folder of the bench's own for this process and its children, removed when it exits:
 * with `connectionSharing`, snap-shm keeps its shared connections' sockets in
 * `$HOME/.snap-shm`, and a benchmark writes nothing into the machine's real home. Under the
 * temporary folder with a short name: a socket's path (this folder, `.snap-shm/`, the
 * socket's name and, while ssh makes it, a 17-character suffix) must fit in 108 bytes.
 */
export function useOwnHome(): void {
  const home = mkdtempSync(join(tmpdir(), "snap-shm-home-"));
  process.env.HOME = home;
  // Whatever way the process ends: process.exit runs the "exit" listeners.
  process.once("exit", () => rmSync(home, { recursive: true, force: true }));
}
