/**
 * Converge over SSH, side by side: snap-shm (through the engine stand-in; as by default, and
 * with `connectionSharing` on every host) and Ansible (the playbook in bench/ansible/,
 * defaults and with pipelining), each on its own identical loopback test hosts: first apply,
 * no-op re-apply, drift repair (snapd refreshing the running snap). Timed two ways: one host
 * per run (the median over the hosts), each tool as it runs by default (the stand-in without
 * a parallelism limit, as `pulumi up`; Ansible's linear strategy runs a host's tasks one
 * after another whatever its forks), and all the hosts in one run, one host at a time
 * (stand-in parallelism 1, Ansible forks 1), divided by the number of hosts, which spreads
 * each tool's start-up over the fleet. SSH connections and sessions are counted by each
 * host's sshd. With `connectionSharing`, every run starts with no shared connection open, as
 * a `pulumi up` some minutes after the last would. Tools take turns phase by phase, so a
 * change in the machine's load falls on all of them.
 */
import { closeSharedConnections } from "../src/resources/shared-connection";
import { EngineStandIn } from "../tests/support/engine-stand-in";
import { AnsibleWorkspace } from "./ansible-runner";
import { convergedState, isConverged, snapdRefreshDrift } from "./host-state";
import { upOnce } from "./snap-shm-runner";
import { BenchHost, countsSince, startHosts, stopHosts } from "./ssh-hosts";
import { median, Summary } from "./stats";
import { sshFloor } from "./ssh-floor";

/** snap-shm's program as it is by default, and with `connectionSharing: true` on every host. */
export type SnapShmTool = "snap-shm" | "snap-shm+sharing";
export type AnsibleTool = "ansible" | "ansible+pipelining";
export type Tool = SnapShmTool | AnsibleTool;

/** Each tool's test hosts are named `<letter><1 or n>-h<i>`. */
const HOST_LETTER: Record<Tool, string> = { "snap-shm": "s", "snap-shm+sharing": "c", ansible: "a", "ansible+pipelining": "p" };

export type Phase = "first apply" | "no-op re-apply" | "drift repair";
export type RunShape = "one host per run" | "all hosts in one run";

export const PHASES: Phase[] = ["first apply", "no-op re-apply", "drift repair"];

export interface ConvergeRow {
  tool: Tool;
  phase: Phase;
  shape: RunShape;
  hosts: number;
  /** Per host: the median of the runs (one host per run), or the run's time / hosts. */
  perHostMs: number;
  /** Wall time of each run. */
  runsMs: number[];
  /** Per host, mean over the hosts: TCP connections (SSH handshakes) and sessions. */
  connectionsPerHost: number;
  sessionsPerHost: number;
  /** Per host: operations snap-shm executed, or tasks Ansible reported changed. */
  changesPerHost: number;
}

/** One bare SSH connection running `true`. */
export interface SshFloor {
  /**
   * OpenSSH's client with its default key exchange, as Ansible connects; the same with the
   * probe's key exchanges, directly (`probe-direct`, where Perl does not run) or through the
   * probe's TCP relay (`probe`, as snap-shm's probe connects here); or the command provider's
   * client, as every operation connects.
   */
  client: "openssh" | "probe-direct" | "probe" | "provider";
  connections: number;
  wallMs: Summary;
  /** Per connection: the client's CPU, and the server's (sshd and the login shell). */
  clientCpuMs: number;
  serverCpuMs: number;
}

export interface ConvergeResult {
  hostsPerGroup: number;
  /** With OpenSSH's client and its default key exchange. */
  sshFloor?: SshFloor;
  /** With OpenSSH's client as the probe runs it without its TCP relay. */
  sshFloorProbeDirect?: SshFloor;
  /** With OpenSSH's client as the probe runs it, through its TCP relay. */
  sshFloorProbe?: SshFloor;
  /** With the command provider's client. */
  sshFloorProvider?: SshFloor;
  tools: Tool[];
  rows: ConvergeRow[];
  /** Whether every host of every tool ended each phase in the same converged state. */
  sameEndState: boolean;
  endStateNote: string;
  ansibleSkipped?: string;
}

interface Group {
  tool: Tool;
  shape: RunShape;
  hosts: BenchHost[];
  /** snap-shm's tools: one stand-in (one stack) per host for single runs, one for the fleet. */
  engines: Map<string, EngineStandIn>;
}

export async function convergeSection(options: { hosts: number; ansible: boolean; sharing: boolean; privateKey: string; publicKey: string; log: (line: string) => void }): Promise<ConvergeResult> {
  const tools: Tool[] = ["snap-shm", ...(options.sharing ? ["snap-shm+sharing" as const] : []), ...(options.ansible ? (["ansible", "ansible+pipelining"] as const) : [])];
  const shapes: RunShape[] = ["one host per run", "all hosts in one run"];
  const groups: Group[] = [];
  const workspace = options.ansible ? new AnsibleWorkspace(options.privateKey) : undefined;
  const rows: ConvergeRow[] = [];
  let sameEndState = true;
  let endStateNote = "";
  let floor: SshFloor | undefined;
  let floorProbeDirect: SshFloor | undefined;
  let floorProbe: SshFloor | undefined;
  let floorProvider: SshFloor | undefined;
  try {
    let index = 0;
    for (const tool of tools) {
      for (const shape of shapes) {
        const prefix = `${HOST_LETTER[tool]}${shape === "one host per run" ? "1" : "n"}-h`;
        const hosts = await startHosts(prefix, options.hosts, options.publicKey);
        groups.push({ tool, shape, hosts, engines: new Map() });
        index++;
      }
    }
    options.log(`converge: ${index} groups of ${options.hosts} test hosts started`);
    floor = await sshFloor(groups[0].hosts[0], options.privateKey, 20, "openssh");
    floorProbeDirect = await sshFloor(groups[0].hosts[0], options.privateKey, 20, "probe-direct");
    floorProbe = await sshFloor(groups[0].hosts[0], options.privateKey, 20, "probe");
    floorProvider = await sshFloor(groups[0].hosts[0], options.privateKey, 20, "provider");
    const said = (f: SshFloor) => `median ${f.wallMs.median.toFixed(0)} ms, client CPU ${f.clientCpuMs.toFixed(0)} ms, server CPU ${f.serverCpuMs.toFixed(0)} ms`;
    options.log(
      `converge: a bare SSH connection with OpenSSH: ${said(floor)}; as the probe connects without its relay: ${said(floorProbeDirect)}, through it: ${said(floorProbe)}; with the provider's client: ${said(floorProvider)}`,
    );

    const runOn = async (group: Group, hosts: BenchHost[]): Promise<{ wallMs: number; changes: number }> => {
      if (group.tool === "snap-shm" || group.tool === "snap-shm+sharing") {
        const key = hosts.map((h) => h.name).join(",");
        let engine = group.engines.get(key);
        if (!engine) group.engines.set(key, (engine = new EngineStandIn()));
        // One host: as `pulumi up` runs by default, so the two snaps' parts go side by side.
        // Several: one operation at a time, the cost per host without parallelism.
        const parallel = group.shape === "one host per run" ? undefined : 1;
        const { wallMs, report } = await upOnce(engine, hosts, options.privateKey, parallel, { connectionSharing: group.tool === "snap-shm+sharing" });
        return { wallMs, changes: report.executions.length };
      }
      const run = await workspace!.run(hosts, { pipelining: group.tool === "ansible+pipelining", forks: 1 });
      const bad = hosts.filter((h) => !run.recap[h.name] || run.recap[h.name].failed > 0 || run.recap[h.name].unreachable > 0);
      if (run.status !== 0 || bad.length > 0) throw new Error(`ansible-playbook failed (status ${run.status}):\n${run.output.slice(-4000)}`);
      return { wallMs: run.wallMs, changes: hosts.reduce((sum, h) => sum + run.recap[h.name].changed, 0) };
    };

    for (const phase of PHASES) {
      const phaseStates: string[] = [];
      for (const group of groups) {
        if (phase === "drift repair") for (const h of group.hosts) snapdRefreshDrift(h.host);
        const before = group.hosts.map((h) => h.counts());
        const runsMs: number[] = [];
        let changes = 0;
        if (group.shape === "one host per run") {
          for (const h of group.hosts) {
            const run = await runOn(group, [h]);
            runsMs.push(run.wallMs);
            changes += run.changes;
          }
        } else {
          const run = await runOn(group, group.hosts);
          runsMs.push(run.wallMs);
          changes += run.changes;
        }
        const counted = group.hosts.map((h, i) => countsSince(before[i], h.counts()));
        const n = group.hosts.length;
        rows.push({
          tool: group.tool,
          phase,
          shape: group.shape,
          hosts: n,
          perHostMs: group.shape === "one host per run" ? median(runsMs) : runsMs[0] / n,
          runsMs,
          connectionsPerHost: counted.reduce((s, c) => s + c.connections, 0) / n,
          sessionsPerHost: counted.reduce((s, c) => s + c.sessions, 0) / n,
          changesPerHost: changes / n,
        });
        for (const h of group.hosts) phaseStates.push(convergedState(h.host));
        options.log(`converge: ${phase}, ${group.tool}, ${group.shape}: ${runsMs.map((ms) => ms.toFixed(0)).join(" ")} ms`);
      }
      const distinct = [...new Set(phaseStates)];
      if (distinct.length !== 1 || !isConverged(distinct[0])) {
        sameEndState = false;
        endStateNote += `After ${phase}: ${distinct.length} different end states${distinct.some((s) => !isConverged(s)) ? ", some not converged" : ""}\n${distinct.join("---\n")}`;
      }
    }
    if (sameEndState) endStateNote = "Every host of every tool ended each phase in the same state (files byte for byte, modes, directories, the live bind)";
  } finally {
    // No ssh master left running (each would last 60 s), and none outlives its host.
    if (options.sharing) closeSharedConnections();
    await stopHosts(groups.flatMap((g) => g.hosts));
    workspace?.remove();
  }
  return { hostsPerGroup: options.hosts, sshFloor: floor, sshFloorProbeDirect: floorProbeDirect, sshFloorProbe: floorProbe, sshFloorProvider: floorProvider, tools, rows, sameEndState, endStateNote, ...(options.ansible ? {} : { ansibleSkipped: "Ansible not run" }) };
}
