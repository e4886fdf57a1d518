/**
 * `npm run bench [-- options]`: snap-shm measured side by side with a hand-written baseline
 * and with Ansible, on this machine, in one run. Writes bench/results.json and
 * bench/results.md and prints the command, the machine and the tables. See
 * docs/benchmarks.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem, userInfo } from "node:os";
import { join, resolve } from "node:path";
import { copyAssets, REPO, useOwnHome } from "./assets";
import type { BenchResults, MachineFacts } from "./report";

const SECTIONS = ["construction", "converge", "host-cost", "fleet-scale"] as const;
type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  only: Section[];
  sizes: number[];
  runs?: number;
  constructionTimeoutS: number;
  breakdownHosts: number;
  convergeHosts: number;
  costRuns: number;
  scaleHosts: number;
  parallel: number[];
  skipAnsible: boolean;
  skipSharing: boolean;
  outDir: string;
}

const USAGE = `usage: npm run bench -- [options]
  --only SECTION[,SECTION]  construction, converge, host-cost, fleet-scale (default: all)
  --sizes N[,N]             construction fleet sizes in hosts (default 100,1000,5000)
  --runs N                  construction runs per size (default 3 up to 1000 hosts, else 1)
  --construction-timeout S  stop a construction run after S seconds (default 600)
  --breakdown-hosts N       fleet size of the construction breakdown (default 300; 0: none)
  --converge-hosts N        test hosts per tool and run shape (default 3)
  --cost-runs N             runs of each host operation (default 100)
  --scale-hosts N           test hosts for fleet scale (default 20)
  --parallel N[,N]          fleet scale parallelism levels (default 1,5,20)
  --skip-ansible            converge without Ansible (snap-shm only)
  --skip-sharing            converge without snap-shm's connectionSharing
  --out DIR                 where results.json and results.md go (default bench/)
Quick run: npm run bench -- --only construction --sizes 100`;

function numbers(value: string, name: string): number[] {
  const list = value.split(",").map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${name}: expected whole numbers, got ${JSON.stringify(value)}`);
  return list;
}

export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    only: [...SECTIONS],
    sizes: [100, 1000, 5000],
    constructionTimeoutS: 600,
    breakdownHosts: 300,
    convergeHosts: 3,
    costRuns: 100,
    scaleHosts: 20,
    parallel: [1, 5, 20],
    skipAnsible: false,
    skipSharing: false,
    outDir: join(REPO, "bench"),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--only": {
        const list = value().split(",");
        const bad = list.filter((s) => !(SECTIONS as readonly string[]).includes(s));
        if (bad.length > 0) throw new Error(`--only: unknown section ${bad.join(", ")} (sections: ${SECTIONS.join(", ")})`);
        options.only = list as Section[];
        break;
      }
      case "--sizes":
        options.sizes = numbers(value(), arg);
        break;
      case "--runs":
        options.runs = numbers(value(), arg)[0];
        break;
      case "--construction-timeout":
        options.constructionTimeoutS = numbers(value(), arg)[0];
        break;
      case "--breakdown-hosts": {
        const v = value();
        options.breakdownHosts = v === "0" ? 0 : numbers(v, arg)[0];
        break;
      }
      case "--converge-hosts":
        options.convergeHosts = numbers(value(), arg)[0];
        break;
      case "--cost-runs":
        options.costRuns = numbers(value(), arg)[0];
        break;
      case "--scale-hosts":
        options.scaleHosts = numbers(value(), arg)[0];
        break;
      case "--parallel":
        options.parallel = numbers(value(), arg);
        break;
      case "--skip-ansible":
        options.skipAnsible = true;
        break;
      case "--skip-sharing":
        options.skipSharing = true;
        break;
      case "--out":
        options.outDir = resolve(value());
        break;
      case "-h":
      case "--help":
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return options;
}

function firstLine(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: "utf8" });
  return `${run.stdout ?? ""}${run.stderr ?? ""}`.trim().split("\n")[0] || "unknown";
}

/**
 * git in the checkout, with the user's real home folder (not the bench's own, see
 * `useOwnHome`): git reads its global settings there, `safe.directory` among them.
 */
function git(args: string[]) {
  return spawnSync("git", ["-C", REPO, ...args], { encoding: "utf8", env: { ...process.env, HOME: userInfo().homedir } });
}

/** The commit measured and the uncommitted changes under src/ (read only: git state is never changed). */
function gitFacts(): string {
  const head = git(["rev-parse", "--short", "HEAD"]);
  if (head.status !== 0) return "not a git checkout";
  const status = git(["status", "--porcelain", "--", "src"]);
  const changed = (status.stdout ?? "").split("\n").filter(Boolean).length;
  return `commit ${head.stdout.trim()}${changed ? `, with ${changed} uncommitted change(s) under src/` : ", src/ as committed"}`;
}

function machineFacts(ansible: string | undefined): MachineFacts {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const osRelease = readFileSync("/etc/os-release", "utf8");
  let debian = "";
  try {
    debian = ` (${readFileSync("/etc/debian_version", "utf8").trim()})`;
  } catch {
    // not Debian
  }
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim() ?? cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    kernel: release(),
    os: `${/^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? "unknown"}${debian}`,
    node: process.version,
    openssh: firstLine("ssh", ["-V"]),
    ansible: ansible ?? "Ansible not installed",
    git: gitFacts(),
    loadStart: loadavg()[0],
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  useOwnHome();
  const command = ["npm run bench", ...(process.argv.length > 2 ? ["--", ...process.argv.slice(2)] : [])].join(" ");
  copyAssets();
  const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
  const started = Date.now();
  const needsHosts = options.only.some((s) => s !== "construction");
  if (needsHosts && process.getuid?.() !== 0) throw new Error("the SSH sections need root (test hosts are mount namespaces): run as root, or --only construction");
  const { ansibleVersion, ANSIBLE_INSTALL_HINT } = await import("./ansible-runner");
  const ansible = ansibleVersion();
  const withAnsible = options.only.includes("converge") && !options.skipAnsible;
  if (withAnsible && ansible === undefined) {
    process.stderr.write(`${ANSIBLE_INSTALL_HINT}\n`);
    process.exit(2);
  }
  const machine = machineFacts(ansible);
  process.stdout.write(`${command}\n${JSON.stringify(machine, null, 2)}\n`);

  const { liveHosts, stopHosts } = await import("./ssh-hosts");
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: stopping ${liveHosts.size} test hosts\n`);
      void stopHosts([...liveHosts]).finally(() => process.exit(130));
    });
  }

  const { makeKeyPair } = await import("../tests/support/ssh-keys");
  const key = makeKeyPair();
  const partial: Omit<BenchResults, "goals"> = { command, startedAt: new Date(started).toISOString(), durationS: 0, machine };
  // A section that fails is reported, and the others still run.
  const section = async (name: Section, run: () => Promise<void>) => {
    if (!options.only.includes(name)) return;
    try {
      await run();
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      log(`${name} failed: ${message}`);
      (partial.sectionErrors ??= []).push({ section: name, error: message });
    }
  };
  await section("construction", async () => {
    const { constructionSection } = await import("./construction");
    partial.construction = await constructionSection({
      sizes: options.sizes,
      runs: options.runs,
      timeoutS: options.constructionTimeoutS,
      breakdownHosts: options.breakdownHosts,
      log,
    });
  });
  await section("converge", async () => {
    const { convergeSection } = await import("./converge");
    partial.converge = await convergeSection({ hosts: options.convergeHosts, ansible: withAnsible, sharing: !options.skipSharing, privateKey: key.privateKey, publicKey: key.publicKey, log });
  });
  await section("host-cost", async () => {
    const { hostCostSection } = await import("./host-cost");
    partial.hostCost = await hostCostSection({ runs: options.costRuns, privateKey: key.privateKey, publicKey: key.publicKey, log });
  });
  await section("fleet-scale", async () => {
    const { fleetScaleSection } = await import("./fleet-scale");
    partial.fleetScale = await fleetScaleSection({ hosts: options.scaleHosts, levels: options.parallel, privateKey: key.privateKey, publicKey: key.publicKey, log });
  });
  await (await import("../src/resources/probe-credentials")).stopProbeCredentials();

  partial.durationS = (Date.now() - started) / 1000;
  partial.machine.loadEnd = loadavg()[0];
  const { evaluateGoals, renderMarkdown } = await import("./report");
  const results: BenchResults = { ...partial, goals: evaluateGoals(partial) };
  const markdown = renderMarkdown(results);
  mkdirSync(options.outDir, { recursive: true });
  writeFileSync(join(options.outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(options.outDir, "results.md"), markdown);
  process.stdout.write(`\n${markdown}\nwritten: ${join(options.outDir, "results.json")}, ${join(options.outDir, "results.md")}\n`);
  if (results.sectionErrors?.length) process.exit(1);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  },
);
