import { strict as assert } from "node:assert";
import { batchesOf, checkRollout, planRollout } from "../../src/model/rollout";

describe("rollout", () => {
  it("puts hosts in batches of the configured size, in order; one batch by default", () => {
    assert.deepEqual(batchesOf(5, { batchSize: 2 }), [0, 0, 1, 1, 2]);
    assert.deepEqual(batchesOf(3, {}), [0, 0, 0]);
    assert.deepEqual(batchesOf(0, {}), []);
  });

  it("makes each batch wait for the previous batch's reachable hosts only", () => {
    const names = ["a", "b", "c", "d", "e"];
    assert.deepEqual(planRollout(names, ["reached", "reached", "reached", "unprobed", "reached"], { batchSize: 2 }), { waitsFor: [[], [0, 1], [2, 3]], unreachable: [] });
    assert.deepEqual(planRollout(names, ["reached", "unreachable", "reached", "reached", "reached"], { batchSize: 2, failureBudget: 1 }), { waitsFor: [[], [0], [2, 3]], unreachable: ["b"] });
  });

  it("passes over a batch with no reachable host, or no host with operations, so the order holds across it", () => {
    const names = ["a", "b", "c", "d"];
    assert.deepEqual(planRollout(names, ["reached", "unreachable", "reached", "reached"], { batchSize: 1, failureBudget: 1 }).waitsFor, [[], [0], [0], [2]]);
    assert.deepEqual(planRollout(names, ["reached", "reached", "reached", "reached"], { batchSize: 1 }, [true, false, false, true]).waitsFor, [[], [0], [0], [0]]);
    assert.deepEqual(planRollout(names, ["unreachable", "reached", "reached", "reached"], { batchSize: 2 }, [true, false, true, true]).waitsFor, [[], []], "nothing before to wait for");
  });

  it("stops before any host is changed when more hosts are unreachable than the budget allows", () => {
    assert.throws(
      () => planRollout(["a", "b", "c"], ["unreachable", "reached", "unreachable"], { batchSize: 1, failureBudget: 1 }),
      {
        message:
          "rollout stopped before any host was changed: 2 host(s) could not be reached or probed (a, c), and the failure budget is 1; bring them back, take them out of the inventory, or raise rollout.failureBudget",
      },
    );
    assert.throws(() => planRollout(["a"], ["unreachable"], { failureBudget: 0 }), /the failure budget is 0/);
    assert.deepEqual(planRollout(["a", "b"], ["unreachable", "unreachable"], {}).unreachable, ["a", "b"], "no budget set: no limit");
  });

  it("stops before any host is changed when a host accepted the connection and never answered, whatever the budget", () => {
    assert.throws(() => planRollout(["a", "b", "c"], ["reached", "silent", "unreachable"], { batchSize: 1 }), {
      message:
        "rollout stopped before any host was changed: 1 host(s) accepted the SSH connection and never answered (b); " +
        "the command provider's SSH client would wait for them without limit and hold the run: restart their sshd, or take them out of the inventory",
    });
  });

  it("says what a silent host's operations would do by how they connect: without limit through the provider, until the connect timeout over a shared connection", () => {
    const refusal = (shares: boolean[]) => {
      try {
        planRollout(["a", "b", "c"], ["silent", "reached", "silent"], {}, undefined, shares);
      } catch (error) {
        return (error as Error).message;
      }
      assert.fail("a silent host is refused");
    };
    const head = "rollout stopped before any host was changed: 2 host(s) accepted the SSH connection and never answered (a, c); ";
    const tail = ": restart their sshd, or take them out of the inventory";
    assert.equal(refusal([true, false, true]), `${head}each of their parts' OpenSSH would wait for them until its connection timed out (connection.perDialTimeout), then fail${tail}`);
    assert.equal(refusal([false, true, true]), `${head}the command provider's SSH client would wait for those without connectionSharing without limit and hold the run${tail}`);
    assert.equal(refusal([false, true, false]), `${head}the command provider's SSH client would wait for them without limit and hold the run${tail}`);
  });

  it("refuses a batch size or budget that is not a whole number in range, naming the field and value", () => {
    assert.throws(() => checkRollout({ batchSize: 0 }, "rollout"), { message: "rollout.batchSize: batch size 0 must be a whole number, at least 1" });
    assert.throws(() => checkRollout({ batchSize: 1.5 }, "rollout"), /rollout\.batchSize: batch size 1\.5/);
    assert.throws(() => checkRollout({ failureBudget: -1 }, "rollout"), { message: "rollout.failureBudget: failure budget -1 must be a whole number, at least 0" });
    checkRollout({ batchSize: 1, failureBudget: 0 }, "rollout");
  });
});
