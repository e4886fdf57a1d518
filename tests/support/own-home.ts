/**
 * A home folder of the tests' own, for the describe block that calls it: snap-shm keeps the
 * shared SSH connections' sockets in `$HOME/.snap-shm`, and no test writes into this
 * machine's home. Afterwards every shared connection opened is closed, and the folder goes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeSharedConnections } from "../../src/resources/shared-connection";

/** Sets the hooks; returns the folder's path, once the block's `before` hooks have run. */
export function ownHomeFolder(): () => string {
  // Read when the block starts, after the root hooks have set the tests' own.
  let saved: string | undefined;
  let home = "";
  before(() => {
    saved = process.env.HOME;
    // Short, under the temporary folder: a socket's path must fit in 108 bytes.
    home = mkdtempSync(join(tmpdir(), "snap-shm-home-"));
    process.env.HOME = home;
  });
  after(() => {
    closeSharedConnections();
    process.env.HOME = saved;
    rmSync(home, { recursive: true, force: true });
  });
  return () => home;
}
