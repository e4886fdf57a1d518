/**
 * How many processes each host operation forks, held to a budget: on a host, a process is
 * what an operation's time goes to (each one a millisecond or so), and the benchmark's
 * first apply and probe are made of them. Counted with strace on test hosts shaped like
 * the benchmark's (a running snap with an app and a hook, a second one with one app), the
 * floor (nsenter, `sh -c :`) subtracted; the commands as a host without drift detection
 * registers them (no revision to record: with one, each apply renames its record into place,
 * one more `mv`). A change that makes an operation fork more fails
 * here, naming the operation and the programs it ran; one that makes it fork fewer lowers
 * the budget.
 */
import { strict as assert } from "node:assert";
import { desiredState } from "../../src/model/desired-state";
import { hostProbeCommandLine, hostScript } from "../../src/render/host-command";
import { probeArguments, profileList } from "../../src/render/part-arguments";
import { countProcesses } from "../support/process-count";
import { RegisteredCommand, snapPartCommands } from "../support/registered-commands";
import { TestHost } from "../support/test-host";

const PARTS = ["directory-command", "apparmor-command", "mount-command", "self-heal-command"] as const;
const SNAPS = [
  { instance: "shmtest_foo", apps: ["app"], hooks: ["configure"], running: true },
  { instance: "shmother", apps: ["app"], running: false },
];

/** Processes forked, the floor's subtracted, by operation: a first apply, then a no-op one. */
const FIRST_APPLY: Record<string, number> = {
  "shmtest_foo directory-command": 8,
  "shmtest_foo apparmor-command": 17,
  "shmtest_foo mount-command": 12,
  "shmtest_foo self-heal-command": 8,
  "shmother directory-command": 6,
  "shmother apparmor-command": 15,
  "shmother mount-command": 8,
  "shmother self-heal-command": 8,
};
const NO_OP_APPLY: Record<string, number> = {
  "shmtest_foo directory-command": 4,
  "shmtest_foo apparmor-command": 4,
  "shmtest_foo mount-command": 6,
  "shmtest_foo self-heal-command": 3,
  "shmother directory-command": 3,
  "shmother apparmor-command": 4,
  "shmother mount-command": 4,
  "shmother self-heal-command": 3,
};
const PROBE_OF_BOTH = 25;

describe("host operations fork no more processes than their budget", function () {
  this.timeout(180_000);
  let host: TestHost;
  let commands: Array<{ operation: string; command: RegisteredCommand }>;

  before(async () => {
    host = await TestHost.start();
    for (const snap of SNAPS) host.addSnap(snap);
    commands = [];
    for (const snap of SNAPS) {
      const registered = await snapPartCommands(snap.instance, PARTS, { mode: "managed" });
      for (const part of PARTS) commands.push({ operation: `${snap.instance} ${part}`, command: registered[part] });
    }
  });
  after(async () => host?.stop());

  /** The processes one successful run forked (countProcesses fails on a failed run). */
  function forked(command: string, stdin: string): { count: number; programs: string } {
    const floor = countProcesses(host, ":", "");
    const run = countProcesses(host, command, stdin);
    const programs = Object.entries(run.programs)
      .map(([name, n]) => [name, n - (floor.programs[name] ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name} ${n}`)
      .join(", ");
    return { count: run.forks - floor.forks, programs };
  }

  it("a first apply of each part, in the order the program runs them", () => {
    // Each snap's parts in turn (the budget of a part depends on what the parts before it left).
    for (const { operation, command } of commands) {
      const { count, programs } = forked(command.create, command.stdin);
      assert.ok(count <= FIRST_APPLY[operation], `${operation}: ${count} processes (${programs}), budget ${FIRST_APPLY[operation]}`);
    }
  });

  it("a no-op apply of each part", () => {
    for (const { operation, command } of commands) {
      const { count, programs } = forked(command.create, command.stdin);
      assert.ok(count <= NO_OP_APPLY[operation], `${operation}: ${count} processes (${programs}), budget ${NO_OP_APPLY[operation]}`);
    }
  });

  it("the probe of both snaps", () => {
    const args = SNAPS.map((snap) => {
      const state = desiredState(snap.instance, { apps: snap.apps, hooks: snap.hooks });
      return probeArguments(state, profileList(state, false), "auto", "auto");
    });
    const { count, programs } = forked(hostProbeCommandLine(args, false), hostScript("host"));
    assert.ok(count <= PROBE_OF_BOTH, `probe: ${count} processes (${programs}), budget ${PROBE_OF_BOTH}`);
  });
});
