/**
 * Drift-aware previews end to end: the host probe runs over SSH on every preview and up
 * (through the stand-in's local invokes); a part that drifted shows as an update of that part
 * only, `up` repairs it through that update, and the next preview shows no change.
 */
import { strict as assert } from "node:assert";
import { changes, EngineStandIn } from "../support/engine-stand-in";
import { TestFleet } from "../support/test-fleet";
import { appProfile } from "../fixtures/snapd-profiles";
import { fleetProgram } from "./fleet-program";

describe("drift-aware preview and repair over SSH (engine stand-in)", function () {
  this.timeout(300_000);
  let fleet: TestFleet;
  const engine = new EngineStandIn();
  const program = (driftDetection?: boolean) => fleetProgram(fleet, { snaps: { alpha: ["shmtest_foo", "shmother"], beta: ["shmtest_foo"] }, driftDetection });

  before(async () => {
    fleet = await TestFleet.start([
      { name: "alpha", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"], running: true }, { instance: "shmother", apps: ["app"] }] },
      { name: "beta", login: "sudo-nopasswd", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] }] },
    ]);
    const first = await engine.up(program());
    assert.deepEqual(first.errors, []);
    assert.deepEqual(changes(await engine.preview(program())), []);
  });
  after(async () => fleet?.stop());

  async function repairedWithoutFlapping(expected: string[]) {
    const preview = await engine.preview(program());
    assert.deepEqual(changes(preview), expected);
    assert.deepEqual(preview.executions, [], "a preview runs nothing on the hosts");
    const up = await engine.up(program());
    assert.deepEqual(up.errors, []);
    assert.deepEqual(up.executions.map((e) => `${e.name}:${e.op}`).sort(), expected.map((e) => e.replace(/:update$/, ":update")));
    assert.deepEqual(changes(await engine.preview(program())), [], "once repaired, the next preview shows no change");
    return up;
  }

  it("a reboot (a fresh /dev/shm, the namespace gone) is an update of the directory parts only", async () => {
    const alpha = fleet.get("alpha").host;
    // A reboot: /run and /dev/shm start empty (the preserved namespace and snapd's record of it gone).
    alpha.must("umount /run/snapd/ns/shmtest_foo.mnt && rm /run/snapd/ns/* && umount /dev/shm && mount -t tmpfs -o mode=1777 shm /dev/shm");
    const up = await repairedWithoutFlapping(["fleet-alpha-shmother-directory-command:update", "fleet-alpha-shmtest_foo-directory-command:update"]);
    assert.ok(up.warnings.some((w) => w.includes("fleet-alpha-shmtest_foo: the directory part differs on the host (type=missing)")));
    assert.deepEqual(alpha.stat("/dev/shm/snap.shmtest_foo"), { type: "directory", mode: "1777", owner: "root", group: "root" });
  });

  it("snapd regenerating a running snap's profiles and mount profile is an update of its AppArmor and mount parts, which puts the bind back live", async () => {
    const alpha = fleet.get("alpha").host;
    alpha.preserveNamespace("shmtest_foo");
    // What snapd does on a refresh or connect: profiles rewritten without the block, the
    // mount profile without the line, the bind undone by snap-update-ns.
    alpha.writeFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app", appProfile("shmtest_foo", "app"));
    alpha.must("rm /var/lib/snapd/mount/snap.shmtest_foo.fstab && /usr/lib/snapd/snap-update-ns shmtest_foo");
    await repairedWithoutFlapping(["fleet-alpha-shmtest_foo-apparmor-command:update", "fleet-alpha-shmtest_foo-mount-command:update"]);
    assert.equal(alpha.shmMounts("shmtest_foo").pop()!.split(" ")[3], "/snap.shmtest_foo");
    assert.ok(alpha.readFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app")!.includes("# BEGIN snap-shm private-shm"));
  });

  it("a snapd upgraded past 2.60.2 (profiles rewritten on its new system key) gets its own rule, and the next preview shows no change", async () => {
    const beta = fleet.get("beta").host;
    const profile = "/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app";
    assert.ok(beta.readFile(profile)!.includes('"/dev/shm/*" mrwlkix,'), "Debian's snapd 2.57.6 writes the single-level rule");
    const info = beta.readFile("/usr/lib/snapd/info")!;
    beta.writeFile("/usr/lib/snapd/info", info.replace(/^VERSION=.*$/m, "VERSION=2.61.1"));
    try {
      beta.writeFile(profile, appProfile("shmtest_foo", "app"));
      beta.writeFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.hook.configure", appProfile("shmtest_foo", "hook.configure"));
      await repairedWithoutFlapping(["fleet-beta-shmtest_foo-apparmor-command:update"]);
      assert.ok(beta.readFile(profile)!.includes('"/dev/shm/**" mrwlkix,'), "snapd 2.61.1 writes the recursive rule");
      // The heal installed before the upgrade writes the new rule too: it picks it when it runs.
      beta.writeFile(profile, appProfile("shmtest_foo", "app"));
      beta.must("sh /var/lib/snap-shm/shmtest_foo/heal.sh >/dev/null");
      assert.ok(beta.readFile(profile)!.includes('"/dev/shm/**" mrwlkix,'));
    } finally {
      beta.writeFile("/usr/lib/snapd/info", info);
    }
    // And back: snapd downgraded, its rule again.
    await repairedWithoutFlapping(["fleet-beta-shmtest_foo-apparmor-command:update"]);
    assert.ok(beta.readFile(profile)!.includes('"/dev/shm/*" mrwlkix,'));
  });

  it("a directory left with a wrong mode, on a host reached through sudo, is repaired through an update", async () => {
    const beta = fleet.get("beta").host;
    beta.must("chmod 0755 /dev/shm/snap.shmtest_foo");
    await repairedWithoutFlapping(["fleet-beta-shmtest_foo-directory-command:update"]);
    assert.equal(beta.stat("/dev/shm/snap.shmtest_foo")?.mode, "1777");
  });

  it("a host whose parts are gone with snap-shm's records of them (reinstalled at the same address) gets every part applied again", async () => {
    const beta = fleet.get("beta").host;
    beta.must("rm -r /var/lib/snap-shm && rmdir /dev/shm/snap.shmtest_foo");
    // Without records the probe knows no revision: the parts in place are applied again too.
    await repairedWithoutFlapping([
      "fleet-beta-shmtest_foo-apparmor-command:update",
      "fleet-beta-shmtest_foo-directory-command:update",
      "fleet-beta-shmtest_foo-mount-command:update",
      "fleet-beta-shmtest_foo-self-heal-command:update",
    ]);
    assert.equal(beta.stat("/dev/shm/snap.shmtest_foo")?.mode, "1777");
  });

  it("with drift detection off, a preview probes nothing and sees nothing", async () => {
    const off = new EngineStandIn();
    await off.up(program(false));
    fleet.get("beta").host.must("chmod 0700 /dev/shm/snap.shmtest_foo");
    const preview = await off.preview(program(false));
    assert.equal(preview.invokes, 0);
    assert.deepEqual(changes(preview), []);
    fleet.get("beta").host.must("chmod 1777 /dev/shm/snap.shmtest_foo");
  });
});
