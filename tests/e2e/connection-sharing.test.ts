/**
 * `connectionSharing` end to end: the drift probe's ssh opens one connection per host and
 * every part's `local.Command` runs its operation over it (OpenSSH's connection sharing), on
 * real test hosts whose sshd counts the connections; a part with no connection open opens it
 * itself with the credentials in its environment (a host taken out of the program, whose
 * probe no longer runs).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { sharedSocketName } from "../../src/render/ssh-command";
import { closeSharedConnections } from "../../src/resources/shared-connection";
import { stopProbeCredentials } from "../../src/resources/probe-credentials";
import { changes, EngineStandIn } from "../support/engine-stand-in";
import { SECRET_SIG } from "../support/pulumi-mocks";
import { ownHomeFolder } from "../support/own-home";
import { TestFleet } from "../support/test-fleet";
import { fleetProgram } from "./fleet-program";
import { leaveDeadSocket } from "../support/dead-socket";

const LOG = "/run/sshd-connections.log";

describe("connection sharing over SSH (engine stand-in)", function () {
  this.timeout(300_000);
  const home = ownHomeFolder();
  let fleet: TestFleet;
  const engine = new EngineStandIn();
  const program = (snaps: Record<string, string[]>, more: { passwords?: Record<string, string>; driftDetection?: boolean } = {}) =>
    fleetProgram(fleet, { snaps, connectionSharing: true, ...more });
  const both = { alpha: ["shmtest_foo", "shmother"], beta: ["shmtest_foo"] };

  /** The connections each host's sshd has taken since it started. */
  const connections = () => Object.fromEntries(fleet.hosts.map((h) => [h.name, (h.host.readFile(LOG) ?? "").split("Connection from ").length - 1]));

  before(async () => {
    fleet = await TestFleet.start([
      { name: "alpha", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"], running: true }, { instance: "shmother", apps: ["app"] }] },
      { name: "beta", login: "sudo-nopasswd", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] }] },
    ]);
    // The same port and key, with a log that names every connection.
    for (const h of fleet.hosts) {
      await h.host.killSshd();
      await h.host.startSshd(fleet.key.publicKey, h.connection.port, { debugLog: LOG });
    }
    // startSshd's own check that the port listens is a connection too: counted once logged.
    for (let i = 0; i < 100 && Object.values(connections()).some((n) => n < 1); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(connections(), { alpha: 1, beta: 1 });
  });
  after(async () => {
    await stopProbeCredentials();
    await fleet?.stop();
  });

  it("applies every part of a host over the probe's one connection, each part a local.Command", async () => {
    const before = connections();
    const up = await engine.up(program(both));
    assert.deepEqual(up.errors, []);
    const parts = up.registrations.filter((r) => r.name.endsWith("-command"));
    assert.equal(parts.length, 12);
    assert.deepEqual([...new Set(parts.map((r) => r.type))], ["command:local:Command"]);
    assert.equal(up.executions.length, 12);
    assert.deepEqual(connections(), { alpha: before.alpha + 1, beta: before.beta + 1 }, "one connection per host: the probe's");
    const alpha = fleet.get("alpha").host;
    assert.deepEqual(alpha.stat("/dev/shm/snap.shmtest_foo"), { type: "directory", mode: "1777", owner: "root", group: "root" });
    assert.match(alpha.readFile("/var/lib/snapd/mount/snap.shmtest_foo.fstab") ?? "", /^\/dev\/shm\/snap\.shmtest_foo \/dev\/shm none bind,rw 0 0$/m);
    assert.deepEqual(fleet.get("beta").host.stat("/dev/shm/snap.shmtest_foo"), { type: "directory", mode: "1777", owner: "root", group: "root" });
  });

  it("keeps its command lines from run to run, with no secret or path of a run in them", async () => {
    const preview = await engine.preview(program(both));
    assert.deepEqual(changes(preview), [], "the next preview shows no change");
    const key = fleet.key.privateKey.split("\n")[1];
    for (const r of preview.registrations.filter((r) => r.type === "command:local:Command")) {
      const text = JSON.stringify({ create: r.inputs.create, delete: r.inputs.delete });
      assert.match(String(r.inputs.create), /^set -- '127\.0\.0\.1' '\d+' '(root|ops)' '15' '2' 'cm-[0-9a-f]{24}'; eval "\$SNAP_SHM_SHARED_SSH" 3<<'SNAP_SHM_OPERATION'\n(sudo -n sh -c : .*\n)?(sudo -n )?sh -s -- /s);
      assert.ok(!text.includes(key) && !text.includes(home()) && !text.includes("snap-shm-probe-"), `${r.name}: ${text}`);
      // Sent to the engine as a secret, which encrypts it in the state.
      assert.equal((r.inputs.environment as Record<string, unknown>)[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", `${r.name}: its environment is a secret`);
    }
    const stored = engine.storedInputs("fleet-alpha-shmother-mount-command")!;
    assert.equal((stored.environment as Record<string, string>).SNAP_SHM_PRIVATE_KEY, fleet.key.privateKey);
    assert.match((stored.environment as Record<string, string>).SNAP_SHM_KNOWN_HOST, /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /);
  });

  it("repairs a drifted part over the same connection", async () => {
    const alpha = fleet.get("alpha").host;
    const before = connections();
    alpha.must("chmod 0755 /dev/shm/snap.shmother");
    const up = await engine.up(program(both));
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.executions.map((e) => `${e.name}:${e.op}`), ["fleet-alpha-shmother-directory-command:update"]);
    assert.equal(alpha.stat("/dev/shm/snap.shmother")?.mode, "1777");
    // The connection of the last run is still open (60 s): this run opened none.
    assert.deepEqual(connections(), before);
  });

  it("replaces a socket whose connection died unclosed (a reboot) with the probe's new connection", async () => {
    closeSharedConnections();
    const alpha = fleet.get("alpha");
    const socket = join(home(), ".snap-shm", sharedSocketName("127.0.0.1", alpha.connection.port, "root"));
    leaveDeadSocket(socket);
    alpha.host.must("chmod 0700 /dev/shm/snap.shmother");
    const up = await engine.up(program(both));
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.executions.map((e) => `${e.name}:${e.op}`), ["fleet-alpha-shmother-directory-command:update"]);
    assert.equal(alpha.host.stat("/dev/shm/snap.shmother")?.mode, "1777");
  });

  it("removes a host taken out of the program, opening the connection itself with the key in its environment", async () => {
    closeSharedConnections();
    const before = connections();
    const up = await engine.up(program({ alpha: both.alpha }));
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.executions.map((e) => `${e.name}:${e.op}`).sort(), [
      "fleet-beta-shmtest_foo-apparmor-command:delete",
      "fleet-beta-shmtest_foo-directory-command:delete",
      "fleet-beta-shmtest_foo-mount-command:delete",
      "fleet-beta-shmtest_foo-self-heal-command:delete",
    ]);
    assert.deepEqual(connections(), { alpha: before.alpha + 1, beta: before.beta + 1 }, "alpha's probe and beta's first removal each opened one; the rest went over them");
    assert.equal(fleet.get("beta").host.stat("/dev/shm/snap.shmtest_foo"), null);
    // Nothing of the removal's credentials is left: its private folder and its agent are gone.
    assert.deepEqual(readdirSync(join(home(), ".snap-shm")).filter((n) => n.startsWith("run.")), []);
    assert.equal(spawnSync("pgrep", ["-f", join(home(), ".snap-shm", "run.")]).status, 1, "no ssh-agent of a removal is left running");
  });

  it("without drift detection, the first part opens the connection, logging in with the password through its askpass helper", async () => {
    closeSharedConnections();
    const beta = fleet.get("beta").host;
    beta.must("chpasswd", "ops:ops-login-password\n");
    const before = connections().beta;
    const up = await engine.up(program(both, { passwords: { beta: "ops-login-password" }, driftDetection: false }));
    assert.deepEqual(up.errors, []);
    assert.equal(up.executions.filter((e) => e.name.startsWith("fleet-beta-")).length, 4);
    assert.equal(connections().beta, before + 1, "the first part's connection, shared by the three after it");
    assert.deepEqual(beta.stat("/dev/shm/snap.shmtest_foo"), { type: "directory", mode: "1777", owner: "root", group: "root" });
    const stored = engine.storedInputs("fleet-beta-shmtest_foo-mount-command")!;
    assert.deepEqual(Object.keys(stored.environment as object).sort(), ["SNAP_SHM_KNOWN_HOST", "SNAP_SHM_PASSWORD", "SNAP_SHM_SHARED_SSH"]);
    assert.ok(existsSync(join(home(), ".snap-shm")));
  });
});

describe("switching connectionSharing for a host already applied (engine stand-in)", function () {
  this.timeout(300_000);
  ownHomeFolder();
  let fleet: TestFleet;
  const engine = new EngineStandIn();
  const program = (connectionSharing: boolean) => fleetProgram(fleet, { snaps: { alpha: ["shmother"] }, connectionSharing });

  before(async () => {
    fleet = await TestFleet.start([{ name: "alpha", snaps: [{ instance: "shmother", apps: ["app"] }] }]);
    assert.deepEqual((await engine.up(program(false))).errors, []);
  });
  after(async () => {
    await stopProbeCredentials();
    await fleet?.stop();
  });

  it("switches on and off without the host losing anything: the old commands' removals leave the parts to the new ones", async () => {
    const alpha = fleet.get("alpha").host;
    const intact = () => {
      assert.deepEqual(alpha.stat("/dev/shm/snap.shmother"), { type: "directory", mode: "1777", owner: "root", group: "root" });
      assert.match(alpha.readFile("/var/lib/snapd/mount/snap.shmother.fstab") ?? "", /^\/dev\/shm\/snap\.shmother \/dev\/shm none bind,rw 0 0$/m);
      assert.match(alpha.readFile("/var/lib/snapd/apparmor/profiles/snap.shmother.app") ?? "", /# BEGIN snap-shm private-shm/);
    };
    for (const sharing of [true, false]) {
      const switching = await engine.up(program(sharing));
      assert.deepEqual(switching.errors, []);
      const kinds = switching.executions.map((e) => `${e.op}:${e.host === "localhost" ? "local" : "remote"}`);
      // New commands first (their applies find everything in place), the old ones' removals last.
      const [created, deleted] = sharing ? ["create:local", "delete:remote"] : ["create:remote", "delete:local"];
      assert.deepEqual(kinds, [...Array(4).fill(created), ...Array(4).fill(deleted)]);
      for (const removal of switching.executions.slice(4)) assert.match(removal.stdout, /left in place: a command of the other kind \(via=(own|shared)\) has applied this part since/);
      intact();
      const next = await engine.up(program(sharing));
      assert.deepEqual([next.errors, next.executions.length], [[], 0], "nothing is left to do");
      intact();
    }
  });
});

