/**
 * snap-shm's side of the SSH sections: the program a user writes (a `SnapShmFleet` with the
 * bench's two snaps on every host, drift detection on, the snapd version detected on each
 * host), run by the test stand-in for the engine and the command provider
 * (tests/support/engine-stand-in.ts), which carries out every registered command over real
 * SSH with the provider's own SSH client, one connection per operation as the provider does,
 * and runs the drift probe (a `local.run` invoke: one ssh per host) on every run.
 */
import * as pulumi from "@pulumi/pulumi";
import { stopProbeCredentials } from "../src/resources/probe-credentials";
import { EngineStandIn, RunReport } from "../tests/support/engine-stand-in";
import { BENCH_SNAPS } from "./fleet-spec";
import type { BenchHost } from "./ssh-hosts";

export function fleetProgram(hosts: BenchHost[], privateKey: string): () => Promise<unknown> {
  return async () => {
    const r = await import("../src/resources");
    const configs = BENCH_SNAPS.map((s) => new r.SnapSharedMemory(s.instance, s));
    return new r.SnapShmFleet("bench", {
      hosts: hosts.map((h) => ({
        name: h.name,
        connection: { host: "127.0.0.1", port: h.port, user: "root", privateKey: pulumi.secret(privateKey), hostKey: h.hostKey, dialErrorLimit: 2 },
        snaps: configs,
      })),
    });
  };
}

export interface StandInRun {
  wallMs: number;
  report: RunReport;
}

/**
 * One `up` of the program on `hosts`, timed; throws when an operation failed. Each starts
 * the probe's credentials afresh (its ssh-agent), as each `pulumi up` is a process of its own.
 */
export async function upOnce(engine: EngineStandIn, hosts: BenchHost[], privateKey: string, parallel?: number): Promise<StandInRun> {
  await stopProbeCredentials();
  const started = process.hrtime.bigint();
  const report = await engine.up(fleetProgram(hosts, privateKey), parallel === undefined ? {} : { parallel });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (report.errors.length > 0 || report.failures.length > 0) {
    throw new Error(`snap-shm up failed: ${[...report.errors, ...report.failures].join("\n")}`);
  }
  const probeFailed = report.warnings.filter((w) => w.includes("drift probe failed"));
  if (probeFailed.length > 0) throw new Error(`snap-shm up: ${probeFailed.join("\n")}`);
  return { wallMs, report };
}
