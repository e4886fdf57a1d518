/**
 * Fleet scale: the first apply of a fleet of fresh test hosts (2 snaps each) through the
 * stand-in, with parallelism 1, 5 and 20 (`pulumi up --parallel N`). Each level gets its own
 * fresh hosts. Besides the wall time, the machine's busy CPU time over the run (from
 * /proc/stat) says how many cores the run kept busy: where that reaches the core count, more
 * parallelism cannot help.
 */
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { EngineStandIn } from "../tests/support/engine-stand-in";
import { convergedState, isConverged } from "./host-state";
import { upOnce } from "./snap-shm-runner";
import { startHosts, stopHosts } from "./ssh-hosts";

export interface FleetScaleRow {
  parallel: number;
  hosts: number;
  wallMs: number;
  /** wall(parallel 1) / wall(this). */
  speedup: number;
  /** speedup / min(parallel, cores): 1 is linear up to the cores. */
  efficiency: number;
  /** Mean busy cores over the run (all of the machine, from /proc/stat). */
  busyCores: number;
  operations: number;
}

export interface FleetScaleResult {
  hosts: number;
  cores: number;
  rows: FleetScaleRow[];
}

/** Busy and total jiffies of all CPUs. */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export async function fleetScaleSection(options: { hosts: number; levels: number[]; privateKey: string; publicKey: string; log: (line: string) => void }): Promise<FleetScaleResult> {
  const cores = cpus().length;
  const rows: FleetScaleRow[] = [];
  for (const parallel of options.levels) {
    const hosts = await startHosts(`scale${parallel}-h`, options.hosts, options.publicKey);
    try {
      const before = cpuTimes();
      const { wallMs, report } = await upOnce(new EngineStandIn(), hosts, options.privateKey, parallel);
      const after = cpuTimes();
      for (const h of hosts) if (!isConverged(convergedState(h.host))) throw new Error(`fleet scale: ${h.name} did not converge`);
      const busyCores = ((after.busy - before.busy) / Math.max(1, after.total - before.total)) * cores;
      rows.push({ parallel, hosts: options.hosts, wallMs, speedup: 1, efficiency: 1, busyCores, operations: report.executions.length });
      options.log(`fleet scale: ${options.hosts} hosts, parallel ${parallel}: ${wallMs.toFixed(0)} ms, ${busyCores.toFixed(2)} busy cores`);
    } finally {
      await stopHosts(hosts);
    }
  }
  const base = rows.find((r) => r.parallel === 1)?.wallMs ?? rows[0]?.wallMs;
  for (const row of rows) {
    row.speedup = base / row.wallMs;
    row.efficiency = row.speedup / Math.min(row.parallel, cores);
  }
  return { hosts: options.hosts, cores, rows };
}
