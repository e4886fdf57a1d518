/** SSH key pairs made for a test run (never reused, never real). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function makeKeyPair(passphrase = ""): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), "snap-shm-key-"));
  try {
    const file = join(dir, "id_ed25519");
    const result = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", "snap-shm-test", "-f", file]);
    if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
    return { privateKey: readFileSync(file, "utf8"), publicKey: readFileSync(`${file}.pub`, "utf8").trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
