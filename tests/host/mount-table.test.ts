/**
 * The mount part's reading of a snap namespace's mount table (namespace_shm_root, in
 * src/host/mount.sh): which mount is the namespace's /dev/shm, over generated tables, against
 * the rule it implements: of the mounts on /dev/shm, the last one no other /dev/shm mount sits
 * on; its root says whose directory it binds (`/snap.I` for the private one).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { HOST_SCRIPT_DIR } from "../../src/render/host-command";

/** The rule, over mountinfo's fields (ID PARENT MAJ:MIN ROOT MOUNT-POINT ...). */
function topShmRoot(mountinfo: string): string {
  const shm = mountinfo
    .split("\n")
    .map((line) => line.split(" ").filter(Boolean))
    .filter((fields) => fields[4] === "/dev/shm");
  const sitOn = new Set(shm.map((fields) => fields[1]));
  for (let i = shm.length - 1; i >= 0; i--) if (!sitOn.has(shm[i][0])) return shm[i][3];
  return "";
}

/** namespace_shm_root with nsenter standing in: the namespace's table is MOUNTINFO. */
function hostShmRoot(mountinfo: string): { status: number | null; stdout: string; stderr: string } {
  const sources = ["lib.sh", "mount.sh"].map((f) => `. ${join(HOST_SCRIPT_DIR, f)}`).join("; ");
  const call = `nsenter() { printf '%s\\n' "$MOUNTINFO"; }; ns_file=/run/snapd/ns/x.mnt; namespace_shm_root; printf '%s' "$shm_root"`;
  return spawnSync("sh", ["-c", `${sources}; ${call}`], { encoding: "utf8", env: { ...process.env, MOUNTINFO: mountinfo } });
}

const mountPoint = fc.constantFrom("/dev/shm", "/dev/shm", "/dev", "/dev/shm/x", "/", "/snap/a\\040b", "/dev/shm\\040x");
const root = fc.constantFrom("/", "/snap.shm_x", "/snap.other", "/a\\040b");
const table = fc
  .array(fc.tuple(fc.integer({ min: 20, max: 40 }), root, mountPoint, fc.constantFrom("", " shared:5", " master:1 shared:7")), { maxLength: 12 })
  .map((mounts) =>
    mounts
      .map(([parent, rootPath, point, optional], i) => `${100 + i} ${parent <= 30 && i > 0 ? 100 + (parent % i) : parent} 0:${i} ${rootPath} ${point} rw,nosuid${optional} - tmpfs tmpfs rw`)
      .join("\n"),
  );

describe("the mount part reads a namespace's mount table", function () {
  this.timeout(120_000);

  it("finds the top /dev/shm mount's root, over generated tables, as the rule says", () => {
    fc.assert(
      fc.property(table, (mountinfo) => {
        const host = hostShmRoot(mountinfo);
        assert.equal(host.status, 0, host.stderr);
        assert.equal(host.stdout, topShmRoot(mountinfo), mountinfo);
      }),
      { numRuns: 300 },
    );
  });

  it("a bind on top of the namespace's own /dev/shm, and one on top of that", () => {
    const own = "210 200 0:25 / /dev/shm rw,nosuid,nodev shared:9 - tmpfs tmpfs rw";
    const bind = "260 210 0:25 /snap.shm_x /dev/shm rw,nosuid,nodev shared:9 - tmpfs tmpfs rw";
    const twice = "270 260 0:25 /snap.shm_x /dev/shm rw,nosuid,nodev shared:9 - tmpfs tmpfs rw";
    assert.equal(hostShmRoot(own).stdout, "/");
    assert.equal(hostShmRoot([own, bind].join("\n")).stdout, "/snap.shm_x");
    assert.equal(hostShmRoot([own, bind, twice].join("\n")).stdout, "/snap.shm_x");
    // A later mount elsewhere (a bind of /dev/shm/x) is not the namespace's /dev/shm.
    assert.equal(hostShmRoot([own, "280 210 0:25 /x /dev/shm/x rw - tmpfs tmpfs rw"].join("\n")).stdout, "/");
    assert.equal(hostShmRoot("").stdout, "");
  });
});
