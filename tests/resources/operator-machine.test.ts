/**
 * The drift probe and the shared connections run OpenSSH's client from a POSIX shell on the
 * machine running Pulumi: on Windows, where the command provider runs local commands through
 * cmd.exe, a host that would need them is refused before anything registers, naming the
 * setting; one with neither is built as anywhere else.
 */
import { strict as assert } from "node:assert";
import { operatorMachineProblem } from "../../src/resources/operator-machine";
import { EMPTY_PROBE, ofType, refusedUnderMocks, runUnderMocks } from "../support/pulumi-mocks";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const connection = { host: "10.0.0.5", hostKey: HOST_KEY };
const windows = (setting: string) =>
  `${setting} runs OpenSSH's client from a POSIX shell on the machine running Pulumi, and the command provider runs local commands through cmd.exe on Windows: set ${setting}: false there, or run Pulumi under WSL`;

describe("the machine running Pulumi", () => {
  it("needs nothing of its own on Linux and macOS", () => {
    for (const platform of ["linux", "darwin", "freebsd"] as const) {
      assert.equal(operatorMachineProblem("driftDetection", platform), undefined, platform);
      assert.equal(operatorMachineProblem("connectionSharing", platform), undefined, platform);
    }
  });

  describe("on Windows", () => {
    const platform = Object.getOwnPropertyDescriptor(process, "platform")!;
    before(() => Object.defineProperty(process, "platform", { ...platform, value: "win32" }));
    after(() => Object.defineProperty(process, "platform", platform));

    it("refuses drift detection (the default) before anything of the host registers", async () => {
      const registered = await refusedUnderMocks(
        (r) => new r.SnapShmFleet("f", { hosts: [{ name: "a", connection, snaps: [new r.SnapSharedMemory("s", { instance: "shmtest" })] }] }),
        `SnapShmFleet "f" args.hosts[0].driftDetection: ${windows("driftDetection")}`,
      );
      assert.deepEqual(registered, ["snap-shm:index:SnapSharedMemory"]);
    });

    it("refuses connectionSharing, also without drift detection", async () => {
      const registered = await refusedUnderMocks(
        (r) => new r.SnapShmHost("h", { connection, driftDetection: false, connectionSharing: true, snaps: [new r.SnapSharedMemory("s", { instance: "shmtest" })] }),
        `SnapShmHost "h" args.connectionSharing: ${windows("connectionSharing")}`,
      );
      assert.deepEqual(registered, ["snap-shm:index:SnapSharedMemory"]);
    });

    it("builds a host with neither, each part a remote.Command as anywhere else", async () => {
      const { registrations, failures } = await runUnderMocks(
        async () => {
          const r = await import("../../src/resources");
          return new r.SnapShmHost("h", { connection, driftDetection: false, snaps: [new r.SnapSharedMemory("s", { instance: "shmtest" })] });
        },
        { call: () => ({ stdout: EMPTY_PROBE, stderr: "" }) },
      );
      assert.deepEqual(failures, []);
      assert.equal(ofType(registrations, "command:remote:Command").length, 4);
    });
  });
});
