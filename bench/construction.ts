/**
 * Construction under mocks: a fleet of N hosts × 2 snaps built by snap-shm and by a
 * hand-written baseline, each measurement in a fresh Node process of its own
 * (construction-child.ts), the two taking turns. Reports wall time, peak memory (the
 * process's maximum resident set), what was registered, and the ratios. Up to
 * `TREE_MAX_HOSTS` hosts, also the baseline's commands inside snap-shm's tree of empty
 * components: how much of the ratio that structure costs by itself. At one more size, the
 * breakdown: from the baseline to snap-shm one step at a time (BREAKDOWN_STEPS), to say
 * where the time and memory go.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { median } from "./stats";

/** What a construction child builds (construction-child.ts says how). */
export const IMPLS = ["snap-shm", "baseline", "tree", "tree-without-parts", "snap-shm-no-drift", "snap-shm-sharing"] as const;
export type Impl = (typeof IMPLS)[number];

/** The largest fleet the component tree alone is measured for (it would add minutes at 5,000 hosts). */
export const TREE_MAX_HOSTS = 1000;

/** One command snap-shm registers for a host: the baseline registers one like it. */
export interface CommandShape {
  /** The name after the host's (`<instance>-<part>[-command]`). */
  suffix: string;
  instance: string;
  part: string;
  /** Characters of create, delete (0: none) and stdin. */
  create: number;
  delete: number;
  stdin: number;
}

export interface Measurement {
  impl: Impl;
  hosts: number;
  snapsPerHost: number;
  wallMs: number;
  peakRssMb: number;
  heapUsedMb: number;
  registered: { components: number; commands: number; invokes: number; total: number };
  perHostSnap: number;
  commandChars: number;
  promisesPerHost?: number;
  /** calibrate only: the commands registered for the one host. */
  shape?: CommandShape[];
  /** calibrate only: what the engine would store for the one host. */
  stored?: StoredBytes;
}

/**
 * What the engine would store in the state for one host: every resource's inputs and outputs
 * as JSON (URNs, dependencies and the like not counted), in characters.
 */
export interface StoredBytes {
  total: number;
  /** The host scripts: each command's stdin, an input and again an output. */
  scripts: number;
  /** The components' registered outputs (the summaries). */
  componentOutputs: number;
}

export interface ConstructionSide {
  /** Medians over the runs. */
  wallMs: number;
  peakRssMb: number;
  runs: Array<{ wallMs: number; peakRssMb: number }>;
  registered: Measurement["registered"];
  /** Resources (components and commands) per host and snap. */
  perHostSnap: number;
  /** Invokes (the drift probe) per host. */
  invokesPerHost: number;
  /** Stack-capturing promises the Pulumi SDK made, per host (a separate counting run). */
  promisesPerHost?: number;
  error?: string;
  /** Did not finish (stopped at the bench's time limit, or out of memory): after how long, the peak memory by then, and why. */
  stoppedAfterS?: number;
  peakRssMbWhenStopped?: number;
  stoppedBecause?: "timeout" | "out of memory";
}

export interface ConstructionRow {
  hosts: number;
  snapsPerHost: number;
  snapShm: ConstructionSide;
  baseline: ConstructionSide;
  timeRatio: number;
  memoryRatio: number;
  /** The baseline's commands in snap-shm's component tree (fleets up to `TREE_MAX_HOSTS` hosts). */
  tree?: ConstructionSide;
  /** The tree's time and peak memory ÷ the baseline's. */
  treeTimeRatio?: number;
  treeMemoryRatio?: number;
}

/**
 * Where snap-shm's construction time and memory go, at one fleet size: from the baseline, one
 * structure or piece of work added at a time, each step a program of its own.
 */
export interface ConstructionBreakdown {
  hosts: number;
  steps: Array<{
    impl: Impl;
    /** What this step adds to the one before. */
    adds: string;
    side: ConstructionSide;
    /** Time and peak memory ÷ the baseline's. */
    timeRatio: number;
    memoryRatio: number;
  }>;
}

/** The breakdown's steps, in order, each adding one thing to the step before. */
const BREAKDOWN_STEPS: Array<{ impl: Impl; adds: string }> = [
  { impl: "baseline", adds: "the baseline: one component per host, its commands" },
  { impl: "tree-without-parts", adds: "a fleet component, and a component per snap on each host" },
  { impl: "tree", adds: "a component around each part (4 per snap)" },
  { impl: "snap-shm-no-drift", adds: "snap-shm itself, drift detection off: its checks, each command's text, results and summaries" },
  { impl: "snap-shm", adds: "the drift probe (one invoke per host), and the mode and revisions that wait for it" },
];

export interface ConstructionResult {
  rows: ConstructionRow[];
  /** Where the time and memory go, at one size (absent when not asked for). */
  breakdown?: ConstructionBreakdown;
  nodeFlags: string[];
  /** The commands snap-shm registers per host (and the baseline copies), with their sizes. */
  commandsPerHost: CommandShape[];
  /** What the engine would store for one host of snap-shm's. */
  storedPerHost?: StoredBytes;
}

const PART_ORDER = ["directory", "apparmor", "mount"];

const CHILD = join(__dirname, "construction-child.js");

/** A child that did not finish: stopped for taking too long, or out of memory; when, and the peak memory it had reached. */
export class ChildStopped extends Error {
  constructor(
    readonly reason: "timeout" | "out of memory",
    readonly seconds: number,
    readonly peakRssMb: number,
    heapLimitMb: number,
  ) {
    super(
      reason === "timeout"
        ? `did not finish within ${Math.round(seconds)} s (stopped; peak resident memory so far ${Math.round(peakRssMb)} MB)`
        : `ran out of memory after ${Math.round(seconds)} s (the V8 heap limit of ${heapLimitMb} MB; peak resident memory ${Math.round(peakRssMb)} MB)`,
    );
  }
}

function peakRssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

function runChild(impl: Impl | "calibrate", hosts: number, flags: string[], env: NodeJS.ProcessEnv = {}, timeoutS = Infinity): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    // A process group of its own: stopping it also stops the ssh-agent its probe started;
    // a temporary folder of its own (the probe's known_hosts files and agent socket), removed
    // however it ends.
    const scratch = mkdtempSync(join(tmpdir(), "snap-shm-bench-child-"));
    const started = Date.now();
    const child = spawn(process.execPath, [...flags, CHILD, impl, String(hosts)], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env, TMPDIR: scratch },
      detached: true,
    });
    let out = "";
    let err = "";
    let timedOut = false;
    // The peak so far, for a child that does not finish (its /proc entry goes with it).
    let peakRssMb = 0;
    const poll = setInterval(() => (peakRssMb = Math.max(peakRssMb, peakRssOf(child.pid) || 0)), 1000);
    const timer = Number.isFinite(timeoutS)
      ? setTimeout(() => {
          timedOut = true;
          peakRssMb = Math.max(peakRssMb, peakRssOf(child.pid) || 0);
          process.kill(-child.pid!, "SIGKILL");
        }, timeoutS * 1000)
      : undefined;
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("close", (status, signal) => {
      if (timer) clearTimeout(timer);
      clearInterval(poll);
      try {
        process.kill(-child.pid!, "SIGKILL"); // whatever is left of its group (its ssh-agent)
      } catch {
        // nothing left
      }
      rmSync(scratch, { recursive: true, force: true });
      const seconds = (Date.now() - started) / 1000;
      const heapLimitMb = Number(/--max-old-space-size=(\d+)/.exec(flags.join(" "))?.[1] ?? NaN);
      const line = out.trim().split("\n").pop() ?? "";
      if (timedOut) reject(new ChildStopped("timeout", timeoutS, peakRssMb, heapLimitMb));
      else if (status === 0 && line.startsWith("{")) resolve(JSON.parse(line) as Measurement);
      else if (/heap out of memory|Reached heap limit|allocation failed/i.test(err)) reject(new ChildStopped("out of memory", seconds, peakRssMb, heapLimitMb));
      else reject(new Error(`exit ${status ?? signal}: ${err.trim().split("\n").slice(0, 3).join(" ").slice(0, 500)}`));
    });
  });
}

/**
 * Runs per size: up to 1,000 hosts three (the median is kept: single runs at 1,000 hosts put
 * the memory ratio anywhere from 1.36× to 1.56×), the 5,000-host fleet once (about 9 minutes
 * a run, both sides).
 */
export function defaultRuns(hosts: number): number {
  return hosts <= 1000 ? 3 : 1;
}

export async function constructionSection(options: {
  sizes: number[];
  runs?: number;
  timeoutS: number;
  /** The fleet size of the breakdown; 0 for none. */
  breakdownHosts: number;
  log: (line: string) => void;
}): Promise<ConstructionResult> {
  // Room for the biggest fleet's heap: three quarters of the machine's memory (the rest for everything else).
  const flags = [`--max-old-space-size=${Math.floor((totalmem() / 2 ** 20) * 0.75)}`];
  const rows: ConstructionRow[] = [];
  // The baseline's shape: what snap-shm registers for one host, in each snap's order.
  const rank = (part: string) => (PART_ORDER.includes(part) ? PART_ORDER.indexOf(part) : PART_ORDER.length);
  const calibration = await runChild("calibrate", 1, flags);
  const commandsPerHost = (calibration.shape ?? []).sort(
    (a, b) => a.instance.localeCompare(b.instance) || rank(a.part) - rank(b.part) || a.part.localeCompare(b.part),
  );
  const shapeDir = mkdtempSync(join(tmpdir(), "snap-shm-bench-shape-"));
  const shapeFile = join(shapeDir, "shape.json");
  writeFileSync(shapeFile, JSON.stringify(commandsPerHost));
  const childEnv = { BENCH_BASELINE_SHAPE: shapeFile };
  options.log(`construction: snap-shm registers ${commandsPerHost.length} commands per host: ${commandsPerHost.map((c) => c.suffix).join(", ")}`);
  const measure = (impls: Impl[], hosts: number, runs: number) => measureSides(impls, hosts, runs, flags, childEnv, options);
  let breakdown: ConstructionBreakdown | undefined;
  try {
    for (const hosts of options.sizes) {
      const withTree = hosts <= TREE_MAX_HOSTS;
      const impls: Impl[] = withTree ? ["snap-shm", "baseline", "tree"] : ["snap-shm", "baseline"];
      const sides = await measure(impls, hosts, options.runs ?? defaultRuns(hosts));
      // Where the time goes: promises per host, counted in a separate (untimed) run on a small fleet.
      for (const impl of impls) {
        if (hosts > 200) break;
        if (sides[impl]!.runs.length === 0) continue;
        try {
          sides[impl]!.promisesPerHost = (await runChild(impl, hosts, flags, { ...childEnv, BENCH_COUNT_PROMISES: "1" })).promisesPerHost;
        } catch {
          // Only a diagnostic.
        }
      }
      const snapShm = sides["snap-shm"]!;
      const baseline = sides.baseline!;
      const tree = sides.tree;
      rows.push({
        hosts,
        snapsPerHost: 2,
        snapShm,
        baseline,
        timeRatio: snapShm.wallMs / baseline.wallMs,
        memoryRatio: snapShm.peakRssMb / baseline.peakRssMb,
        ...(tree ? { tree, treeTimeRatio: tree.wallMs / baseline.wallMs, treeMemoryRatio: tree.peakRssMb / baseline.peakRssMb } : {}),
      });
    }
    if (options.breakdownHosts > 0) {
      const hosts = options.breakdownHosts;
      // Three runs whatever the size: the steps differ by less than one run's noise.
      const sides = await measure(
        BREAKDOWN_STEPS.map((step) => step.impl),
        hosts,
        options.runs ?? 3,
      );
      const baseline = sides.baseline!;
      breakdown = {
        hosts,
        steps: BREAKDOWN_STEPS.map(({ impl, adds }) => ({
          impl,
          adds,
          side: sides[impl]!,
          timeRatio: sides[impl]!.wallMs / baseline.wallMs,
          memoryRatio: sides[impl]!.peakRssMb / baseline.peakRssMb,
        })),
      };
    }
  } finally {
    rmSync(shapeDir, { recursive: true, force: true });
  }
  return { rows, ...(breakdown ? { breakdown } : {}), nodeFlags: flags, commandsPerHost, ...(calibration.stored ? { storedPerHost: calibration.stored } : {}) };
}

/**
 * Each of `impls` measured `runs` times on a fleet of `hosts`, taking turns (each run starts
 * with the next one), so a change in the machine's load falls on all of them.
 */
async function measureSides(
  impls: Impl[],
  hosts: number,
  runs: number,
  flags: string[],
  childEnv: NodeJS.ProcessEnv,
  options: { timeoutS: number; log: (line: string) => void },
): Promise<Partial<Record<Impl, ConstructionSide>>> {
  const measured = new Map<Impl, Measurement[]>(impls.map((impl) => [impl, []]));
  const errors: Partial<Record<Impl, string>> = {};
  const stopped: Partial<Record<Impl, { seconds: number; peakRssMb: number; reason: ChildStopped["reason"] }>> = {};
  for (let i = 0; i < runs; i++) {
    const order = [...impls.slice(i % impls.length), ...impls.slice(0, i % impls.length)];
    for (const impl of order) {
      if (errors[impl]) continue;
      try {
        const m = await runChild(impl, hosts, flags, childEnv, options.timeoutS);
        measured.get(impl)!.push(m);
        options.log(`construction: ${impl}, ${hosts} hosts: ${m.wallMs.toFixed(0)} ms, peak ${m.peakRssMb.toFixed(0)} MB`);
      } catch (error) {
        errors[impl] = (error as Error).message;
        if (error instanceof ChildStopped) stopped[impl] = { seconds: error.seconds, peakRssMb: error.peakRssMb, reason: error.reason };
        options.log(`construction: ${impl}, ${hosts} hosts failed: ${errors[impl]}`);
      }
    }
  }
  const side = (impl: Impl): ConstructionSide => {
    const ms = measured.get(impl)!;
    if (ms.length === 0) {
      return {
        wallMs: NaN,
        peakRssMb: NaN,
        runs: [],
        registered: { components: 0, commands: 0, invokes: 0, total: 0 },
        perHostSnap: NaN,
        invokesPerHost: NaN,
        error: errors[impl],
        ...(stopped[impl] !== undefined ? { stoppedAfterS: stopped[impl]!.seconds, peakRssMbWhenStopped: stopped[impl]!.peakRssMb, stoppedBecause: stopped[impl]!.reason } : {}),
      };
    }
    return {
      wallMs: median(ms.map((m) => m.wallMs)),
      peakRssMb: median(ms.map((m) => m.peakRssMb)),
      runs: ms.map((m) => ({ wallMs: m.wallMs, peakRssMb: m.peakRssMb })),
      registered: ms[0].registered,
      perHostSnap: ms[0].perHostSnap,
      invokesPerHost: ms[0].registered.invokes / hosts,
      ...(errors[impl] ? { error: errors[impl] } : {}),
    };
  };
  return Object.fromEntries(impls.map((impl) => [impl, side(impl)]));
}
