/**
 * Mocha root hooks: the tests run with a home folder of their own (snap-shm keeps the shared
 * SSH connections' sockets in `$HOME/.snap-shm`; nothing is written into this machine's home,
 * which is checked at the end), and after them nothing they started is left running.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopProbeCredentials } from "../../src/resources/probe-credentials";
import { closeSharedConnections } from "../../src/resources/shared-connection";

const machineHome = process.env.HOME;
const machineFolder = machineHome === undefined ? undefined : join(machineHome, ".snap-shm");
let testsHome: string | undefined;
let folderWasThere = false;

export const mochaHooks = {
  beforeAll(): void {
    folderWasThere = machineFolder !== undefined && existsSync(machineFolder);
    // Short, under the temporary folder: a socket's path must fit in 108 bytes.
    testsHome = mkdtempSync(join(tmpdir(), "snap-shm-tests-home-"));
    process.env.HOME = testsHome;
  },
  async afterAll(): Promise<void> {
    await stopProbeCredentials();
    closeSharedConnections();
    process.env.HOME = machineHome;
    if (testsHome !== undefined) rmSync(testsHome, { recursive: true, force: true });
    if (machineFolder !== undefined && !folderWasThere && existsSync(machineFolder)) {
      throw new Error(`the tests wrote into this machine's home: ${machineFolder} is there now`);
    }
  },
};
