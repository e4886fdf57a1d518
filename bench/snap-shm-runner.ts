/**
 * snap-shm's side of the SSH sections: the program a user writes (a `SnapShmFleet` with the
 * bench's two snaps on every host, drift detection on, the snapd version detected on each
 * host), run by the test stand-in for the engine and the command provider
 * (tests/support/engine-stand-in.ts), which carries out every registered command over real
 * SSH with the provider's own SSH client, one connection per operation as the provider does,
 * and runs the drift probe (a `local.run` invoke: one ssh per host) on every run. With
 * `connectionSharing`, every part is a `local.Command` whose OpenSSH client runs its
 * operation over the probe's connection instead (one connection per host).
 */
import * as pulumi from "@pulumi/pulumi";
import { stopProbeCredentials } from "../src/resources/probe-credentials";
import { closeSharedConnections } from "../src/resources/shared-connection";
import { EngineStandIn, RunReport } from "../tests/support/engine-stand-in";
import { BENCH_SNAPS } from "./fleet-spec";
import type { BenchHost } from "./ssh-hosts";

/** How the program differs from the default one. */
export interface FleetOptions {
  /** `connectionSharing: true` on every host. */
  connectionSharing?: boolean;
}

export function fleetProgram(hosts: BenchHost[], privateKey: string, options: FleetOptions = {}): () => Promise<unknown> {
  return async () => {
    const r = await import("../src/resources");
    const configs = BENCH_SNAPS.map((s) => new r.SnapSharedMemory(s.instance, s));
    return new r.SnapShmFleet("bench", {
      hosts: hosts.map((h) => ({
        name: h.name,
        connection: { host: "127.0.0.1", port: h.port, user: "root", privateKey: pulumi.secret(privateKey), hostKey: h.hostKey, dialErrorLimit: 2 },
        snaps: configs,
        connectionSharing: options.connectionSharing,
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
 * the probe's credentials afresh (its ssh-agent), as each `pulumi up` is a process of its own,
 * and, with `connectionSharing`, with no shared connection open, as a `pulumi up` some
 * minutes after the last finds none (they close 60 s after their last use): the time
 * includes opening them. Both are done before the clock starts.
 */
export async function upOnce(engine: EngineStandIn, hosts: BenchHost[], privateKey: string, parallel?: number, options: FleetOptions = {}): Promise<StandInRun> {
  await stopProbeCredentials();
  if (options.connectionSharing) closeSharedConnections();
  const started = process.hrtime.bigint();
  const report = await engine.up(fleetProgram(hosts, privateKey, options), parallel === undefined ? {} : { parallel });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (report.errors.length > 0 || report.failures.length > 0) {
    throw new Error(`snap-shm up failed: ${[...report.errors, ...report.failures].join("\n")}`);
  }
  const probeFailed = report.warnings.filter((w) => w.includes("drift probe failed"));
  if (probeFailed.length > 0) throw new Error(`snap-shm up: ${probeFailed.join("\n")}`);
  return { wallMs, report };
}
