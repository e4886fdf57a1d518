/**
 * Faults on real test hosts, through the engine stand-in: each gives a clear error, leaves
 * nothing half-written, and a later up completes once the cause is gone.
 */
import { strict as assert } from "node:assert";
import { createServer, Server } from "node:net";
import { EngineStandIn } from "../support/engine-stand-in";
import { TestFleet } from "../support/test-fleet";
import { freePort } from "../support/test-host";
import { appProfile } from "../fixtures/snapd-profiles";
import { fleetProgram } from "./fleet-program";

const FOO = { instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] };

describe("faults over SSH (engine stand-in)", function () {
  this.timeout(300_000);
  let fleet: TestFleet;
  const program = (hosts: string[], connectionSharing?: boolean) => fleetProgram(fleet, { snaps: Object.fromEntries(hosts.map((h) => [h, ["shmtest_foo"]])), connectionSharing });

  beforeEach(async () => {
    fleet = await TestFleet.start([
      { name: "alpha", snaps: [{ ...FOO, running: true }] },
      { name: "beta", login: "sudo-nopasswd", snaps: [FOO] },
    ]);
  });
  afterEach(async () => fleet?.stop());

  /** alpha's program, plus a host "ghost" on a loopback port with small dial limits. */
  const withGhost = (port: number) => async () => {
    const fleetResource = await program(["alpha"])();
    const r = await import("../../src/resources");
    const snap = new r.SnapSharedMemory("ghost-snap", { instance: "shmtest_foo" });
    new r.SnapShmHost("ghost", { connection: { host: "127.0.0.1", port, dialErrorLimit: 1, perDialTimeout: 2, hostKey: fleet.get("alpha").connection.hostKey }, snaps: [snap] });
    return fleetResource;
  };

  async function completesLater(engine: EngineStandIn, hosts: string[], connectionSharing?: boolean) {
    const later = await engine.up(program(hosts, connectionSharing));
    assert.deepEqual(later.errors, [], "a later up completes");
    for (const name of hosts) {
      const { host } = fleet.get(name);
      assert.equal(host.stat("/dev/shm/snap.shmtest_foo")?.mode, "1777", name);
      assert.equal(host.readFile("/var/lib/snapd/mount/snap.shmtest_foo.fstab"), "/dev/shm/snap.shmtest_foo /dev/shm none bind,rw 0 0\n", name);
    }
    return later;
  }

  // The provider's client gives up after its dial attempts; over the shared connection, which
  // went with the server, the part's ssh tries to connect again and is refused.
  const killedSshd: Array<[string, boolean, RegExp]> = [
    ["", false, /^fleet-beta-shmtest_foo-apparmor-command: create failed: after 2 failed attempts: dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/],
    [", over the shared connection", true, /^fleet-beta-shmtest_foo-apparmor-command: create failed: Process exited with status 255: running "set -- [^\n]*":\nstdout: \nstderr: ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused\r\n$/],
  ];
  for (const [what, sharing, refused] of killedSshd) {
    it(`sshd killed between two parts of one host: that host stops there, the other completes${what}`, async () => {
      const beta = fleet.get("beta");
      const engine = new EngineStandIn();
      const result = await engine.up(program(["alpha", "beta"], sharing), {
        continueOnError: true,
        beforeOperation: async ({ name }) => {
          if (name === "fleet-beta-shmtest_foo-apparmor-command") await beta.host.killSshd();
        },
      });
      assert.equal(result.errors.length, 1, result.errors.join("\n"));
      assert.match(result.errors[0], refused);
      assert.equal(beta.host.stat("/dev/shm/snap.shmtest_foo")?.mode, "1777", "the part before it was applied");
      assert.ok(!beta.host.readFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app")!.includes("snap-shm"), "nothing half-written");
      assert.equal(beta.host.exists("/var/lib/snapd/mount/snap.shmtest_foo.fstab"), false);
      assert.ok(fleet.get("alpha").host.readFile("/var/lib/snapd/mount/snap.shmtest_foo.fstab"));
      await beta.host.startSshd(fleet.key.publicKey, beta.connection.port);
      const later = await completesLater(engine, ["alpha", "beta"], sharing);
      assert.deepEqual(later.executions.map((e) => e.name).sort(), [
        "fleet-beta-shmtest_foo-apparmor-command",
        "fleet-beta-shmtest_foo-mount-command",
        "fleet-beta-shmtest_foo-self-heal-command",
      ]);
    });
  }

  it("an unreachable host with small dial limits fails fast and alone", async () => {
    // Nothing listens on the port: only the dial limits end the wait.
    const port = await freePort();
    const engine = new EngineStandIn();
    const result = await engine.up(withGhost(port), { continueOnError: true });
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0], /^ghost-shmtest_foo-directory-command: create failed: after 1 failed attempts: dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
    const ghost = result.executions.find((e) => e.name === "ghost-shmtest_foo-directory-command")!;
    assert.ok(ghost.endedAt - ghost.startedAt < 6_000, `failed in ${ghost.endedAt - ghost.startedAt} ms`);
    assert.ok(result.warnings.some((w) => w.startsWith("host ghost: the drift probe failed (ssh to 127.0.0.1 failed with exit status 255")));
    assert.equal(result.executions.filter((e) => e.name.startsWith("fleet-alpha") && e.status === 0).length, 4, "alpha completes");
  });

  it("a host that accepts TCP and never speaks SSH: its parts are refused, the others complete, and the run ends", async () => {
    // The provider's SSH client bounds only the TCP connect (perDialTimeout): an operation on
    // this host would wait for its banner without end. The probe's OpenSSH client bounds the
    // banner exchange too, and what it finds keeps every operation of the host from starting.
    const silent: Server = createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, "127.0.0.1", resolve));
    try {
      const started = Date.now();
      const result = await new EngineStandIn().up(withGhost(port), { continueOnError: true });
      const refusal =
        "host ghost: its sshd accepted the SSH connection and never answered (the drift probe timed out in the banner exchange), so none of its parts is applied: " +
        "the command provider's SSH client would wait for it without limit and hold the run; restart its sshd, or take the host out of the program";
      assert.ok(result.failures.some((f) => f.includes(refusal)), result.failures.join("\n"));
      assert.deepEqual(result.executions.filter((e) => e.name.startsWith("ghost")), [], "no operation started on the silent host");
      assert.equal(result.executions.filter((e) => e.name.startsWith("fleet-alpha") && e.status === 0).length, 4, "alpha completes");
      assert.ok(Date.now() - started < 60_000, `ended in ${Date.now() - started} ms`);
    } finally {
      silent.close();
    }
  });

  it("a profile the parser rejects keeps the old profile; fixed, a later up completes", async () => {
    const alpha = fleet.get("alpha").host;
    const path = "/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app";
    const broken = appProfile("shmtest_foo", "app").replace("  /tmp/ r,\n", "  /tmp/ nonsense,\n");
    alpha.writeFile(path, broken);
    const engine = new EngineStandIn();
    const result = await engine.up(program(["alpha"]));
    assert.equal(result.errors.length, 1, result.errors.join("\n"));
    assert.match(
      result.errors[0],
      /stderr: snap-shm: apparmor_parser rejects the new \/var\/lib\/snapd\/apparmor\/profiles\/snap\.shmtest_foo\.app: AppArmor parser error for \/var\/lib\/snapd\/apparmor\/profiles\/snap\.shmtest_foo\.app in profile \/var\/lib\/snapd\/apparmor\/profiles\/snap\.shmtest_foo\.app at line \d+: syntax error, [^\n]*; the old profile is kept\n$/,
    );
    assert.ok(!result.executions.some((e) => e.name.includes("mount-command")), "the mount part, which waits for it, never ran");
    assert.equal(alpha.readFile(path), broken);
    assert.ok(!alpha.readFile("/var/lib/snapd/apparmor/profiles/snap-update-ns.shmtest_foo")!.includes("snap-shm"));
    alpha.writeFile(path, appProfile("shmtest_foo", "app"));
    await completesLater(engine, ["alpha"]);
  });

  it("a full disk keeps the old mount profile whole; with room again, a later up completes", async () => {
    const alpha = fleet.get("beta").host;
    const fstab = "/var/lib/snapd/mount/snap.shmtest_foo.fstab";
    const overname = "/snap/shmtest_foo /snap/shmtest none rbind,x-snapd.origin=overname 0 0\n";
    alpha.must(`mount -t tmpfs -o size=16k full /var/lib/snapd/mount && printf '%s' '${overname}' > ${fstab} && (head -c 1M /dev/zero > /var/lib/snapd/mount/.filler || true)`);
    const engine = new EngineStandIn();
    const result = await engine.up(program(["beta"]));
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0], /stderr: snap-shm: cannot add the entry to \/var\/lib\/snapd\/mount\/snap\.shmtest_foo\.fstab: .*; the file is left as it is/s);
    assert.equal(alpha.readFile(fstab), overname);
    alpha.must("rm /var/lib/snapd/mount/.filler");
    const later = await engine.up(program(["beta"]));
    assert.deepEqual(later.errors, []);
    assert.equal(alpha.readFile(fstab), `${overname}/dev/shm/snap.shmtest_foo /dev/shm none bind,rw 0 0\n`);
  });

  it("a host whose /dev/shm is a symlink gets snapd's message; fixed, a later up completes", async () => {
    const alpha = fleet.get("alpha").host;
    alpha.must("umount /run/snapd/ns/shmtest_foo.mnt && umount /dev/shm && rmdir /dev/shm && mkdir -p /run/shm && ln -s /run/shm /dev/shm");
    const engine = new EngineStandIn();
    const result = await engine.up(program(["alpha"]));
    assert.match(result.errors[0], /^fleet-alpha-shmtest_foo-directory-command: create failed: .*stderr: snap-shm: shared-memory plug with "private: true" cannot be connected if "\/dev\/shm" is a symlink/s);
    assert.deepEqual(result.executions.map((e) => e.name), ["fleet-alpha-shmtest_foo-directory-command"], "nothing else ran");
    assert.equal(alpha.exists("/run/shm/snap.shmtest_foo"), false);
    alpha.must("rm /dev/shm && mkdir /dev/shm && mount -t tmpfs -o mode=1777 shm /dev/shm");
    await completesLater(engine, ["alpha"]);
  });

  it("a file where the directory should be is refused and kept; moved away, a later up completes", async () => {
    const alpha = fleet.get("alpha").host;
    alpha.must("echo precious > /dev/shm/snap.shmtest_foo");
    const engine = new EngineStandIn();
    const result = await engine.up(program(["alpha"]));
    assert.match(result.errors[0], /stderr: snap-shm: refusing \/dev\/shm\/snap\.shmtest_foo: it is a file, not a directory/s);
    assert.equal(alpha.readFile("/dev/shm/snap.shmtest_foo"), "precious\n");
    alpha.must("mv /dev/shm/snap.shmtest_foo /root/precious");
    await completesLater(engine, ["alpha"]);
  });

  it("two applies at once on one host: both complete, and the host ends as one would leave it", async () => {
    const [one, two] = await Promise.all([new EngineStandIn().up(program(["alpha"])), new EngineStandIn().up(program(["alpha"]))]);
    assert.deepEqual([one.errors, two.errors], [[], []]);
    const alpha = fleet.get("alpha").host;
    assert.equal(alpha.readFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app")!.split("# BEGIN snap-shm").length, 2);
    assert.equal(alpha.readFile("/var/lib/snapd/mount/snap.shmtest_foo.fstab"), "/dev/shm/snap.shmtest_foo /dev/shm none bind,rw 0 0\n");
    assert.equal(alpha.shmMounts("shmtest_foo").length, 2, "one bind");
  });

  it("a user whose sudo asks for a password: refused with a clear message before anything changes", async () => {
    const beta = fleet.get("beta").host;
    beta.writeFile("/etc/sudoers.d/ops", "ops ALL=(ALL) ALL\n", "0440");
    const engine = new EngineStandIn();
    const before = beta.snapshot("/var/lib/snapd");
    const result = await engine.up(program(["beta"]));
    assert.match(result.errors[0], /^fleet-beta-shmtest_foo-directory-command: create failed: .*stderr: snap-shm: sudo -n failed: sudo on this host asks for a password/s);
    assert.ok(result.warnings.some((w) => w.includes("the drift probe failed")), JSON.stringify(result.warnings));
    assert.deepEqual(beta.snapshot("/var/lib/snapd"), before);
    beta.writeFile("/etc/sudoers.d/ops", "ops ALL=(ALL) NOPASSWD: ALL\n", "0440");
    await completesLater(engine, ["beta"]);
  });
});
