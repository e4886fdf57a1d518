/** A socket file nothing listens on, as a killed ssh or a reboot leaves a shared connection's. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";

/** Binds a Unix socket at `path` and closes it without removing the file (Node's close would). */
export function leaveDeadSocket(path: string): void {
  const made = spawnSync("python3", ["-c", "import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()", path]);
  assert.equal(made.status, 0, String(made.stderr));
}
