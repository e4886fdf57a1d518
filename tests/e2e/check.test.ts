/**
 * `snap-shm check` against test hosts over SSH: one in sync, one drifted, one through sudo,
 * one unreachable, as a table and as JSON, with the exit status CI needs.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineStandIn } from "../support/engine-stand-in";
import { TestFleet } from "../support/test-fleet";
import { freePort } from "../support/test-host";
import { fleetProgram } from "./fleet-program";

const BIN = join(__dirname, "..", "..", "dist", "cli", "main.js");

function snapShm(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SSH_AUTH_SOCK: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("snap-shm check over SSH", function () {
  this.timeout(300_000);
  let fleet: TestFleet;
  let work: string;
  let inventory: string;

  before(async () => {
    fleet = await TestFleet.start([
      { name: "alpha", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"], running: true }] },
      { name: "beta", login: "sudo-nopasswd", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] }] },
    ]);
    const result = await new EngineStandIn().up(fleetProgram(fleet, { snaps: { alpha: ["shmtest_foo"], beta: ["shmtest_foo"] } }));
    assert.deepEqual(result.errors, []);
    work = mkdtempSync(join(tmpdir(), "snap-shm-check-test-"));
    const key = join(work, "id_ed25519");
    writeFileSync(key, fleet.key.privateKey, { mode: 0o600 });
    const unreachable = await freePort();
    const alpha = fleet.get("alpha").connection;
    const beta = fleet.get("beta").connection;
    inventory = join(work, "inventory.yaml");
    writeFileSync(
      inventory,
      [
        "defaults:",
        `  identityFile: ${key}`,
        "  dialErrorLimit: 1",
        "  perDialTimeout: 3",
        "  snaps:",
        "    - instance: shmtest_foo",
        "      apps: [app]",
        "      hooks: [configure]",
        "hosts:",
        `  alpha: {address: 127.0.0.1, port: ${alpha.port}, user: root, hostKey: ${alpha.hostKey}}`,
        `  beta: {address: 127.0.0.1, port: ${beta.port}, user: ops, become: true, hostKey: ${beta.hostKey}}`,
        `  gone: {address: 127.0.0.1, port: ${unreachable}}`,
        "",
      ].join("\n"),
    );
  });
  after(async () => {
    await fleet?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("reports each host and part, exit 1 when a host cannot be checked", async () => {
    const { status, stdout } = await snapShm("check", inventory);
    assert.equal(status, 1);
    const lines = stdout.split("\n");
    assert.match(lines[0], /^HOST +INSTANCE +MODE +DIRECTORY +APPARMOR +MOUNT +SELF-HEAL$/);
    // Self-heal is installed; the test hosts run no systemd, so it is not active there.
    assert.match(lines[1], /^alpha +shmtest_foo +managed +in sync +in sync +in sync +not active \(no systemd\), no repair yet$/);
    assert.match(lines[2], /^beta +shmtest_foo +managed +in sync +in sync +in sync +not active \(no systemd\), no repair yet$/);
    assert.match(lines[3], /^gone +- +- +unreachable: ssh to 127\.0\.0\.1 failed with exit status 255: ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/);
    assert.equal(lines[5], "drift found, or a host could not be checked");
  });

  it("shows drift as it is, as JSON for CI", async () => {
    fleet.get("beta").host.must("chmod 0755 /dev/shm/snap.shmtest_foo && rm /var/lib/snapd/mount/snap.shmtest_foo.fstab");
    const { status, stdout } = await snapShm("check", inventory, "--json");
    assert.equal(status, 1);
    const outcome = JSON.parse(stdout);
    assert.equal(outcome.inSync, false);
    assert.deepEqual(outcome.hosts[1], {
      name: "beta",
      address: "127.0.0.1",
      reachable: true,
      instances: [
        {
          instance: "shmtest_foo",
          mode: "managed",
          parts: { directory: { inSync: false, differs: ["mode=755"] }, apparmor: { inSync: true, differs: [] }, mount: { inSync: false, differs: ["entry=missing"] } },
          selfHeal: { enabled: true, inSync: true, differs: [], systemd: false, lastSelfHeal: null, repairs: 0 },
        },
      ],
    });
    assert.equal(outcome.hosts[2].reachable, false);
  });

  it("exits 0 when every host is in sync", async () => {
    const inSync = join(work, "in-sync.yaml");
    const { port, hostKey } = fleet.get("alpha").connection;
    writeFileSync(inSync, `defaults: {identityFile: ${join(work, "id_ed25519")}}\nhosts:\n  alpha:\n    address: 127.0.0.1\n    port: ${port}\n    hostKey: ${hostKey}\n    snaps: [{instance: shmtest_foo, apps: [app], hooks: [configure]}]\n`);
    const { status, stdout } = await snapShm("check", inSync);
    assert.equal(status, 0, stdout);
    assert.ok(stdout.endsWith("every part of every host is in sync\n"));
  });

  it("names what a bastion refused, in its ssh's words", async () => {
    const behind = join(work, "behind-bastion.yaml");
    const { port, hostKey } = fleet.get("alpha").connection;
    const bastion = fleet.get("beta").connection;
    // The bastion pinned with a key line one character off (the test hosts share one host key): not the bastion's.
    const wrongKey = hostKey.replace(/.(.)$/, (_, last: string) => `${last === "A" ? "B" : "A"}${last}`);
    writeFileSync(
      behind,
      `defaults: {identityFile: ${join(work, "id_ed25519")}, dialErrorLimit: 1, perDialTimeout: 3}
hosts:
  hidden:
    address: 127.0.0.1
    port: ${port}
    hostKey: ${hostKey}
` +
        `    proxy: {address: 127.0.0.1, port: ${bastion.port}, user: root, hostKey: ${wrongKey}}
    snaps: [{instance: shmtest_foo, apps: [app], hooks: [configure]}]
`,
    );
    const { status, stdout } = await snapShm("check", behind);
    assert.equal(status, 1, stdout);
    assert.match(stdout.split("\n")[1], /^hidden +- +- +unreachable: ssh to 127\.0\.0\.1 failed with exit status 255: bastion 127\.0\.0\.1: Host key verification failed\.$/, stdout);
  });

  it("refuses an invalid inventory before contacting any host", async () => {
    const bad = join(work, "bad.yaml");
    writeFileSync(bad, "hosts:\n  h1:\n    address: 127.0.0.1\n    password: hunter2\n");
    const { status, stdout, stderr } = await snapShm("check", bad);
    assert.equal(status, 2);
    assert.equal(stdout, "");
    assert.equal(stderr, `snap-shm check: the inventory is not valid:\n${bad}:4:5: hosts.h1: secrets do not belong in the inventory: give "password" through Pulumi secret config (pulumi config set --secret) or load the key into an SSH agent\n`);
  });
});
