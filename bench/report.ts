/**
 * The benchmark's results: their shape, the goals they are held to, and the Markdown that
 * shows them. Pure (no I/O), so tests/bench can check it.
 */
import { TREE_MAX_HOSTS, type ConstructionBreakdown, type ConstructionResult, type ConstructionRow, type ConstructionSide, type StoredBytes } from "./construction";
import type { AnsibleTool, ConvergeResult, ConvergeRow, Phase, RunShape, SnapShmTool, SshFloor, Tool } from "./converge";
import type { FleetScaleResult } from "./fleet-scale";
import type { HostCostResult } from "./host-cost";
import { fmt, ratio, verdict } from "./stats";

export interface MachineFacts {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  openssh: string;
  ansible: string;
  /** The commit measured, and how many files under src/ differ from it (uncommitted work). */
  git: string;
  /** 1-minute load average when the run started and ended (other work on the machine). */
  loadStart: number;
  loadEnd?: number;
}

export interface BenchResults {
  command: string;
  startedAt: string;
  durationS: number;
  machine: MachineFacts;
  construction?: ConstructionResult;
  converge?: ConvergeResult;
  hostCost?: HostCostResult;
  fleetScale?: FleetScaleResult;
  /** Sections that failed (the others ran). */
  sectionErrors?: Array<{ section: string; error: string }>;
  goals: Goal[];
}

export interface Goal {
  section: string;
  goal: string;
  measured: string;
  met: boolean;
  verdict: string;
}

export const GOALS = {
  constructionRatio: 1.5,
  convergeSpeedup: 10,
  noOpConnections: 1,
  noOpApplyMs: 20,
  scalingEfficiency: 0.8,
} as const;

/**
 * How the report names each tool: the first three as they always were, so reports stay
 * comparable from run to run.
 */
export const TOOL_LABELS: Record<Tool, string> = {
  "snap-shm": "snap-shm",
  "snap-shm+sharing": "snap-shm with connectionSharing",
  ansible: "ansible",
  "ansible+pipelining": "ansible+pipelining",
};

/** snap-shm's tools, in the order of their goals. */
const SNAP_SHM_TOOLS: SnapShmTool[] = ["snap-shm", "snap-shm+sharing"];

function isSnapShm(tool: Tool): tool is SnapShmTool {
  return (SNAP_SHM_TOOLS as Tool[]).includes(tool);
}

/** Per phase and run shape, Ansible's time per host over snap-shm's (as by default, or with connectionSharing). */
export function convergeRatio(rows: ConvergeRow[], tool: AnsibleTool, phase: Phase, shape: RunShape, snapShm: SnapShmTool = "snap-shm"): number {
  const ours = rows.find((r) => r.tool === snapShm && r.phase === phase && r.shape === shape);
  const theirs = rows.find((r) => r.tool === tool && r.phase === phase && r.shape === shape);
  return ours && theirs ? ratio(theirs.perHostMs, ours.perHostMs) : Number.NaN;
}

/** Every goal of issue 6 the results can answer, met or missed by how much. */
export function evaluateGoals(results: Omit<BenchResults, "goals">): Goal[] {
  const goals: Goal[] = [];
  const add = (section: string, what: string, value: number, bound: number, kind: "at most" | "at least", unit: string, digits = 2) => {
    const v = verdict(value, bound, kind, unit, digits);
    goals.push({ section, goal: `${what} ${v.goal}`, measured: `${fmt(value, digits)}${unit}`, met: v.met, verdict: v.text });
  };
  for (const row of results.construction?.rows ?? []) {
    const label = `construction, ${row.hosts} hosts × ${row.snapsPerHost} snaps`;
    if (row.snapShm.runs.length > 0 && row.baseline.runs.length > 0) {
      add(label, "time ÷ baseline", row.timeRatio, GOALS.constructionRatio, "at most", "×");
      add(label, "peak memory ÷ baseline", row.memoryRatio, GOALS.constructionRatio, "at most", "×");
      continue;
    }
    // A side that did not finish: the ratios are lower bounds when snap-shm was stopped.
    const bounds = constructionBounds(row);
    const who = row.snapShm.runs.length === 0 ? "snap-shm" : "the baseline";
    const side = row.snapShm.runs.length === 0 ? row.snapShm : row.baseline;
    const why =
      side.stoppedAfterS === undefined
        ? `${who} failed: ${side.error ?? "no result"}`
        : side.stoppedBecause === "out of memory"
          ? `${who} ran out of memory after ${fmt(side.stoppedAfterS, 0)} s`
          : `${who} did not finish within ${fmt(side.stoppedAfterS, 0)} s`;
    for (const [what, bound] of [["time ÷ baseline", bounds.time], ["peak memory ÷ baseline", bounds.memory]] as const) {
      goals.push({
        section: label,
        goal: `${what} ≤ ${fmt(GOALS.constructionRatio)}×`,
        measured: Number.isFinite(bound) ? `> ${fmt(bound)}×` : "n/a",
        met: false,
        verdict: Number.isFinite(bound) ? `missed: ${why}, so more than ${fmt(bound)}× (${fmt(bound / GOALS.constructionRatio)}× the goal at least)` : `not measured: ${why}`,
      });
    }
  }
  const converge = results.converge;
  if (converge) {
    if (converge.tools.includes("ansible+pipelining")) {
      for (const shape of ["one host per run", "all hosts in one run"] as RunShape[]) {
        for (const phase of ["first apply", "no-op re-apply", "drift repair"] as Phase[]) {
          for (const snapShm of SNAP_SHM_TOOLS) {
            const value = convergeRatio(converge.rows, "ansible+pipelining", phase, shape, snapShm);
            if (Number.isNaN(value)) continue;
            add(`converge, ${phase}, ${shape}`, `Ansible with pipelining ÷ ${TOOL_LABELS[snapShm]}, per host`, value, GOALS.convergeSpeedup, "at least", "×", 1);
          }
        }
      }
    }
    for (const snapShm of SNAP_SHM_TOOLS) {
      for (const row of converge.rows.filter((r) => r.tool === snapShm && r.phase === "no-op re-apply")) {
        add(`converge, no-op re-apply, ${row.shape}`, `${TOOL_LABELS[snapShm]} SSH connections per host`, row.connectionsPerHost, GOALS.noOpConnections, "at most", "", 1);
      }
    }
  }
  for (const row of results.hostCost?.rows ?? []) {
    if (row.operation.startsWith("probe")) continue;
    add(`host-side cost, ${row.operation}`, "median of a no-op apply", row.ms.median, GOALS.noOpApplyMs, "at most", " ms", 1);
  }
  const scale = results.fleetScale;
  if (scale) {
    for (const row of scale.rows.filter((r) => r.parallel > 1)) {
      add(
        `fleet scale, parallel ${row.parallel}`,
        `speed-up ÷ min(parallel, ${scale.cores} cores)`,
        row.efficiency,
        GOALS.scalingEfficiency,
        "at least",
        "",
      );
    }
  }
  return goals;
}

/** When snap-shm was stopped and the baseline finished: the ratios it had exceeded by then. */
export function constructionBounds(row: ConstructionRow): { time: number; memory: number } {
  const stopped = row.snapShm.runs.length === 0 && row.snapShm.stoppedAfterS !== undefined && row.baseline.runs.length > 0;
  if (!stopped) return { time: Number.NaN, memory: Number.NaN };
  return {
    time: ratio(row.snapShm.stoppedAfterS! * 1000, row.baseline.wallMs),
    memory: ratio(row.snapShm.peakRssMbWhenStopped ?? Number.NaN, row.baseline.peakRssMb),
  };
}

/** The component tree's ratios, with its promises per host where they were counted. */
function treeCell(row: ConstructionRow): string {
  if (row.treeTimeRatio === undefined || row.treeMemoryRatio === undefined || !Number.isFinite(row.treeTimeRatio)) return "–";
  const promises = row.tree?.promisesPerHost !== undefined ? ` (${fmt(row.tree.promisesPerHost, 0)} promises per host)` : "";
  return `${x(row.treeTimeRatio)} / ${x(row.treeMemoryRatio)}${promises}`;
}

function timeCell(side: ConstructionSide): string {
  if (side.runs.length > 0) return ms(side.wallMs);
  if (side.stoppedAfterS !== undefined) return `> ${fmt(side.stoppedAfterS, 0)} s (${side.stoppedBecause === "out of memory" ? "out of memory" : "stopped"})`;
  return `failed: ${(side.error ?? "").split("\n")[0]}`;
}

function memoryCell(side: ConstructionSide): string {
  if (side.runs.length > 0) return mb(side.peakRssMb);
  if (side.peakRssMbWhenStopped !== undefined) return `≥ ${mb(side.peakRssMbWhenStopped)} ${side.stoppedBecause === "out of memory" ? "when out of memory" : "when stopped"}`;
  return "n/a";
}

function table(head: string[], rows: string[][], align?: string[]): string {
  const sep = head.map((_, i) => (align?.[i] === "r" ? "---:" : "---"));
  return [head, sep, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

const ms = (value: number) => (Number.isFinite(value) ? (value >= 10_000 ? `${fmt(value / 1000, 1)} s` : `${fmt(value, value < 100 ? 1 : 0)} ms`) : "n/a");

/** What the converge section's text says of snap-shm with connectionSharing, when it ran. */
const SHARING_NOTE =
  " snap-shm with connectionSharing: the same program with `connectionSharing: true` on every host, each part a `local.Command` whose OpenSSH client runs its operation over the host's one shared connection, opened by the drift probe; every run starts with no shared connection open, as a `pulumi up` some minutes after the last.";

/** The processes a first apply forks in all, counted under strace on a fresh host; empty when not counted. */
function firstApplyProcesses(operations: HostCostResult["firstApplyDirect"]): string {
  if (operations.some((r) => r.processes === undefined)) return "";
  return ` Processes forked by the whole first apply (each operation once more, on another fresh host under strace, the floor's subtracted): ${operations.reduce((sum, r) => sum + r.processes!, 0)}.`;
}

/** One bare-connection measurement, as the converge section's text gives it. */
const floorFigures = (floor: SshFloor) =>
  `median ${ms(floor.wallMs.median)}, p95 ${ms(floor.wallMs.p95)}; CPU per connection ${fmt(floor.clientCpuMs, 0)} ms in the client, ${fmt(floor.serverCpuMs, 0)} ms in the server.`;
const mb = (value: number) => (Number.isFinite(value) ? `${fmt(value, 0)} MB` : "n/a");
const x = (value: number, digits = 2) => (Number.isFinite(value) ? `${fmt(value, digits)}×` : "n/a");

/** What the engine would store per host, and how much of it is the host scripts. */
function storedSentence(stored: StoredBytes): string {
  const kb = (chars: number) => `${fmt(chars / 1024, 0)} KB`;
  return (
    `The state for one host × 2 snaps (every resource's inputs and outputs as JSON, as the engine stores them; URNs and dependencies not counted): ${kb(stored.total)}, ` +
    `of which ${kb(stored.scripts)} (${fmt((100 * stored.scripts) / stored.total, 0)}%) is the host scripts, each command's stdin, stored as an input and again as an output, ` +
    `and ${kb(stored.componentOutputs)} the components' summaries. The baseline's commands store as much (their strings have the same sizes).`
  );
}

/** Where construction time and memory go: each step's ratios, and what the step adds to them. */
function breakdownSection(breakdown: ConstructionBreakdown): string[] {
  const runs = [...new Set(breakdown.steps.map((step) => step.side.runs.length))].join(" / ");
  const step = (value: number, before: number | undefined) => (before === undefined ? "–" : Number.isFinite(value - before) ? `${value - before >= 0 ? "+" : "−"}${x(Math.abs(value - before))}` : "n/a");
  return [
    `Where the time and memory go, at ${breakdown.hosts} hosts × 2 snaps: from the baseline to snap-shm, each step a program of its own that adds one thing to the step before, measured in turns (medians of ${runs} runs).`,
    "",
    table(
      ["step", "adds", "time", "time ÷ baseline", "the step adds", "peak memory", "memory ÷ baseline", "the step adds"],
      breakdown.steps.map((s, i) => {
        const before = i > 0 ? breakdown.steps[i - 1] : undefined;
        return [
          s.impl,
          s.adds,
          timeCell(s.side),
          x(s.timeRatio),
          step(s.timeRatio, before?.timeRatio),
          memoryCell(s.side),
          x(s.memoryRatio),
          step(s.memoryRatio, before?.memoryRatio),
        ];
      }),
      ["l", "l", "r", "r", "r", "r", "r", "r"],
    ),
  ];
}

/** The whole report as Markdown: machine, goals, then one table per section. */
export function renderMarkdown(results: BenchResults): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(
    `Command: \`${results.command}\`, started ${results.startedAt}, took ${fmt(results.durationS, 0)} s.`,
    "",
    `Code: ${m.git}.`,
    "",
    `Machine: ${m.cpu}, ${m.cores} cores, ${fmt(m.memoryGiB, 1)} GiB; ${m.os}, kernel ${m.kernel}; Node ${m.node}; ${m.openssh}; ${m.ansible}. ` +
      `Load average (1 min) ${fmt(m.loadStart, 2)} at the start${m.loadEnd !== undefined ? `, ${fmt(m.loadEnd, 2)} at the end` : ""}.`,
    "",
    ...(results.sectionErrors?.length
      ? [`**Sections that failed:** ${results.sectionErrors.map((e) => `${e.section} (${e.error.split("\n")[0]})`).join("; ")}.`, ""]
      : []),
    "### Goals",
    "",
    table(
      ["section", "goal", "measured", "verdict"],
      results.goals.map((g) => [g.section, g.goal, g.measured, `${g.met ? "✅" : "❌"} ${g.verdict}`]),
    ),
  );

  const c = results.construction;
  if (c) {
    out.push(
      "",
      "### Construction under mocks",
      "",
      `Each figure a fresh \`node ${c.nodeFlags.join(" ")}\` process; time from the first resource to the last registration settled; memory is the process's peak resident set; medians of the runs listed. Per host, snap-shm registers ${c.commandsPerHost.length} commands (${c.commandsPerHost.map((s) => s.suffix).join(", ")}); the baseline registers as many, with strings of the same sizes. "Component tree alone": the baseline's commands inside snap-shm's tree of empty components (fleet, host, snap, a part around each command, each part waiting for the one before), measured up to ${TREE_MAX_HOSTS} hosts: what that structure costs by itself, against the baseline.`,
      "",
      table(
        ["hosts × snaps", "snap-shm time", "baseline time", "time ratio", "snap-shm peak memory", "baseline peak memory", "memory ratio", "resources per host and snap (snap-shm / baseline)", "probe invokes per host", "promises per host (snap-shm / baseline)", "component tree alone: time / memory ratio", "runs"],
        c.rows.map((r) => [
          `${r.hosts} × ${r.snapsPerHost}`,
          timeCell(r.snapShm),
          timeCell(r.baseline),
          Number.isFinite(r.timeRatio) ? x(r.timeRatio) : Number.isFinite(constructionBounds(r).time) ? `> ${x(constructionBounds(r).time)}` : "n/a",
          memoryCell(r.snapShm),
          memoryCell(r.baseline),
          Number.isFinite(r.memoryRatio) ? x(r.memoryRatio) : Number.isFinite(constructionBounds(r).memory) ? `> ${x(constructionBounds(r).memory)}` : "n/a",
          `${Number.isFinite(r.snapShm.perHostSnap) ? fmt(r.snapShm.perHostSnap, 1) : "–"} / ${Number.isFinite(r.baseline.perHostSnap) ? fmt(r.baseline.perHostSnap, 1) : "–"}`,
          Number.isFinite(r.snapShm.invokesPerHost) ? fmt(r.snapShm.invokesPerHost, 0) : "–",
          r.snapShm.promisesPerHost !== undefined && r.baseline.promisesPerHost !== undefined ? `${fmt(r.snapShm.promisesPerHost, 0)} / ${fmt(r.baseline.promisesPerHost, 0)}` : "–",
          treeCell(r),
          `${r.snapShm.runs.length} / ${r.baseline.runs.length}${r.tree ? ` / ${r.tree.runs.length}` : ""}`,
        ]),
        ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
      ),
    );
    if (c.storedPerHost) out.push("", storedSentence(c.storedPerHost));
    if (c.breakdown) out.push("", ...breakdownSection(c.breakdown));
  }

  const v = results.converge;
  if (v) {
    out.push(
      "",
      "### Converge over SSH",
      "",
      `${v.hostsPerGroup} fresh test hosts per tool and run shape, 2 snaps each. Per host: the median of the one-host runs (each tool as it runs by default: the stand-in with no parallelism limit, as \`pulumi up\`, so a host's two snaps go side by side; Ansible runs a host's tasks one after another), or one run over all the hosts (one operation at a time: stand-in parallelism 1, Ansible forks 1) divided by the hosts. Connections and sessions are counted by each host's sshd.${v.tools.includes("snap-shm+sharing") ? SHARING_NOTE : ""} ${v.endStateNote.split("\n")[0]}.${v.ansibleSkipped ? ` ${v.ansibleSkipped}.` : ""}` +
        (v.sshFloor
          ? ` One bare SSH connection running \`true\`, ${v.sshFloor.connections} times, with OpenSSH's client and its default key exchange (sntrup761x25519, as Ansible connects): ${floorFigures(v.sshFloor)}` +
            (v.sshFloorProbeDirect
              ? ` With OpenSSH's client as snap-shm's probe runs it where Perl does not run (curve25519-sha256 first, as the command provider's client): ${floorFigures(v.sshFloorProbeDirect)}`
              : "") +
            (v.sshFloorProbe ? ` The same through the probe's TCP relay, as the probe runs it here: ${floorFigures(v.sshFloorProbe)}` : "") +
            (v.sshFloorProvider
              ? ` With the command provider's client (golang.org/x/crypto/ssh, as the stand-in runs every operation; curve25519-sha256 with OpenSSH 9.2): ${floorFigures(v.sshFloorProvider)}`
              : "")
          : ""),
      "",
      table(
        ["phase", "runs", "tool", "per host", "SSH connections per host", "SSH sessions per host", "changes per host", "Ansible ÷ snap-shm", "Ansible with pipelining ÷ snap-shm"],
        v.rows.map((r) => [
          r.phase,
          r.shape,
          TOOL_LABELS[r.tool],
          ms(r.perHostMs),
          fmt(r.connectionsPerHost, 1),
          fmt(r.sessionsPerHost, 1),
          fmt(r.changesPerHost, 1),
          isSnapShm(r.tool) && v.tools.includes("ansible") ? x(convergeRatio(v.rows, "ansible", r.phase, r.shape, r.tool), 1) : "",
          isSnapShm(r.tool) && v.tools.includes("ansible+pipelining") ? x(convergeRatio(v.rows, "ansible+pipelining", r.phase, r.shape, r.tool), 1) : "",
        ]),
        ["l", "l", "l", "r", "r", "r", "r", "r", "r"],
      ),
    );
  }

  const h = results.hostCost;
  if (h) {
    out.push(
      "",
      "### Host-side cost",
      "",
      `Each operation as registered for a no-op re-apply, run ${h.runs} times directly on a converged test host (nsenter, then \`sh -c\` with the script on standard input, no SSH). Floor (nsenter + \`sh -c :\`): median ${ms(h.floorMs.median)}, p95 ${ms(h.floorMs.p95)}, included in every figure. Processes: forked by the run, the floor's subtracted${h.straceAvailable ? "" : " (strace not installed: not counted)"}. A whole host re-applied without drift detection (every apply, medians added): ${ms(h.wholeHostApplyMs)}. ` +
        `A whole first apply of a fresh host the same way, each operation once in order: ${ms(h.firstApplyDirectMs)} (${h.firstApplyDirect.map((r) => `${r.operation} ${ms(r.ms)}${r.processes === undefined ? "" : `, ${r.processes} processes`}`).join("; ")}).` +
          firstApplyProcesses(h.firstApplyDirect),
      "",
      table(
        ["operation", "median", "p95", "min", "max", "processes", "programs executed"],
        h.rows.map((r) => [
          r.operation,
          ms(r.ms.median),
          ms(r.ms.p95),
          ms(r.ms.min),
          ms(r.ms.max),
          r.processes ? String(r.processes.forks) : "–",
          r.processes
            ? Object.entries(r.processes.programs)
                .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
                .map(([name, n]) => `${name} ${n}`)
                .join(", ")
            : "–",
        ]),
        ["l", "r", "r", "r", "r", "r", "l"],
      ),
    );
  }

  const s = results.fleetScale;
  if (s) {
    out.push(
      "",
      "### Fleet scale",
      "",
      `First apply of ${s.hosts} fresh test hosts × 2 snaps through the stand-in, on ${s.cores} cores. Efficiency is the speed-up over parallelism 1 divided by min(parallelism, cores); busy cores is the machine's mean busy CPU over the run.`,
      "",
      table(
        ["parallel", "hosts", "wall time", "per host", "speed-up", "efficiency", "busy cores", "operations"],
        s.rows.map((r) => [String(r.parallel), String(r.hosts), ms(r.wallMs), ms(r.wallMs / r.hosts), x(r.speedup), fmt(r.efficiency, 2), fmt(r.busyCores, 2), String(r.operations)]),
        ["r", "r", "r", "r", "r", "r", "r", "r"],
      ),
    );
  }
  return `${out.join("\n")}\n`;
}
