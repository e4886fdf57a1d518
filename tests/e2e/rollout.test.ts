/**
 * The root fleet program end to end (engine stand-in, real SSH): a YAML inventory of three
 * test hosts rolled out one host per batch. A failing batch stops the ones after it; hosts the
 * probe cannot reach are tolerated up to the failure budget, and beyond it nothing is changed.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EngineStandIn, RunReport } from "../support/engine-stand-in";
import { rootProgram } from "../support/root-program";
import { TestFleet } from "../support/test-fleet";

const HOSTS = ["alpha", "beta", "gamma"];

describe("the root program's rollout over SSH (engine stand-in)", function () {
  this.timeout(300_000);
  let fleet: TestFleet;
  let work: string;
  const engine = new EngineStandIn();

  function program(rollout: string, apps: Record<string, string> = {}, defaults = "") {
    const hosts = fleet.hosts
      .map(({ name, connection }) =>
        `  ${name}:\n    address: ${connection.host}\n    port: ${connection.port}\n    hostKey: ${connection.hostKey}\n` +
        `    snaps: [{instance: shmtest_foo, apps: [${apps[name] ?? "app"}], hooks: [configure]}]\n`,
      )
      .join("");
    const inventory = join(work, "inventory.yaml");
    writeFileSync(inventory, `rollout: ${rollout}\ndefaults:\n  user: root\n  identityFile: fleet.key\n  dialErrorLimit: 1\n${defaults}hosts:\n${hosts}`);
    return rootProgram({ "snap-shm:inventory": inventory });
  }
  const hostsRun = (report: RunReport) => [...new Set(report.executions.map((e) => e.name.split("-")[1]))];

  before(async () => {
    fleet = await TestFleet.start(HOSTS.map((name) => ({ name, snaps: [{ instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] }] })));
    work = mkdtempSync(join(tmpdir(), "snap-shm-rollout-"));
    writeFileSync(join(work, "fleet.key"), fleet.key.privateKey, { mode: 0o600 });
  });
  after(async () => {
    await fleet?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("a failing host stops the batches after it", async () => {
    // alpha's inventory names an app the snap does not have on that host.
    const up = await engine.up(program("{batchSize: 1}", { alpha: "ghost" }), { continueOnError: true });
    assert.deepEqual(hostsRun(up), ["alpha"], "beta and gamma never started");
    assert.ok(up.errors.some((e) => e.startsWith("fleet-alpha-shmtest_foo-")), up.errors.join("\n"));
    assert.equal(fleet.get("beta").host.exists("/dev/shm/snap.shmtest_foo"), false);
  });

  it("batches run one after another: each starts when the previous one has finished", async () => {
    const up = await engine.up(program("{batchSize: 1}"));
    assert.deepEqual(up.errors, []);
    const span = (host: string) => {
      const runs = up.executions.filter((e) => e.name.startsWith(`fleet-${host}-`));
      assert.ok(runs.length > 0, `${host} ran`);
      return { start: Math.min(...runs.map((e) => e.startedAt)), end: Math.max(...runs.map((e) => e.endedAt)) };
    };
    assert.ok(span("alpha").end <= span("beta").start && span("beta").end <= span("gamma").start, JSON.stringify(HOSTS.map(span)));
    for (const { host } of fleet.hosts) assert.deepEqual(host.stat("/dev/shm/snap.shmtest_foo")?.mode, "1777");
  });

  it("more unreachable hosts than the budget: the run stops before any host is changed", async () => {
    await fleet.get("beta").host.killSshd();
    fleet.get("gamma").host.must("chmod 0755 /dev/shm/snap.shmtest_foo");
    const up = await engine.up(program("{batchSize: 1, failureBudget: 0}"), { continueOnError: true });
    assert.deepEqual(up.executions, [], "nothing ran on any host");
    assert.ok(
      up.failures.some((f) => f.includes("rollout stopped before any host was changed: 1 host(s) could not be reached or probed (beta), and the failure budget is 0")),
      up.failures.join("\n"),
    );
    assert.equal(fleet.get("gamma").host.stat("/dev/shm/snap.shmtest_foo")?.mode, "755");
  });

  it("within the budget, the unreachable host is left out of the order and the others go on", async () => {
    const up = await engine.up(program("{batchSize: 1, failureBudget: 1}"), { continueOnError: true });
    // beta's parts are applied again (its probe failed) and fail: the tolerated failure.
    assert.deepEqual(up.errors.map((e) => e.split(":")[0]), ["fleet-beta-shmtest_foo-directory-command"], up.errors.join("\n"));
    // Which hosts ran, not in which order: beta's failure and gamma's repair do not wait for each other.
    assert.deepEqual(hostsRun(up).sort(), ["beta", "gamma"], "gamma's drifted directory repaired though beta, before it, is down");
    assert.ok(up.warnings.some((w) => w.includes("rollout: left out of the batch order, unreachable before the run: beta")), up.warnings.join("\n"));
    assert.equal(fleet.get("gamma").host.stat("/dev/shm/snap.shmtest_foo")?.mode, "1777");
  });

  for (const sharing of [false, true]) {
    it(`a host whose sshd hangs: the run stops before any host is changed, whatever the budget${sharing ? ", with connectionSharing too" : ""}`, async () => {
      // beta is still down (tolerated); gamma's sshd hangs: the provider would wait for it without
      // end, and a shared connection's OpenSSH until its connect timeout; the refusal says which.
      // With connectionSharing, the probe's ssh keeps the relay's report of it in a file: ssh
      // sends the standard error of the relay of a connection that is to persist to /dev/null.
      const gamma = fleet.get("gamma").host;
      gamma.must("mkdir -p /dev/shm/snap.shmtest_foo && chmod 0755 /dev/shm/snap.shmtest_foo");
      gamma.pauseSshd(true);
      try {
        const started = Date.now();
        const up = await engine.up(program("{batchSize: 1, failureBudget: 5}", {}, `  perDialTimeout: 3\n  connectionSharing: ${sharing}\n`), { continueOnError: true });
        assert.deepEqual(up.executions, [], "nothing ran on any host");
        const wait = sharing
          ? "each of their parts' OpenSSH would wait for them until its connection timed out (connection.perDialTimeout), then fail"
          : "the command provider's SSH client would wait for them without limit and hold the run";
        const refusal = `rollout stopped before any host was changed: 1 host(s) accepted the SSH connection and never answered (gamma); ${wait}: restart their sshd, or take them out of the inventory`;
        assert.ok(up.failures.some((f) => f.includes(refusal)), up.failures.join("\n"));
        assert.ok(Date.now() - started < 60_000, `ended in ${Date.now() - started} ms`);
      } finally {
        gamma.pauseSshd(false);
      }
      assert.equal(gamma.stat("/dev/shm/snap.shmtest_foo")?.mode, "755", "gamma left as it was");
    });
  }
});
