/**
 * Host-side cost: each operation snap-shm sends, run directly on a converged test host (no
 * SSH), many times. The commands are the exact ones the resources register on a no-op
 * re-apply (taken from the stand-in's second `up`, revision lines included); each run is
 * `sh -c COMMAND` with the script on standard input, entered with nsenter, as sshd runs a
 * command through the login shell. The floor (nsenter + `sh -c :`) is measured the same way.
 * With strace (Debian's `strace`), one more run of each counts the processes it forks and the
 * programs it executes.
 */
import { spawnSync } from "node:child_process";
import { EngineStandIn, RunReport } from "../tests/support/engine-stand-in";
import { unsecret } from "../tests/support/pulumi-mocks";
import { countProcesses, type ProcessCount } from "../tests/support/process-count";
import type { TestHost } from "../tests/support/test-host";
import { desiredState } from "../src/model/desired-state";
import { hostProbeCommandLine, hostScript } from "../src/render/host-command";
import { probeArguments, profileList } from "../src/render/part-arguments";
import { BENCH_SNAPS } from "./fleet-spec";
import { convergedState, isConverged } from "./host-state";
import { upOnce } from "./snap-shm-runner";
import { startHosts, stopHosts } from "./ssh-hosts";
import { summarize, Summary } from "./stats";

export interface HostCostRow {
  /** e.g. `mount apply (shmtest_foo)`, `probe (2 snaps)`. */
  operation: string;
  ms: Summary;
  processes?: ProcessCount;
}

export interface HostCostResult {
  runs: number;
  floorMs: Summary;
  rows: HostCostRow[];
  /** The sum of the medians of every apply on the host: a full re-apply without drift detection. */
  wholeHostApplyMs: number;
  /**
   * A first apply of a fresh host without SSH: each operation once, in order; with the
   * processes it forks (the floor's subtracted), counted on another fresh host under strace.
   */
  firstApplyDirect: Array<{ operation: string; ms: number; processes?: number }>;
  firstApplyDirectMs: number;
  straceAvailable: boolean;
}

interface Operation {
  name: string;
  command: string;
  stdin: string;
}

/** The operations a stand-in run registered, in the order each snap applies them. */
function registeredOperations(registrations: RunReport["registrations"]): Operation[] {
  const operations: Operation[] = [];
  for (const registration of registrations) {
    if (registration.type !== "command:remote:Command") continue;
    const inputs = unsecret(registration.inputs) as { create: string; stdin: string };
    const snap = BENCH_SNAPS.find((s) => registration.name.includes(`-${s.instance}-`));
    if (!snap) continue;
    const part = registration.name.slice(registration.name.indexOf(`-${snap.instance}-`) + snap.instance.length + 2).replace(/-command$/, "");
    operations.push({ name: `${part} apply (${snap.instance})`, command: inputs.create, stdin: inputs.stdin });
  }
  const order = ["directory", "apparmor", "mount"];
  const rank = (op: Operation) => (order.includes(op.name.split(" ")[0]) ? order.indexOf(op.name.split(" ")[0]) : order.length);
  return operations.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function succeeded(stdout: string): boolean {
  return (stdout.trim().split("\n").pop() ?? "").includes('"ok":true');
}

export async function hostCostSection(options: { runs: number; privateKey: string; publicKey: string; log: (line: string) => void }): Promise<HostCostResult> {
  const strace = spawnSync("strace", ["-V"]).status === 0;
  const [bench, fresh, traced] = await startHosts("cost-h", strace ? 3 : 2, options.publicKey);
  try {
    const engine = new EngineStandIn();
    const first = await upOnce(engine, [bench], options.privateKey);
    const second = await upOnce(engine, [bench], options.privateKey);
    if (second.report.executions.length !== 0) throw new Error("host cost: the second up was not a no-op");
    if (!isConverged(convergedState(bench.host))) throw new Error("host cost: the host did not converge");

    // A first apply without SSH: the first up's commands, once each, in order, on a fresh host.
    const firstApplyDirect: HostCostResult["firstApplyDirect"] = [];
    const firstFloor = traced ? countProcesses(traced.host, ":", "").forks : 0;
    for (const op of registeredOperations(first.report.registrations)) {
      const started = process.hrtime.bigint();
      const run = fresh.host.sh(op.command, op.stdin);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (run.status !== 0 || !succeeded(run.stdout)) throw new Error(`host cost: first apply of ${op.name} failed: ${run.stdout} ${run.stderr}`);
      // Where the time goes: the same operation, in the same order, on a host of its own under strace.
      const processes = traced ? countProcesses(traced.host, op.command, op.stdin).forks - firstFloor : undefined;
      firstApplyDirect.push({ operation: op.name, ms, ...(processes === undefined ? {} : { processes }) });
    }
    if (!isConverged(convergedState(fresh.host))) throw new Error("host cost: the direct first apply did not converge the host");
    const firstApplyDirectMs = firstApplyDirect.reduce((sum, r) => sum + r.ms, 0);
    options.log(`host cost: a whole first apply without SSH: ${firstApplyDirectMs.toFixed(0)} ms (${firstApplyDirect.length} operations)`);

    const operations = registeredOperations(second.report.registrations);
    // The probe exactly as SnapShmHost sends it (every snap, generation and mode auto).
    const probeArgs = BENCH_SNAPS.map((s) => {
      const state = desiredState(s.instance, s);
      return probeArguments(state, profileList(state, false), "auto", "auto");
    });
    operations.push({ name: `probe (${BENCH_SNAPS.length} snaps)`, command: hostProbeCommandLine(probeArgs, false), stdin: hostScript("host") });

    const host = bench.host;
    const floorSamples = timeRuns(host, ":", "", options.runs);
    const floorCount = strace ? countProcesses(host, ":", "") : undefined;
    const rows: HostCostRow[] = [];
    for (const op of operations) {
      // Every run must succeed and change nothing.
      const check = host.sh(op.command, op.stdin);
      const last = check.stdout.trim().split("\n").pop() ?? "";
      if (check.status !== 0 || !last.includes('"ok":true') || /"changed":\[[^\]]/.test(last)) {
        throw new Error(`host cost: ${op.name} is not a successful no-op: ${check.status} ${check.stdout} ${check.stderr}`);
      }
      const samples = timeRuns(host, op.command, op.stdin, options.runs);
      const row: HostCostRow = { operation: op.name, ms: summarize(samples) };
      if (strace && floorCount) {
        const count = countProcesses(host, op.command, op.stdin);
        const programs = { ...count.programs };
        for (const [name, n] of Object.entries(floorCount.programs)) programs[name] = (programs[name] ?? 0) - n;
        for (const name of Object.keys(programs)) if (programs[name] <= 0) delete programs[name];
        row.processes = { forks: count.forks - floorCount.forks, execs: count.execs - floorCount.execs, programs };
      }
      rows.push(row);
      options.log(`host cost: ${op.name}: median ${row.ms.median.toFixed(1)} ms, p95 ${row.ms.p95.toFixed(1)} ms${row.processes ? `, ${row.processes.forks} processes` : ""}`);
    }
    const wholeHostApplyMs = rows.filter((r) => !r.operation.startsWith("probe")).reduce((sum, r) => sum + r.ms.median, 0);
    return { runs: options.runs, floorMs: summarize(floorSamples), rows, wholeHostApplyMs, firstApplyDirect, firstApplyDirectMs, straceAvailable: strace };
  } finally {
    await stopHosts([bench, fresh, ...(traced ? [traced] : [])]);
  }
}

function timeRuns(host: TestHost, command: string, stdin: string, runs: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const run = host.sh(command, stdin);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.status !== 0) throw new Error(`host cost: run failed: ${run.stderr}`);
    samples.push(ms);
  }
  return samples;
}
