/**
 * Native mode end to end over SSH (engine stand-in): where the host's snapd has private
 * shared memory and the snap declares a private plug, snapd does the work. The hosts carry
 * the TEST STAND-IN for snapd's `snap` command (tests/support/snap-stand-in.sh), which
 * answers as snapd 2.57.6 and writes snapd's artifacts on `snap connect`; the namespace is
 * updated by snapd's real snap-update-ns.
 */
import { strict as assert } from "node:assert";
import { changes, EngineStandIn, RunReport } from "../support/engine-stand-in";
import { TestFleet } from "../support/test-fleet";
import { fleetProgram, FleetProgramOptions } from "./fleet-program";

const P = "shmpriv";
const PROFILES = "/var/lib/snapd/apparmor/profiles";
const FSTAB = `/var/lib/snapd/mount/snap.${P}.fstab`;
const SNAPD_APP_RULE = '\n# Description: Allow access to everything in private /dev/shm\n"/dev/shm/*" mrwlkix,\n}';

async function summaryOf(report: RunReport): Promise<Record<string, Record<string, { mode: string; modeReason: string; changed: string[]; notes: string[] }>>> {
  return new Promise((resolve) => (report.value as unknown as { summary: { apply(f: (v: unknown) => void): void } }).summary.apply((v) => resolve(v as never)));
}

describe("native mode over SSH (engine stand-in, snap command stand-in)", function () {
  this.timeout(300_000);
  let fleet: TestFleet;
  const engine = new EngineStandIn();
  const options = (modes: FleetProgramOptions["modes"] = {}): FleetProgramOptions => ({ snaps: { alpha: [P, "shmtest_foo"] }, modes });

  before(async () => {
    fleet = await TestFleet.start([
      {
        name: "alpha",
        snaps: [
          { instance: P, apps: ["browser"], privatePlug: "shmem", running: true },
          { instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] },
        ],
      },
    ]);
  });
  after(async () => fleet?.stop());

  it("managed first (forced), then auto picks native for the snap with the private plug and managed for the other", async () => {
    const alpha = fleet.get("alpha").host;
    const managed = await engine.up(fleetProgram(fleet, options({ [P]: "managed" })));
    assert.deepEqual(managed.errors, []);
    assert.ok(alpha.readFile(`${PROFILES}/snap.${P}.browser`)!.includes("# BEGIN snap-shm private-shm"));
    assert.equal(alpha.exists(`/etc/tmpfiles.d/snap-shm-${P}.conf`), true);

    const preview = await engine.preview(fleetProgram(fleet, options()));
    assert.deepEqual(changes(preview), [
      `fleet-alpha-${P}-apparmor-command:update`,
      `fleet-alpha-${P}-directory-command:update`,
      `fleet-alpha-${P}-mount-command:update`,
      `fleet-alpha-${P}-self-heal-command:update`,
    ]);
    const up = await engine.up(fleetProgram(fleet, options()));
    assert.deepEqual(up.errors, []);
    const summary = await summaryOf(up);
    assert.equal(summary.alpha[P].mode, "native");
    assert.equal(summary.alpha[P].modeReason, 'auto: snapd 2.57.6-1+deb12u1+b2 and the snap\'s private plug "shmem", so snapd does the work');
    assert.equal(summary.alpha.shmtest_foo.mode, "managed");
    assert.equal(summary.alpha.shmtest_foo.modeReason, "auto: the snap is not installed, so snap-shm manages it");
    assert.ok(summary.alpha[P].changed.includes(`connected ${P}:shmem to :shared-memory`), summary.alpha[P].changed.join("; "));

    // snapd's artifacts, written by snapd (the stand-in), and nothing of managed mode left.
    assert.equal(alpha.must(`snap connections ${P}`), `Interface      Plug           Slot            Notes\nshared-memory  ${P}:shmem  :shared-memory  manual\n`);
    const profile = alpha.readFile(`${PROFILES}/snap.${P}.browser`)!;
    assert.ok(profile.endsWith(`${SNAPD_APP_RULE}\n`), profile);
    assert.ok(!profile.includes("snap-shm"), "managed mode's block is gone");
    assert.equal(alpha.readFile(FSTAB), `/dev/shm/snap.${P} /dev/shm none bind,rw 0 0\n`);
    assert.equal(alpha.exists(`/etc/tmpfiles.d/snap-shm-${P}.conf`), false, "snapd creates the directory in native mode");
    assert.equal(alpha.exists(`/etc/systemd/system/snap-shm-heal-${P}.path`), false, "no self-heal in native mode: snapd keeps its own rules");
    assert.deepEqual(alpha.stat(`/dev/shm/snap.${P}`), { type: "directory", mode: "1777", owner: "root", group: "root" });
    assert.equal(alpha.shmMounts(P).at(-1)?.split(" ")[3], `/snap.${P}`, "the running snap has its private /dev/shm live");
    // The other snap stays managed.
    assert.ok(alpha.readFile(`${PROFILES}/snap.shmtest_foo.app`)!.includes("# BEGIN snap-shm private-shm"));
    assert.deepEqual(changes(await engine.preview(fleetProgram(fleet, options()))), [], "converged");
  });

  it("repairs the directory mode snapd never repairs, and writes nothing of snapd's", async () => {
    const alpha = fleet.get("alpha").host;
    const snapd = () => ({ ...alpha.snapshot("/var/lib/snapd"), ...alpha.snapshot("/run/snapd/ns") });
    const before = snapd();
    alpha.must(`chmod 0755 /dev/shm/snap.${P}`);
    const preview = await engine.preview(fleetProgram(fleet, options()));
    assert.deepEqual(changes(preview), [`fleet-alpha-${P}-directory-command:update`]);
    const up = await engine.up(fleetProgram(fleet, options()));
    assert.deepEqual(up.errors, []);
    assert.deepEqual(alpha.stat(`/dev/shm/snap.${P}`), { type: "directory", mode: "1777", owner: "root", group: "root" });
    assert.deepEqual(snapd(), before, "snapd's files and records unchanged");
  });

  it("refuses, naming the rule, when snapd's rule is missing although the plug is connected, and does not write it", async () => {
    const alpha = fleet.get("alpha").host;
    const path = `${PROFILES}/snap.${P}.browser`;
    const edited = alpha.readFile(path)!.replace(SNAPD_APP_RULE, "\n}");
    alpha.writeFile(path, edited);
    const preview = await engine.preview(fleetProgram(fleet, options()));
    assert.deepEqual(changes(preview), [`fleet-alpha-${P}-apparmor-command:update`]);
    const up = await engine.up(fleetProgram(fleet, options()));
    const failed = up.errors.filter((error) => !error.includes("not started"));
    assert.equal(failed.length, 1, up.errors.join("\n"));
    assert.match(
      failed[0],
      /snap-shm: snapd's private-shm rule '"\/dev\/shm\/\*" mrwlkix,' is missing from \/var\/lib\/snapd\/apparmor\/profiles\/snap\.shmpriv\.browser although the plug is connected; snap-shm does not write snapd's rules in native mode \(use mode managed\)/,
    );
    assert.equal(alpha.readFile(path), edited, "snapd's file left as it was");
    alpha.must(`rm /var/lib/snapd/stand-in/${P}.connected && snap connect ${P}:shmem :shared-memory`);
    assert.deepEqual((await engine.up(fleetProgram(fleet, options()))).errors, []);
  });

  it("connects the plug again after it was disconnected", async () => {
    const alpha = fleet.get("alpha").host;
    alpha.must(`rm /var/lib/snapd/stand-in/${P}.connected`);
    assert.match(alpha.must(`snap connections ${P}`), new RegExp(`shared-memory  ${P}:shmem  -  +-\\n$`));
    const preview = await engine.preview(fleetProgram(fleet, options()));
    assert.deepEqual(changes(preview), [`fleet-alpha-${P}-apparmor-command:update`]);
    const up = await engine.up(fleetProgram(fleet, options()));
    assert.deepEqual(up.errors, []);
    assert.match(alpha.must(`snap connections ${P}`), /:shared-memory  manual\n$/);
  });

  it("removal in native mode leaves snapd's connection and files as they are", async () => {
    const alpha = fleet.get("alpha").host;
    const before = alpha.snapshot("/var/lib/snapd");
    const up = await engine.up(fleetProgram(fleet, { snaps: { alpha: ["shmtest_foo"] } }));
    assert.deepEqual(up.errors, []);
    assert.deepEqual(alpha.snapshot("/var/lib/snapd"), before);
    assert.match(alpha.must(`snap connections ${P}`), /:shared-memory  manual\n$/);
    assert.deepEqual(alpha.stat(`/dev/shm/snap.${P}`)?.mode, "1777");
  });
});
