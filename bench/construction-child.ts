/**
 * One construction measurement, in a process of its own (so its peak memory is its own):
 * `node construction-child.js snap-shm|baseline|calibrate HOSTS`. A fleet of HOSTS hosts × 2
 * snaps is built under `pulumi.runtime.setMocks` and every registration awaited; prints one
 * JSON line.
 *
 * - snap-shm: a `SnapShmFleet` as a user writes it (drift detection on, the default), the
 *   probe invoke answered with a host in sync.
 * - calibrate: the same for one host, printing the commands it registered (name, sizes of
 *   create, delete and stdin): the shape the baseline copies; and what the engine would
 *   store for the host (every resource's inputs and outputs as JSON).
 * - baseline: hand-written: one `ComponentResource` per host and, per host, the same number
 *   of plain `remote.Command`s as snap-shm registers, whose create, delete and stdin strings
 *   have the same sizes (one new create and delete string per command; one stdin string per
 *   part, read once, as a program would read its script file), each snap's commands chained
 *   with `dependsOn` as snap-shm's are. The shape comes from the calibration, in the file
 *   named by BENCH_BASELINE_SHAPE.
 * - tree: the baseline's commands inside snap-shm's tree of empty components (a fleet, a
 *   host, a snap on the host, a part around each command), each part and its command waiting
 *   for the part before, as snap-shm's parts do: what the one-component-per-concept
 *   structure costs by itself, without anything snap-shm computes.
 * - tree-without-parts: the same tree without the part components (each command straight
 *   under its snap's component, waiting for the command before): what the part components
 *   cost, for the breakdown.
 * - snap-shm-no-drift: snap-shm with `driftDetection: false` (no probe, every revision and
 *   mode known when the program starts): what the drift probe and what follows from it
 *   cost, for the breakdown.
 * - snap-shm-sharing: snap-shm with `connectionSharing: true` (each part a `local.Command`
 *   with the shared connection's script and the credentials in its environment); measured by
 *   hand (`node bench/dist/bench/construction-child.js snap-shm-sharing HOSTS`), not in the
 *   section.
 *
 * All get the same mock answers (a resource's state is its inputs plus a result line), and
 * all give every host its own address and pinned host key and the same secret key.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { IMPLS, type CommandShape, type Impl, type Measurement, type StoredBytes } from "./construction";
import { BENCH_SNAPS } from "./fleet-spec";
import { makeKeyPair } from "../tests/support/ssh-keys";

type Mode = Impl | "calibrate";

/** A result line of the size an operation prints. */
function resultLine(part: string, instance: string): string {
  return JSON.stringify({
    snapShm: 1,
    part,
    action: "apply",
    instance,
    ok: true,
    found: { state: "present" },
    changed: [],
    notes: [],
    // The directory apply runs the prerequisite check first and reports what it found.
    ...(part === "directory" ? { host: { snapdVersion: "2.57.6-1+deb12u1+b2", ruleGeneration: "single-level", apparmor: "disabled", namespace: "none" } } : {}),
  });
}

/** What the host probe prints for a host where every part of every snap is in sync (revision 1). */
function inSyncProbe(): string {
  const lines: string[] = [];
  for (const { instance } of BENCH_SNAPS) {
    lines.push(JSON.stringify({ snapShm: 1, part: "snap", action: "probe", instance, ok: true, found: { snapYaml: null, snapdVersion: "2.57.6-1+deb12u1+b2" }, changed: [], notes: [] }));
    for (const part of ["directory", "apparmor", "mount"]) {
      lines.push(JSON.stringify({ snapShm: 1, part, action: "probe", instance, ok: true, found: { state: "present" }, changed: [], notes: [], inSync: true, differs: [], mode: "managed", revision: 1 }));
    }
  }
  lines.push(JSON.stringify({ snapShm: 1, part: "host", action: "probe", instance: "", ok: true, found: {}, changed: [], notes: [] }));
  return lines.join("\n");
}

function hostKey(): string {
  // ssh-ed25519 wire format: string "ssh-ed25519", string of 32 key bytes.
  const name = Buffer.from("ssh-ed25519");
  const blob = Buffer.concat([Buffer.from([0, 0, 0, name.length]), name, Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

/** The instance and part a command's name ends with (`<fleet>-<host>-<instance>-<part>[-command]`). */
function partOf(name: string): { instance: string; part: string; suffix: string } {
  for (const { instance } of BENCH_SNAPS) {
    const at = name.indexOf(`-${instance}-`);
    if (at >= 0) {
      const suffix = name.slice(at + 1);
      return { instance, part: suffix.slice(instance.length + 1).replace(/-command$/, ""), suffix };
    }
  }
  return { instance: "", part: name, suffix: name };
}

async function main(): Promise<void> {
  const mode = process.argv[2] as Mode;
  const hosts = mode === "calibrate" ? 1 : Number(process.argv[3]);
  if (![...IMPLS, "calibrate"].includes(mode) || !Number.isInteger(hosts) || hosts < 1) {
    throw new Error(`usage: construction-child.js ${[...IMPLS, "calibrate"].join("|")} HOSTS`);
  }
  // Diagnostics (not for timed runs): how many promises the SDK wraps with a stack capture.
  let promises = 0;
  if (process.env.BENCH_COUNT_PROMISES === "1") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: (p: Promise<unknown>, ctx: unknown) => Promise<unknown> };
    const original = debuggable.debuggablePromise;
    debuggable.debuggablePromise = (p, ctx) => {
      promises++;
      return original(p, ctx);
    };
  }
  const probeOutput = inSyncProbe();
  const counts = { components: 0, commands: 0, invokes: 0, commandChars: 0 };
  const shape: CommandShape[] = [];
  const stored: StoredBytes = { total: 0, scripts: 0, componentOutputs: 0 };
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        if (args.custom) {
          counts.commands++;
          const inputs = args.inputs as { create?: string; delete?: string; stdin?: string };
          counts.commandChars += (inputs.create?.length ?? 0) + (inputs.delete?.length ?? 0) + (inputs.stdin?.length ?? 0);
          const { instance, part, suffix } = partOf(args.name);
          const state = { ...args.inputs, stdout: resultLine(part, instance), stderr: "" };
          if (mode === "calibrate") {
            shape.push({ suffix, instance, part, create: inputs.create?.length ?? 0, delete: inputs.delete?.length ?? 0, stdin: inputs.stdin?.length ?? 0 });
            // A command's outputs repeat its inputs: the engine stores its script twice.
            stored.total += JSON.stringify(args.inputs).length + JSON.stringify(state).length;
            stored.scripts += 2 * (inputs.stdin?.length ?? 0);
          }
          return { id: `${args.name}-id`, state };
        }
        if (mode === "calibrate") stored.total += JSON.stringify(args.inputs).length;
        counts.components++;
        return { id: "", state: args.inputs };
      },
      call: async (args) => {
        counts.invokes++;
        return args.token === "command:local:run" ? { ...args.inputs, stdout: probeOutput, stderr: "" } : {};
      },
    },
    "bench",
    "construction",
    false,
  );
  // Every registration and invoke in flight, to wait until the program has settled.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: unknown, cb: (err: unknown, res: unknown) => void) => void;
    invoke: (req: unknown, cb: (err: unknown, res: unknown) => void) => void;
    registerResourceOutputs: (req: { getOutputs(): { toJavaScript(): unknown } | undefined }, cb: (err: unknown, res: unknown) => void) => void;
  };
  if (mode === "calibrate") {
    // Components' outputs (the summaries) are stored too.
    const register = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req, cb) => {
      const size = JSON.stringify(req.getOutputs()?.toJavaScript() ?? {}).length;
      stored.total += size;
      stored.componentOutputs += size;
      register(req, cb);
    };
  }
  let pending = 0;
  let started = 0;
  for (const method of ["registerResource", "invoke"] as const) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req, cb) => {
      pending++;
      started++;
      original(req, (err, res) => {
        pending--;
        cb(err, res);
      });
    };
  }
  // A real key (made for this run): the probe loads it into an ssh-agent, as for a real fleet.
  const privateKey = makeKeyPair().privateKey;
  const connections = Array.from({ length: hosts }, (_, i) => ({
    host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 22,
    user: "root",
    hostKey: hostKey(),
    privateKey,
  }));

  // Modules loaded and the baseline's strings made before the clock starts.
  const handWritten = mode === "baseline" || mode === "tree" || mode === "tree-without-parts";
  const r = handWritten ? undefined : await import("../src/resources");
  const stop = (await import("../src/resources/probe-credentials")).stopProbeCredentials;
  const { remote } = await import("@pulumi/command");
  const baselineShape = handWritten ? (JSON.parse(readFileSync(process.env.BENCH_BASELINE_SHAPE!, "utf8")) as CommandShape[]) : [];
  const scripts = new Map(baselineShape.map((c) => [c.part, "#".repeat(c.stdin)]));

  const t0 = process.hrtime.bigint();
  let top: pulumi.Output<unknown>;
  if (r) {
    const configs = BENCH_SNAPS.map((s) => new r.SnapSharedMemory(s.instance, s));
    const fleet = new r.SnapShmFleet("fleet", {
      hosts: connections.map((c, i) => ({
        name: `h${i}`,
        connection: { ...c, privateKey: pulumi.secret(c.privateKey) },
        snaps: configs,
        ...(mode === "snap-shm-no-drift" ? { driftDetection: false } : {}),
        ...(mode === "snap-shm-sharing" ? { connectionSharing: true } : {}),
      })),
    });
    top = fleet.summary;
  } else {
    top = baseline(remote, baselineShape, scripts, connections, mode === "tree" ? "tree" : mode === "tree-without-parts" ? "tree-without-parts" : "flat");
  }
  await settle(top);
  for (let seen = -1; seen !== started || pending > 0; ) {
    seen = started;
    while (pending > 0) await new Promise((resolve) => setImmediate(resolve));
    for (let tick = 0; tick < 5; tick++) await new Promise((resolve) => setImmediate(resolve));
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  // Diagnostics (not for timed runs): what the settled program keeps in memory.
  if (process.env.BENCH_HEAP_SNAPSHOT) (await import("node:v8")).writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
  const usage = process.resourceUsage();
  const result: Measurement = {
    impl: mode === "calibrate" ? "snap-shm" : mode,
    hosts,
    snapsPerHost: BENCH_SNAPS.length,
    wallMs,
    peakRssMb: usage.maxRSS / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
    registered: { components: counts.components, commands: counts.commands, invokes: counts.invokes, total: counts.components + counts.commands },
    perHostSnap: (counts.components + counts.commands) / (hosts * BENCH_SNAPS.length),
    commandChars: counts.commandChars,
    ...(process.env.BENCH_COUNT_PROMISES === "1" ? { promisesPerHost: promises / hosts } : {}),
    ...(mode === "calibrate" ? { shape, stored } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await stop();
}

/** The hand-written program's components: one per host, and in the tree, the others. */
class BaselineComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions = {}) {
    super(`bench:index:${type}`, name, {}, opts);
  }
  done(): void {
    this.registerOutputs({});
  }
}

/** A new string of exactly `size` characters starting with `head`. */
function text(head: string, size: number): string {
  return head.length >= size ? head.slice(0, size) : `${head}\n${"#".repeat(size - head.length - 1)}`;
}

/**
 * The hand-written baseline: plain remote.Commands in snap-shm's shape, one component per
 * host (`flat`); with `tree`, inside snap-shm's tree of empty components; with
 * `tree-without-parts`, inside that tree less its part components.
 */
function baseline(
  remote: typeof import("@pulumi/command").remote,
  shape: CommandShape[],
  scripts: Map<string, string>,
  connections: Array<{ host: string; port: number; user: string; hostKey: string; privateKey: string }>,
  structure: "flat" | "tree" | "tree-without-parts",
): pulumi.Output<unknown> {
  const outputs: pulumi.Output<string>[] = [];
  const fleet = structure !== "flat" ? new BaselineComponent("Fleet", "base") : undefined;
  connections.forEach((c, i) => {
    const hostName = `base-h${i}`;
    const component = new BaselineComponent("Host", hostName, { parent: fleet });
    const connection = { ...c, privateKey: pulumi.secret(c.privateKey) };
    // What each snap's next part (or command) waits for: snap-shm's parts, and their commands, wait for the part before.
    const previous = new Map<string, pulumi.Resource>();
    const snaps = new Map<string, BaselineComponent>();
    for (const command of shape) {
      const before = previous.get(command.instance);
      let parent: pulumi.Resource = component;
      if (structure !== "flat") {
        if (!snaps.has(command.instance)) snaps.set(command.instance, new BaselineComponent("Snap", `${hostName}-${command.instance}`, { parent: component }));
        parent = snaps.get(command.instance)!;
      }
      if (structure === "tree") {
        const part = new BaselineComponent("Part", `${hostName}-${command.instance}-${command.part}`, { parent, dependsOn: before ? [before] : [] });
        part.done();
        parent = part;
      }
      const resource: pulumi.Resource & { stdout: pulumi.Output<string> } = new remote.Command(
        `${hostName}-${command.suffix}`,
        {
          connection,
          create: text(`sh -s -- ${command.part} apply instance=${command.instance} host=${hostName}`, command.create),
          delete: command.delete ? text(`sh -s -- ${command.part} remove instance=${command.instance} host=${hostName}`, command.delete) : undefined,
          stdin: scripts.get(command.part),
          addPreviousOutputInEnv: false,
        },
        { parent, dependsOn: before ? [before] : [] },
      );
      outputs.push(resource.stdout);
      previous.set(command.instance, structure === "tree" ? parent : resource);
    }
    for (const snap of snaps.values()) snap.done();
    component.done();
  });
  fleet?.done();
  return pulumi.all(outputs);
}

async function settle(output: pulumi.Output<unknown>): Promise<void> {
  await (output as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
