/**
 * `snap-shm check INVENTORY [--json]`: the drift probe over every host of an inventory, in
 * parallel, without a Pulumi engine. Keys come from the SSH agent (SSH_AUTH_SOCK) or the
 * inventory's identityFile; host keys are pinned where the inventory gives them.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { desiredState } from "../model/desired-state";
import { identityFilePath, Inventory, InventoryConnection, InventoryError, InventoryHost, readInventory } from "../model/inventory";
import { hostScript } from "../render/host-command";
import { decideOperationMode, OperationMode } from "../model/operation-mode";
import { HostProbeReport, modeFacts, parseHostProbe, probedPart, ProbedPart, probeShellCommand, SelfHealProbe, selfHealProbe } from "../render/host-probe";
import { probeArguments, profileList } from "../render/part-arguments";
import { knownHostsLine, SshTarget } from "../render/ssh-command";
import { probeKeyExchanges } from "../resources/probe-key-exchange";
import { parsedOrUsageError } from "./args";
import { CliIo, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from "./io";

export const CHECK_HELP = `Usage: snap-shm check INVENTORY [--json] [--parallel N]

Probes every host of a YAML inventory over SSH (read-only, one connection per host, in
parallel) and reports, per host, snap instance and part, whether it is in sync, what
differs, or that the host could not be reached; and self-heal: whether it watches, and
when it last repaired what snapd undid. Keys come from your SSH agent or the inventory's
identityFile.

  --json        print one JSON object: {inSync, hosts: [...]}
  --parallel N  hosts probed at once (default 16)

Exit status: 0 every part of every host in sync, 1 a part drifted or a host could not be
checked, 2 bad usage or an invalid inventory.
`;

/** The parts with a column each; self-heal has a column of its own, with its repairs. */
type CheckedPartName = Exclude<ProbedPart, "self-heal">;
const PARTS: CheckedPartName[] = ["directory", "apparmor", "mount"];

export interface CheckedPart {
  inSync: boolean;
  differs: string[];
}

/** Self-heal of one instance on one host: as the inventory wants it or not, and its repairs. */
export interface CheckedSelfHeal extends CheckedPart {
  /** Whether the inventory asks for it (`selfHeal`, default true) in the mode the instance runs in. */
  enabled: boolean;
  /** Whether systemd runs on the host (without it, self-heal is never active). */
  systemd: boolean;
  /** When the heal last repaired what snapd undid (ISO 8601, UTC); null when never. */
  lastSelfHeal: string | null;
  /** Repairs since it was installed. */
  repairs: number;
}

export interface CheckedHost {
  name: string;
  address: string;
  reachable: boolean;
  error?: string;
  instances: Array<{ instance: string; mode: OperationMode; parts: Record<CheckedPartName, CheckedPart | null>; selfHeal?: CheckedSelfHeal | null }>;
}

/**
 * Whether every part of an instance is in sync. A part or self-heal the probe could not tell
 * about (null: its probe failed) is not: unknown must not pass the gate. Output of a check
 * from before self-heal has no selfHeal at all.
 */
export function instanceInSync(instance: CheckedHost["instances"][number]): boolean {
  return PARTS.every((p) => instance.parts[p]?.inSync === true) && (instance.selfHeal === undefined || instance.selfHeal?.inSync === true);
}

export interface CheckOutcome {
  inSync: boolean;
  hosts: CheckedHost[];
}

export async function runCheck(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parsedOrUsageError(() =>
    parseArgs({
      args: argv,
      options: { json: { type: "boolean" }, parallel: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    }),
  );
  if (values.help) {
    io.stdout(CHECK_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError("check takes exactly one INVENTORY");
  // Plain decimal digits only: Number() would also take " 2", "0x10" and "1e3".
  const parallel = values.parallel === undefined ? 16 : /^[0-9]+$/.test(values.parallel) ? Number(values.parallel) : NaN;
  if (!Number.isSafeInteger(parallel) || parallel < 1) {
    throw new UsageError(`--parallel must be a whole number in decimal digits, 1 or more, not ${JSON.stringify(values.parallel)}`);
  }
  let inventory: Inventory;
  try {
    inventory = readInventory(io.readFile(positionals[0]), positionals[0]);
  } catch (error) {
    if (error instanceof InventoryError) {
      io.stderr(`snap-shm check: the inventory is not valid:\n${error.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`snap-shm check: cannot read ${positionals[0]}: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  const unreadable = resolveIdentityFiles(inventory, positionals[0]);
  if (unreadable.length > 0) {
    io.stderr(unreadable.map((line) => `snap-shm check: ${line}\n`).join(""));
    return EXIT_USAGE;
  }
  const outcome = await checkInventory(inventory, parallel);
  io.stdout(values.json ? `${JSON.stringify(outcome)}\n` : table(outcome));
  return outcome.inSync ? EXIT_OK : EXIT_FINDINGS;
}

/** Probes every host, at most `parallel` at once. */
export async function checkInventory(inventory: Inventory, parallel: number): Promise<CheckOutcome> {
  const work = mkdtempSync(join(tmpdir(), "snap-shm-check-"));
  try {
    const hosts: CheckedHost[] = new Array(inventory.hosts.length);
    let next = 0;
    const worker = async () => {
      while (next < inventory.hosts.length) {
        const index = next++;
        hosts[index] = await checkHost(inventory.hosts[index], work, index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, inventory.hosts.length) }, worker));
    const inSync = hosts.every((h) => h.reachable && h.instances.every(instanceInSync));
    return { inSync, hosts };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Makes every identityFile of the inventory (hosts and proxies) absolute as the Pulumi program
 * does (src/program/credentials.ts): a relative path starts at the inventory's folder, not at
 * the current directory. Returns one line per key file that cannot be read, naming the hosts
 * that use it; the key itself is never read here (ssh reads it).
 */
export function resolveIdentityFiles(inventory: Inventory, inventoryFile: string): string[] {
  // The program resolves the inventory's path first, then takes its folder.
  const baseDir = dirname(resolve(inventoryFile));
  const problems = new Map<string, { reason: string; users: string[] }>();
  const visit = (connection: InventoryConnection, user: string) => {
    if (connection.identityFile !== undefined) {
      const full = identityFilePath(connection.identityFile, baseDir);
      const reason = unreadableFile(full);
      if (reason !== undefined) {
        const known = problems.get(full) ?? { reason, users: [] };
        known.users.push(user);
        problems.set(full, known);
      }
      connection.identityFile = full;
    }
    if (connection.proxy) visit(connection.proxy, `${user} proxy`);
  };
  for (const host of inventory.hosts) visit(host.connection, `host "${host.name}"`);
  return [...problems].map(([full, { reason, users }]) => `identityFile ${JSON.stringify(full)} (of ${users.join(", ")}) cannot be read: ${reason}`);
}

/** Why a key file cannot be read by ssh, or undefined when it can. */
function unreadableFile(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return "it is not a file";
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

function targetFor(connection: InventoryConnection, kexAlgorithms: string[] | undefined, work: string, tag: string): SshTarget {
  const target: SshTarget = {
    host: connection.address,
    port: connection.port,
    user: connection.user,
    dialErrorLimit: connection.dialErrorLimit,
    perDialTimeout: connection.perDialTimeout,
    identityFile: connection.identityFile,
    kexAlgorithms,
  };
  if (connection.hostKey) {
    target.knownHostsFile = join(work, `${tag}.known_hosts`);
    writeFileSync(target.knownHostsFile, `${knownHostsLine(connection.address, connection.port, connection.hostKey)}\n`);
  }
  if (connection.proxy) target.proxy = targetFor(connection.proxy, kexAlgorithms, work, `${tag}-proxy`);
  return target;
}

async function checkHost(host: InventoryHost, work: string, index: number): Promise<CheckedHost> {
  const instances = host.snaps.map((snap) => {
    const state = desiredState(snap.instance, snap);
    const everyProfile = snap.apps === undefined && snap.hooks === undefined;
    return probeArguments(state, profileList(state, everyProfile), snap.snapdVersion !== undefined ? state.ruleGeneration : "auto", snap.mode ?? "auto", snap.selfHeal !== false);
  });
  const target = targetFor(host.connection, await probeKeyExchanges(), work, `host-${index}`);
  // A bastion's ssh's own words, which the outer ssh's last line would hide (see relayReport).
  if (target.proxy) target.proxy.relayReport = join(work, `host-${index}.bastion-report`);
  const command = probeShellCommand(target, instances, host.become);
  const { stdout, stderr } = await runShell(command, hostScript("host"));
  const report: HostProbeReport = parseHostProbe(stdout, stderr);
  return {
    name: host.name,
    address: host.connection.address,
    reachable: report.ok,
    ...(report.ok ? {} : { error: report.error }),
    instances: host.snaps.map(({ instance, mode, plug, selfHeal }) => {
      const decided = decideOperationMode(mode ?? "auto", modeFacts(report, instance), plug?.name ?? "shared-memory");
      const parts = Object.fromEntries(
        PARTS.map((part) => {
          const found = probedPart(report, instance, decided.mode, part);
          return [part, found ? { inSync: found.inSync === true, differs: found.differs ?? (found.error ? [found.error] : []) } : null];
        }),
      ) as Record<CheckedPartName, CheckedPart | null>;
      const heal = selfHealProbe(report, instance, decided.mode);
      return { instance, mode: decided.mode, parts, selfHeal: heal ? checkedSelfHeal(heal, selfHeal !== false && decided.mode === "managed") : null };
    }),
  };
}

function runShell(command: string, stdin: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", () => resolve({ stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

function checkedSelfHeal(probe: SelfHealProbe, enabled: boolean): CheckedSelfHeal {
  const { inSync, differs, systemd, lastSelfHeal, repairs } = probe;
  return { enabled, inSync, differs, systemd, lastSelfHeal, repairs };
}

/** The self-heal column: off, drifted, or whether it watches, with its last repair. */
export function describeSelfHeal(heal: CheckedSelfHeal | null | undefined): string {
  if (heal === null || heal === undefined) return "not probed";
  if (!heal.inSync) return `drifted: ${heal.differs.join(", ")}`;
  const repairs = heal.lastSelfHeal === null ? "no repair yet" : `last repair ${heal.lastSelfHeal} (${heal.repairs} in all)`;
  if (!heal.enabled) return heal.lastSelfHeal === null ? "off" : `off, ${repairs}`;
  return `${heal.systemd ? "active" : "not active (no systemd)"}, ${repairs}`;
}

function describe(part: CheckedPart | null): string {
  if (part === null) return "not probed";
  return part.inSync ? "in sync" : `drifted: ${part.differs.join(", ")}`;
}

function table(outcome: CheckOutcome): string {
  const rows: string[][] = [["HOST", "INSTANCE", "MODE", ...PARTS.map((p) => p.toUpperCase()), "SELF-HEAL"]];
  for (const host of outcome.hosts) {
    if (!host.reachable) {
      rows.push([host.name, "-", "-", `unreachable: ${host.error ?? "unknown"}`]);
      continue;
    }
    if (host.instances.length === 0) rows.push([host.name, "-", "-", "no snaps"]);
    for (const { instance, mode, parts, selfHeal } of host.instances) {
      rows.push([host.name, instance, mode, ...PARTS.map((p) => describe(parts[p])), describeSelfHeal(selfHeal)]);
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.filter((r) => r.length > column + 1).map((r) => r[column].length)));
  const lines = rows.map((row) => row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]) : cell)).join("  "));
  const verdict = outcome.inSync ? "every part of every host is in sync" : "drift found, or a host could not be checked";
  return `${lines.join("\n")}\n\n${verdict}\n`;
}
