/**
 * Modes, rule generations and the types plain JavaScript can get wrong: refused with the
 * field, the value and the rule before the component (or anything after it) registers.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { ofType, refusedUnderMocks, runUnderMocks } from "../support/pulumi-mocks";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const COMMAND = "command:remote:Command";
const SNAP = "snap-shm:index:SnapSharedMemory";
const connection = { host: "10.0.0.5", hostKey: HOST_KEY };

type Resources = typeof import("../../src/resources");
/** Bypasses the argument types, as a plain JavaScript caller does. */
const untyped = (value: unknown) => value as never;

const MODES = 'expected "auto", "managed" or "native"';
const PART_MODES = 'expected "managed" or "native"';
const GENERATIONS = 'expected "recursive", "single-level" or "auto"';

describe("modes and rule generations are checked before anything registers", function () {
  this.timeout(60_000);

  const snapOf = (r: Resources) => new r.SnapSharedMemory("s", { instance: "shmtest" });
  const cases: Array<[string, (r: Resources) => unknown, string, string[]]> = [
    ["a host's snap mode", (r) => new r.SnapShmHost("h", { connection, snaps: [{ snap: snapOf(r), mode: untyped("Native") }] }), `SnapShmHost "h" args.snaps[0].mode: invalid mode "Native": ${MODES}`, [SNAP]],
    ["a fleet host's snap mode", (r) => new r.SnapShmFleet("f", { hosts: [{ name: "a", connection, snaps: [{ snap: snapOf(r), mode: untyped(1) }] }] }), `SnapShmFleet "f" args.hosts[0].snaps[0].mode: invalid mode 1: ${MODES}`, [SNAP]],
    ["PrivateShm's mode", (r) => new r.PrivateShm("p", { snap: snapOf(r), connection, mode: untyped("turbo") }), `PrivateShm "p" args.mode: invalid mode "turbo": ${MODES}`, [SNAP]],
    ["a directory's operationMode", (r) => new r.PrivateShmDirectory("d", { instance: "shmtest", connection, operationMode: untyped("bogus") }), `PrivateShmDirectory "d" args.operationMode: invalid mode "bogus": ${PART_MODES}`, []],
    ["an AppArmor part's operationMode (auto is the components' choice, not a part's)", (r) => new r.PrivateShmAppArmor("a", { instance: "shmtest", connection, operationMode: untyped("auto") }), `PrivateShmAppArmor "a" args.operationMode: invalid mode "auto": ${PART_MODES}`, []],
    ["a bind mount's operationMode", (r) => new r.PrivateShmBindMount("m", { instance: "shmtest", connection, operationMode: untyped("Managed") }), `PrivateShmBindMount "m" args.operationMode: invalid mode "Managed": ${PART_MODES}`, []],
    ["a self-heal part's operationMode", (r) => new r.PrivateShmSelfHeal("s", { instance: "shmtest", connection, operationMode: untyped("") }), `PrivateShmSelfHeal "s" args.operationMode: invalid mode "": ${PART_MODES}`, []],
    ["an AppArmor part's ruleGeneration", (r) => new r.PrivateShmAppArmor("a", { instance: "shmtest", connection, ruleGeneration: untyped("deep") }), `PrivateShmAppArmor "a" args.ruleGeneration: invalid rule generation "deep": ${GENERATIONS}`, []],
    ["a self-heal part's ruleGeneration", (r) => new r.PrivateShmSelfHeal("s", { instance: "shmtest", connection, ruleGeneration: untyped("deep") }), `PrivateShmSelfHeal "s" args.ruleGeneration: invalid rule generation "deep": ${GENERATIONS}`, []],
  ];
  for (const [what, build, message, registered] of cases) {
    it(what, async () => assert.deepEqual(await refusedUnderMocks(build, message), registered));
  }

  it("takes every valid mode", async () => {
    const { registrations } = await runUnderMocks(async () => {
      const r = await import("../../src/resources");
      const snap = new r.SnapSharedMemory("s", { instance: "shmtest" });
      return [
        new r.SnapShmHost("h", { connection, snaps: (["auto", "managed", "native"] as const).map((mode, i) => ({ snap: i === 0 ? snap : new r.SnapSharedMemory(`s${i}`, { instance: `shmtest_${i}` }), mode })) }),
        new r.PrivateShmBindMount("m", { instance: "shmtest", connection, operationMode: "native" }),
      ];
    });
    assert.equal(ofType(registrations, COMMAND).length, 3 * 4 + 1);
  });

  it("a mode or rule generation given as an Output is checked once known: its command never registers", async () => {
    for (const [build, message] of [
      [(r: Resources) => new r.PrivateShmDirectory("d", { instance: "shmtest", connection, operationMode: pulumi.output(untyped("bogus")) }), `PrivateShmDirectory "d" args.operationMode: invalid mode "bogus": ${PART_MODES}`],
      [(r: Resources) => new r.PrivateShmSelfHeal("s", { instance: "shmtest", connection, ruleGeneration: pulumi.output(untyped("deep")) }), `PrivateShmSelfHeal "s" args.ruleGeneration: invalid rule generation "deep": ${GENERATIONS}`],
    ] as const) {
      const run = await runUnderMocks(async () => build(await import("../../src/resources")), { tolerateFailures: true });
      assert.deepEqual(ofType(run.registrations, COMMAND), []);
      assert.ok(run.failures.some((failure) => failure.includes(message)), run.failures.join("\n"));
    }
  });
});

describe("wrong JavaScript types are refused by field, not as a bare TypeError", function () {
  this.timeout(60_000);

  const snapOf = (r: Resources) => new r.SnapSharedMemory("s", { instance: "shmtest" });
  const INSTANCE = 'expected a snap instance name such as "chromium"';
  const CONNECTION = 'expected a connection such as { host: "10.0.0.5", user: "ops", hostKey: "ssh-ed25519 AAAA..." }';
  const cases: Array<[string, (r: Resources) => unknown, string, string[]]> = [
    ["a snap without instance", (r) => new r.SnapSharedMemory("x", untyped({ apps: ["a"] })), `SnapSharedMemory "x" args.instance: ${INSTANCE}, not undefined`, []],
    ["a snap whose apps are a string", (r) => new r.SnapSharedMemory("x", { instance: "chromium", apps: untyped("chromium") }), 'SnapSharedMemory "x" args.apps: expected an array of app names, not the string "chromium"', []],
    ["a snap whose hook is a number", (r) => new r.SnapSharedMemory("x", { instance: "chromium", hooks: untyped([7]) }), 'SnapSharedMemory "x" args.hooks[0]: expected a string (hook names), not number 7', []],
    ["a snap without arguments", (r) => new r.SnapSharedMemory("x", untyped(undefined)), 'SnapSharedMemory "x" args: expected an object of arguments, not undefined', []],
    ["a part without instance", (r) => new r.PrivateShmDirectory("d", untyped({ connection })), `PrivateShmDirectory "d" args.instance: ${INSTANCE}, not undefined`, []],
    ["a part whose apps are a string", (r) => new r.PrivateShmAppArmor("a", { instance: "chromium", apps: untyped("chromium"), connection }), 'PrivateShmAppArmor "a" args.apps: expected an array of app names, not the string "chromium"', []],
    ["a part without connection", (r) => new r.PrivateShmBindMount("m", untyped({ instance: "chromium" })), `PrivateShmBindMount "m" args.connection: ${CONNECTION}, not undefined`, []],
    ["a self-heal part whose connection is a string", (r) => new r.PrivateShmSelfHeal("s", untyped({ instance: "chromium", connection: "10.0.0.5" })), `PrivateShmSelfHeal "s" args.connection: ${CONNECTION}, not the string "10.0.0.5"`, []],
    ["PrivateShm without snap", (r) => new r.PrivateShm("p", untyped({ connection })), 'PrivateShm "p" args.snap: expected a SnapSharedMemory, not undefined', []],
    ["PrivateShm with a snap's arguments for a snap", (r) => new r.PrivateShm("p", untyped({ snap: { instance: "shmtest" }, connection })), 'PrivateShm "p" args.snap: expected a SnapSharedMemory, not an instance of Object', []],
    ["a host without connection", (r) => new r.SnapShmHost("h", untyped({ snaps: [snapOf(r)] })), `SnapShmHost "h" args.connection: ${CONNECTION}, not undefined`, [SNAP]],
    ["a host whose snaps are one snap", (r) => new r.SnapShmHost("h", untyped({ connection, snaps: snapOf(r) })), 'SnapShmHost "h" args.snaps: expected an array of SnapSharedMemory or { snap, purge, mode, selfHeal }, not an object', [SNAP]],
    ["a host's snap entry without snap", (r) => new r.SnapShmHost("h", untyped({ connection, snaps: [{ purge: true }] })), 'SnapShmHost "h" args.snaps[0].snap: expected a SnapSharedMemory, not undefined', []],
    ["a host's snap entry that is a name", (r) => new r.SnapShmHost("h", untyped({ connection, snaps: ["chromium"] })), 'SnapShmHost "h" args.snaps[0]: expected a SnapSharedMemory or { snap, purge, mode, selfHeal }, not the string "chromium"', []],
    ["a fleet without hosts", (r) => new r.SnapShmFleet("f", untyped({})), 'SnapShmFleet "f" args.hosts: expected an array of hosts, each { name, connection, snaps }, not undefined', []],
    ["a fleet with an empty host", (r) => new r.SnapShmFleet("f", untyped({ hosts: [null] })), 'SnapShmFleet "f" args.hosts[0]: expected a host such as { name, connection, snaps }, not null', []],
    ["a fleet host without connection", (r) => new r.SnapShmFleet("f", untyped({ hosts: [{ name: "a", snaps: [] }] })), `SnapShmFleet "f" args.hosts[0].connection: ${CONNECTION}, not undefined`, []],
  ];
  for (const [what, build, message, registered] of cases) {
    it(what, async () => assert.deepEqual(await refusedUnderMocks(build, message), registered));
  }
});
