/**
 * The whole path of a `pulumi up`, end to end: the program under mocks, every registered
 * command carried out over real SSH by the test stand-in for the engine and the command
 * provider, on three test hosts (root with a key; a user through sudo -n; root through a
 * bastion), each with a parallel instance `shmtest_foo` ("running" on alpha) and `shmother`.
 * Every scenario is asserted on the hosts' real state.
 */
import { strict as assert } from "node:assert";
import { readdirSync } from "node:fs";
import { closeSharedConnections } from "../../src/resources/shared-connection";
import { EngineStandIn } from "../support/engine-stand-in";
import { TestFleet } from "../support/test-fleet";
import { fleetProgram, FleetProgramOptions } from "./fleet-program";

const FOLDERS = ["/var/lib/snapd", "/etc/tmpfiles.d", "/var/lib/snap-shm", "/var/cache/apparmor", "/etc/systemd/system"];
const BOTH = ["shmtest_foo", "shmother"];

for (const sharing of [false, true]) {
  describe(`a fleet's lifecycle over SSH (engine stand-in)${sharing ? ", each part over its host's shared connection (gamma's through its bastion)" : ""}`, function () {
    this.timeout(300_000);
    let fleet: TestFleet;
    let initial: Record<string, Record<string, Record<string, string>>>;
    const engine = new EngineStandIn();
    const snapshot = () =>
      Object.fromEntries(fleet.hosts.map((h) => [h.name, Object.fromEntries(FOLDERS.map((f) => [f, h.host.snapshot(f)]))]));

    before(async () => {
      fleet = await TestFleet.start([
        { name: "alpha", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"], running: true }, { instance: "shmother", apps: ["app"] }] },
        { name: "beta", login: "sudo-nopasswd", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] }, { instance: "shmother", apps: ["app", "daemon"] }] },
        { name: "gamma", via: "alpha", snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] }, { instance: "shmother", apps: ["app"] }] },
      ]);
      initial = snapshot();
    });
    after(async () => fleet?.stop());

    const program = (options: FleetProgramOptions) => fleetProgram(fleet, { ...options, connectionSharing: sharing || undefined });
    const everywhere = { snaps: { alpha: BOTH, beta: BOTH, gamma: BOTH }, snapdVersions: { shmother: "2.58.3" } };

    it("up from nothing: 3 hosts × 2 snaps, every part applied over SSH", async () => {
      const result = await engine.up(program(everywhere));
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.warnings, [], "every drift probe ran");
      // Per snap: directory (after the prerequisite check, in the same connection), AppArmor, mount and self-heal.
      assert.equal(result.executions.filter((e) => e.op === "create").length, 3 * 2 * 4);
      assert.equal(result.invokes, 3, "one drift probe per host");
      // Over a shared connection each part is a local command, gamma's too, through its bastion.
      const overShared = new Set(result.executions.filter((e) => e.host === "localhost").map((e) => e.name.split("-")[1]));
      assert.deepEqual([...overShared].sort(), sharing ? ["alpha", "beta", "gamma"] : []);
      for (const { name, host } of fleet.hosts) {
        for (const instance of BOTH) {
          assert.deepEqual(host.stat(`/dev/shm/snap.${instance}`), { type: "directory", mode: "1777", owner: "root", group: "root" }, `${name} ${instance}`);
          assert.equal(host.readFile(`/var/lib/snapd/mount/snap.${instance}.fstab`), `/dev/shm/snap.${instance} /dev/shm none bind,rw 0 0\n`);
          assert.ok(host.readFile(`/var/lib/snapd/apparmor/profiles/snap.${instance}.app`)!.includes("# BEGIN snap-shm private-shm"));
        }
        // Detected on the host: Debian's snapd 2.57.6 writes the single-level rule; shmother targets 2.58.3.
        assert.ok(host.readFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app")!.includes('\n"/dev/shm/*" mrwlkix,\n'));
      }
      const summary = await new Promise<Record<string, Record<string, { changed: string[]; host: { snapdVersion: string } }>>>((resolve) =>
        (result.value as unknown as { summary: { apply(f: (v: unknown) => void): void } }).summary.apply((v) => resolve(v as never)),
      );
      assert.equal(summary.beta.shmother.host.snapdVersion, "2.57.6-1+deb12u1+b2");
      assert.ok(summary.gamma.shmtest_foo.changed.includes("created /dev/shm/snap.shmtest_foo (mode 1777, root:root)"));
    });

    it("the running snap has its private /dev/shm live, the hosts' own /dev/shm untouched", () => {
      const alpha = fleet.get("alpha").host;
      const inside = alpha.shmMounts("shmtest_foo");
      assert.equal(inside[inside.length - 1].split(" ")[3], "/snap.shmtest_foo");
      for (const { host } of fleet.hosts) assert.ok(host.shmMounts().every((line) => line.split(" ")[3] === "/"));
      assert.deepEqual(readdirSync("/dev/shm").filter((n) => n.startsWith("snap.shm")), [], "this machine's /dev/shm untouched");
    });

    it("a second up executes no command at all", async () => {
      const result = await engine.up(program(everywhere));
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.warnings, [], "every drift probe ran");
      assert.deepEqual(result.executions, []);
      assert.ok(result.steps.every((s) => s.step === "same"));
      const preview = await engine.preview(program(everywhere));
      assert.ok(preview.steps.every((s) => s.step === "same"), "and a preview shows no change");
    });

    it("a change of one snap's rule generation updates only that snap's AppArmor and self-heal parts, on the hosts that have it", async () => {
      const twoHosts = { snaps: { alpha: BOTH, beta: ["shmtest_foo"], gamma: BOTH }, snapdVersions: { shmother: "2.61.3" } };
      // beta drops shmother in the same change: its parts go; the others' AppArmor parts update, and
      // their self-heal parts, whose heal script carries the rule.
      const preview = await engine.preview(program({ ...twoHosts, snaps: { ...twoHosts.snaps, beta: BOTH } }));
      const changes = preview.steps.filter((s) => s.step !== "same");
      assert.deepEqual(changes.map((s) => `${s.name}:${s.step}:${s.changed.join(",")}`).sort(), [
        "fleet-alpha-shmother-apparmor-command:update:create",
        "fleet-alpha-shmother-self-heal-command:update:create",
        "fleet-beta-shmother-apparmor-command:update:create",
        "fleet-beta-shmother-self-heal-command:update:create",
        "fleet-gamma-shmother-apparmor-command:update:create",
        "fleet-gamma-shmother-self-heal-command:update:create",
      ]);
      const result = await engine.up(program({ ...twoHosts, snaps: { ...twoHosts.snaps, beta: BOTH } }));
      assert.deepEqual(result.executions.map((e) => `${e.name}:${e.op}`).sort(), changes.map((s) => `${s.name}:update`).sort());
      for (const name of ["alpha", "beta", "gamma"]) {
        const profile = fleet.get(name).host.readFile("/var/lib/snapd/apparmor/profiles/snap.shmother.app")!;
        assert.ok(profile.includes('\n"/dev/shm/**" mrwlkix,\n') && !profile.includes('"/dev/shm/*" mrwlkix,'), name);
        assert.ok(fleet.get(name).host.readFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app")!.includes('"/dev/shm/*" mrwlkix,'), name);
      }
    });

    it("a snap removed from the program: its parts removed in reverse order, its segments kept", async () => {
      const beta = fleet.get("beta").host;
      beta.must("echo data > /dev/shm/snap.shmother/segment");
      const result = await engine.up(program({ snaps: { alpha: BOTH, beta: ["shmtest_foo"], gamma: BOTH }, snapdVersions: { shmother: "2.61.3" } }));
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.warnings, [], "every drift probe ran");
      assert.deepEqual(result.executions.map((e) => `${e.name}:${e.op}`), [
        "fleet-beta-shmother-self-heal-command:delete",
        "fleet-beta-shmother-mount-command:delete",
        "fleet-beta-shmother-apparmor-command:delete",
        "fleet-beta-shmother-directory-command:delete",
      ]);
      assert.equal(beta.readFile("/dev/shm/snap.shmother/segment"), "data\n");
      assert.equal(beta.exists("/var/lib/snapd/mount/snap.shmother.fstab"), false);
      assert.ok(!beta.readFile("/var/lib/snapd/apparmor/profiles/snap.shmother.daemon")!.includes("snap-shm"));
      assert.ok(beta.readFile("/var/lib/snapd/apparmor/profiles/snap.shmtest_foo.app")!.includes("snap-shm"), "the other snap keeps its parts");
      assert.equal(engine.resourceNames().filter((n) => n.startsWith("fleet-beta-shmother")).length, 0);
    });

    it("destroy: every host folder back to its initial bytes, the running snap's bind gone, segments kept", async () => {
      fleet.get("alpha").host.must("nsenter --mount=/run/snapd/ns/shmtest_foo.mnt sh -c 'echo live > /dev/shm/in-use'");
      // No probe runs on destroy: with none open, the first removal of each host opens its
      // shared connection with the credentials in its environment (gamma's through its bastion).
      if (sharing) closeSharedConnections();
      const result = await engine.destroy();
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.warnings, [], "every drift probe ran");
      assert.deepEqual(engine.resourceNames(), []);
      assert.deepEqual(snapshot(), initial);
      const alpha = fleet.get("alpha").host;
      assert.equal(alpha.shmMounts("shmtest_foo").length, 1, "the snap's namespace has its own /dev/shm again");
      assert.equal(alpha.readFile("/dev/shm/snap.shmtest_foo/in-use"), "live\n");
      assert.equal(fleet.get("beta").host.readFile("/dev/shm/snap.shmother/segment"), "data\n");
      assert.equal(fleet.get("gamma").host.exists("/dev/shm/snap.shmother"), false, "an empty directory goes");
    });
  });
}
