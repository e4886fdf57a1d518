/**
 * A design study, not snap-shm's shape: what a first apply would take with one
 * `remote.Command` per snap, running the snap's four applies (the directory with the
 * prerequisite check, AppArmor, mount, self-heal) one after another in one SSH session,
 * where snap-shm registers one command per part. Measured side by side in one run with
 * snap-shm as it is and with Ansible with pipelining, each on fresh identical test hosts:
 * one host per run (the median over the hosts, the tools taking turns host by host), and all
 * the hosts in one run, one operation at a time (stand-in parallelism 1, Ansible forks 1).
 * A second shape goes further: one command per host, both snaps in one session. snap-shm
 * with `connectionSharing` (one command per part, each over the probe's one connection per
 * host) runs beside them.
 *
 *   npm run build && npx tsc -p bench/tsconfig.json && node bench/dist/bench/first-apply-shapes.js [HOSTS]
 *
 * The study's program runs the same drift probe first (one connection per host, as snap-shm)
 * and then, per snap, the parts' own command lines and scripts (each part's `sh -s` reading
 * its script from a here-document), so the host does the same work; a script written for
 * that shape would parse less shell. Needs root and Debian's ansible-core. Prints a Markdown
 * table.
 */
import * as pulumi from "@pulumi/pulumi";
import { remote } from "@pulumi/command";
import { desiredState } from "../src/model/desired-state";
import { HostArguments, hostCommandLine, HostPart, hostScript } from "../src/render/host-command";
import {
  appArmorArguments,
  directoryApplyArguments,
  mountArguments,
  probeArguments,
  profileList,
  selfHealArguments,
} from "../src/render/part-arguments";
import { PlainConnection, probeHost } from "../src/resources/host-probe";
import { stopProbeCredentials } from "../src/resources/probe-credentials";
import { closeSharedConnections } from "../src/resources/shared-connection";
import { EngineStandIn } from "../tests/support/engine-stand-in";
import { makeKeyPair } from "../tests/support/ssh-keys";
import { AnsibleWorkspace } from "./ansible-runner";
import { copyAssets, useOwnHome } from "./assets";
import { BENCH_SNAPS, BenchSnap } from "./fleet-spec";
import { convergedState, isConverged } from "./host-state";
import { upOnce } from "./snap-shm-runner";
import { BenchHost, countsSince, startHosts, stopHosts } from "./ssh-hosts";
import { median } from "./stats";

type Shape =
  | "snap-shm (one command per part)"
  | "snap-shm with connectionSharing"
  | "one command per snap (study)"
  | "one command per host (study)"
  | "Ansible with pipelining";
const SHAPES: Shape[] = [
  "snap-shm (one command per part)",
  "snap-shm with connectionSharing",
  "one command per snap (study)",
  "one command per host (study)",
  "Ansible with pipelining",
];

/** The four applies of one snap, in snap-shm's order, each with its command line's arguments. */
function snapParts(snap: BenchSnap): Array<[HostPart, HostArguments]> {
  const state = desiredState(snap.instance, snap);
  const profiles = profileList(state, false);
  return [
    ["directory", directoryApplyArguments(state, profiles)],
    ["apparmor", appArmorArguments(state, profiles, "auto")],
    ["mount", mountArguments(state)],
    ["self-heal", selfHealArguments(state, profiles, "auto")],
  ];
}

/** The four applies of one snap as one script for `sh -s`. */
function snapScript(snap: BenchSnap): string {
  const runs = snapParts(snap).map(([part, args]) => `${hostCommandLine(part, "apply", args, false)} <<'SNAP_SHM_PART'\n${hostScript(part)}SNAP_SHM_PART`);
  return `${runs.join("\n")}\n`;
}

function probeInstances(): HostArguments[] {
  return BENCH_SNAPS.map((snap) => {
    const state = desiredState(snap.instance, snap);
    return probeArguments(state, profileList(state, false), "auto", "auto", true);
  });
}

/**
 * The study's program: per host a component, the drift probe, then one command per snap (the
 * snaps side by side), or one per host running both snaps' applies, one snap after the other.
 */
function studyProgram(hosts: BenchHost[], privateKey: string, perHost: boolean): () => pulumi.Output<string[]> {
  const snapScripts = BENCH_SNAPS.map(snapScript);
  const commands = perHost ? [{ name: "all", script: `set -e\n${snapScripts.join("")}` }] : BENCH_SNAPS.map((snap, i) => ({ name: snap.instance, script: `set -e\n${snapScripts[i]}` }));
  return () => {
    const results: pulumi.Output<string>[] = [];
    for (const h of hosts) {
      const host = new pulumi.ComponentResource("bench:study:Host", h.name, {}, {});
      const connection = { ...benchConnection(h, privateKey), privateKey: pulumi.secret(privateKey) };
      const probe = probeHost(connection, probeInstances(), false, false, { parent: host });
      for (const { name, script } of commands) {
        // Waits for the probe, as snap-shm's parts wait for the revisions it gives them.
        const stdin = probe.apply(() => script);
        const command = new remote.Command(`${h.name}-${name}`, { connection, create: "sh -s", stdin, addPreviousOutputInEnv: false }, { parent: host });
        results.push(command.stdout);
      }
    }
    // The run ends when every command's result is in.
    return pulumi.all(results);
  };
}

/** A bench host's connection as snap-shm's resources get it: root with the key, its host key pinned. */
function benchConnection(h: BenchHost, privateKey: string): PlainConnection {
  return { host: "127.0.0.1", port: h.port, user: "root", privateKey, hostKey: h.hostKey, dialErrorLimit: 2 };
}

interface Measured {
  runsMs: number[];
  connections: number;
}

async function main(): Promise<void> {
  const hostsPerShape = Number(process.argv[2] ?? "3");
  if (!Number.isInteger(hostsPerShape) || hostsPerShape < 1) throw new Error("usage: first-apply-shapes.js [HOSTS]");
  copyAssets();
  const key = makeKeyPair();
  const workspace = new AnsibleWorkspace(key.privateKey);
  const groups = new Map<string, BenchHost[]>();
  useOwnHome();
  try {
    for (const shape of SHAPES) {
      for (const run of ["single", "fleet"]) groups.set(`${shape}/${run}`, await startHosts(`${SHAPES.indexOf(shape)}${run[0]}-h`, hostsPerShape, key.publicKey));
    }
    const apply = async (shape: Shape, hosts: BenchHost[], parallel?: number): Promise<number> => {
      if (shape === "Ansible with pipelining") {
        const run = await workspace.run(hosts, { pipelining: true, forks: 1 });
        if (run.status !== 0) throw new Error(`ansible-playbook failed:\n${run.output.slice(-3000)}`);
        return run.wallMs;
      }
      if (shape === "snap-shm (one command per part)") return (await upOnce(new EngineStandIn(), hosts, key.privateKey, parallel)).wallMs;
      if (shape === "snap-shm with connectionSharing") return (await upOnce(new EngineStandIn(), hosts, key.privateKey, parallel, { connectionSharing: true })).wallMs;
      await stopProbeCredentials();
      const started = process.hrtime.bigint();
      const program = studyProgram(hosts, key.privateKey, shape === "one command per host (study)");
      const report = await new EngineStandIn().up(program, parallel === undefined ? {} : { parallel });
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (report.errors.length > 0 || report.failures.length > 0) throw new Error(`study up failed: ${[...report.errors, ...report.failures].join("\n")}`);
      return wallMs;
    };
    const measured = new Map<string, Measured>();
    const record = (key: string, hosts: BenchHost[], ms: number, before: ReturnType<BenchHost["counts"]>[]) => {
      const entry = measured.get(key) ?? { runsMs: [], connections: 0 };
      entry.runsMs.push(ms);
      entry.connections += hosts.reduce((sum, h, i) => sum + countsSince(before[i], h.counts()).connections, 0);
      measured.set(key, entry);
    };
    // One host per run: the tools take turns host by host, so the machine's load falls on all.
    for (let i = 0; i < hostsPerShape; i++) {
      for (const shape of SHAPES) {
        const h = groups.get(`${shape}/single`)![i];
        const before = [h.counts()];
        record(`${shape}/single`, [h], await apply(shape, [h]), before);
      }
    }
    for (const shape of SHAPES) {
      const hosts = groups.get(`${shape}/fleet`)!;
      const before = hosts.map((h) => h.counts());
      record(`${shape}/fleet`, hosts, await apply(shape, hosts, 1), before);
    }
    const states = [...groups.values()].flat().map((h) => convergedState(h.host));
    const same = new Set(states).size === 1 && isConverged(states[0]);
    if (!same) throw new Error("the hosts did not all end in the same converged state");

    const ansible = (run: string) => measured.get(`Ansible with pipelining/${run}`)!;
    const perHost = (m: Measured, run: string) => (run === "single" ? median(m.runsMs) : m.runsMs[0] / hostsPerShape);
    const lines = [
      `First apply, ${hostsPerShape} fresh test hosts per shape and run, 2 snaps each; every host ended in the same converged state.`,
      "",
      "| runs | shape | per host | SSH connections per host | Ansible with pipelining ÷ shape |",
      "| --- | --- | ---: | ---: | ---: |",
    ];
    for (const run of ["single", "fleet"]) {
      for (const shape of SHAPES) {
        const m = measured.get(`${shape}/${run}`)!;
        const ms = perHost(m, run);
        const ratio = shape === "Ansible with pipelining" ? "" : `${(perHost(ansible(run), run) / ms).toFixed(1)}×`;
        lines.push(`| ${run === "single" ? "one host per run" : "all hosts in one run"} | ${shape} | ${ms.toFixed(0)} ms | ${(m.connections / (run === "single" ? m.runsMs.length : hostsPerShape)).toFixed(1)} | ${ratio} |`);
      }
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    closeSharedConnections();
    await stopHosts([...groups.values()].flat());
    await stopProbeCredentials();
    workspace.remove();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
