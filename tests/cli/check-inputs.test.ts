/**
 * What `snap-shm check` refuses before any host is touched (an inventory without hosts, a key
 * file it cannot read, a --parallel that is not plain digits), where a relative identityFile
 * starts (the inventory's folder, as the Pulumi program has it), and what counts as in sync.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { instanceInSync } from "../../src/cli/check-command";
import { reviewSummary } from "../../src/cli/review-summary";
import { freePort } from "../support/test-host";

const BIN = join(__dirname, "..", "..", "dist", "cli", "main.js");

function snapShm(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd, env: { ...process.env, SSH_AUTH_SOCK: "" } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("snap-shm check refuses before touching a host", function () {
  this.timeout(60_000);
  let work: string;
  before(() => assert.ok(existsSync(BIN), `${BIN} is missing: run npm run build first`));
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "snap-shm-check-inputs-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  for (const [what, text] of [["an empty inventory", ""], ["a comment-only inventory", "# hosts to come\n"]]) {
    it(`${what}: exit 2, naming hosts`, () => {
      const inventory = join(work, "inventory.yaml");
      writeFileSync(inventory, text);
      const { status, stdout, stderr } = snapShm(work, "check", inventory);
      assert.deepEqual([status, stdout], [2, ""]);
      assert.equal(stderr, `snap-shm check: the inventory is not valid:\n${inventory}:1:1: hosts: no hosts: give at least one host under "hosts" or under a group's "hosts"\n`);
    });
  }

  describe("a relative identityFile starts at the inventory's folder, not the current one", () => {
    let fleetDir: string;
    let elsewhere: string;
    let inventory: string;
    beforeEach(async () => {
      fleetDir = join(work, "fleet");
      elsewhere = join(work, "elsewhere");
      mkdirSync(join(fleetDir, "keys"), { recursive: true });
      mkdirSync(join(elsewhere, "keys"), { recursive: true });
      inventory = join(fleetDir, "inventory.yaml");
      // Nothing listens there: a host that is checked is unreachable (exit 1), not refused (exit 2).
      writeFileSync(inventory, `defaults: {identityFile: keys/id, dialErrorLimit: 1, perDialTimeout: 2}\nhosts:\n  h1: {address: 127.0.0.1, port: ${await freePort()}}\n`);
    });

    it("refuses a key file missing there, even when the current folder has one, with exit 2 naming the field and path", () => {
      writeFileSync(join(elsewhere, "keys", "id"), "not read\n");
      const { status, stdout, stderr } = snapShm(elsewhere, "check", join("..", "fleet", "inventory.yaml"));
      assert.deepEqual([status, stdout], [2, ""]);
      assert.equal(stderr, `snap-shm check: identityFile ${JSON.stringify(join(fleetDir, "keys", "id"))} (of host "h1") cannot be read: ENOENT\n`);
    });

    it("uses the key file there, whatever the current folder", () => {
      writeFileSync(join(fleetDir, "keys", "id"), "not a real key\n", { mode: 0o600 });
      const { status, stderr, stdout } = snapShm(elsewhere, "check", "--json", inventory);
      assert.equal(status, 1, stderr);
      const outcome = JSON.parse(stdout);
      assert.deepEqual([outcome.inSync, outcome.hosts[0].reachable], [false, false]);
    });

    it("refuses a folder given as a key file", () => {
      mkdirSync(join(fleetDir, "keys", "id"));
      const { status, stderr } = snapShm(elsewhere, "check", inventory);
      assert.equal(status, 2);
      assert.equal(stderr, `snap-shm check: identityFile ${JSON.stringify(join(fleetDir, "keys", "id"))} (of host "h1") cannot be read: it is not a file\n`);
    });
  });

  it("takes --parallel in plain decimal digits only", () => {
    for (const value of [" 2", "0x10", "1e3", "2.0", "+2", "", "0"]) {
      const { status, stderr } = snapShm(work, "check", "--parallel", value, "/nonexistent.yaml");
      assert.equal(status, 2, value);
      assert.ok(stderr.startsWith(`snap-shm check: --parallel must be a whole number in decimal digits, 1 or more, not ${JSON.stringify(value)}\n`), stderr);
    }
    // Accepted: the next problem is the missing inventory.
    assert.match(snapShm(work, "check", "--parallel", "16", "/nonexistent.yaml").stderr, /^snap-shm check: cannot read \/nonexistent\.yaml: ENOENT/);
  });
});

describe("what counts as in sync", () => {
  const inSync = { inSync: true, differs: [] };
  const heal = { enabled: true, inSync: true, differs: [], systemd: true, lastSelfHeal: null, repairs: 0 };
  const instance = { instance: "chromium", mode: "managed" as const, parts: { directory: inSync, apparmor: inSync, mount: inSync }, selfHeal: heal };

  it("every part and self-heal in sync", () => assert.equal(instanceInSync(instance), true));

  it("not a self-heal whose probe failed (null): unknown fails the gate", () => {
    assert.equal(instanceInSync({ ...instance, selfHeal: null }), false);
    const host = { name: "kiosk-01", address: "10.0.0.1", reachable: true, instances: [{ ...instance, selfHeal: null }] };
    assert.match(reviewSummary({ inSync: false, hosts: [host] }), /0 of 1 host\(s\) in sync/);
  });

  it("not a part whose probe failed (null)", () => assert.equal(instanceInSync({ ...instance, parts: { ...instance.parts, mount: null } }), false));
});
