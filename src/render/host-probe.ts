/**
 * The drift probe of a host as text: the local command that runs it over SSH (never
 * failing: a host it cannot reach gives a result that says so) and the parsing of its lines.
 */
import { ModeFacts, OperationMode } from "../model/operation-mode";
import { HostReach } from "../model/rollout";
import { OperationResult, parseOperationResult } from "./operation-result";
import { HostArguments, hostProbeCommandLine, shellQuote } from "./host-command";
import { askpassEnvironment, sshCommandLine, SshTarget } from "./ssh-command";

/** The parts the drift probe compares. */
export type ProbedPart = "directory" | "apparmor" | "mount" | "self-heal";

/** What the probe found of an instance's self-heal. */
export interface SelfHealProbe {
  /** Whether self-heal is as the configuration wants it (installed and watching, or absent). */
  inSync: boolean;
  differs: string[];
  /** Whether systemd runs on the host (without it, self-heal is installed but never active). */
  systemd: boolean;
  /** When the heal last repaired something (ISO 8601, UTC); null when it never did. */
  lastSelfHeal: string | null;
  /** How many repairs the heal has made since it was installed. */
  repairs: number;
}

/** One part's probe result, with the revision its last apply recorded on the host. */
export interface PartProbe extends OperationResult {
  revision: number;
}

/** What the probe found for one snap instance. */
export interface InstanceProbe {
  /** The snap.yaml installed on the host (null when there is none). */
  snapYaml?: string | null;
  /** The host's snapd version (null when no snapd says). */
  snapdVersion?: string | null;
  /** Per operation mode the instance was compared in, per part. */
  parts: Partial<Record<OperationMode, Partial<Record<ProbedPart, PartProbe>>>>;
}

/** What the drift probe found on one host. */
export interface HostProbeReport {
  /** Whether the probe ran (the host was reached and the script finished). */
  ok: boolean;
  /** Why not, when it did not. */
  error?: string;
  /** Per snap instance. */
  instances: Record<string, InstanceProbe>;
}

/**
 * What the probe found of the host. A server that accepted the connection and sent nothing
 * is there and silent: OpenSSH's client gives up on it with "Connection timed out during
 * banner exchange", the probe's TCP relay (src/local/tcp-relay.pl) with "no answer from".
 */
export function hostReach(report: HostProbeReport): HostReach {
  if (report.ok) return "reached";
  return /timed out during banner exchange|tcp-relay: no answer from /.test(report.error ?? "") ? "silent" : "unreachable";
}

/** A part's probe in one mode, when the host was probed. */
export function probedPart(report: HostProbeReport, instance: string, mode: OperationMode, part: ProbedPart): PartProbe | undefined {
  return report.ok ? report.instances[instance]?.parts[mode]?.[part] : undefined;
}

/** An instance's self-heal as the probe found it in one mode; undefined when it was not probed. */
export function selfHealProbe(report: HostProbeReport, instance: string, mode: OperationMode): SelfHealProbe | undefined {
  const found = probedPart(report, instance, mode, "self-heal");
  if (found === undefined || !found.ok) return undefined;
  return {
    inSync: found.inSync === true,
    differs: found.differs ?? [],
    systemd: found.found.systemd === "running",
    lastSelfHeal: typeof found.found.lastSelfHeal === "string" ? found.found.lastSelfHeal : null,
    repairs: typeof found.found.repairs === "number" ? found.found.repairs : 0,
  };
}

/** What the mode choice needs from the probe; undefined when the host was not probed. */
export function modeFacts(report: HostProbeReport, instance: string): ModeFacts | undefined {
  if (!report.ok) return undefined;
  const found = report.instances[instance];
  return { snapYaml: found?.snapYaml ?? null, snapdVersion: found?.snapdVersion ?? null };
}

/** Parses the probe's output lines into a report. */
export function parseHostProbe(stdout: string | undefined, stderr = ""): HostProbeReport {
  // Each line is one part's result; the last is the whole run's.
  const report: HostProbeReport = { ok: false, instances: {} };
  for (const line of (stdout ?? "").split("\n").filter((l) => l.trim() !== "")) {
    const result = parseOperationResult(line);
    const instance = () => (report.instances[result.instance] ??= { parts: {} });
    if (result.part === "host") {
      report.ok = result.ok;
      if (result.error !== undefined) report.error = result.error;
    } else if (result.part === "snap" && result.ok) {
      instance().snapYaml = (result.found.snapYaml as string | null | undefined) ?? null;
      instance().snapdVersion = (result.found.snapdVersion as string | null | undefined) || null;
    } else if (result.part === "directory" || result.part === "apparmor" || result.part === "mount" || result.part === "self-heal") {
      const mode: OperationMode = result.mode === "native" ? "native" : "managed";
      (instance().parts[mode] ??= {})[result.part] = { ...result, revision: result.revision ?? 0 };
    } else if (!result.ok) {
      report.error = result.error;
    }
  }
  if (!report.ok && report.error === undefined) report.error = "the probe printed no result";
  // The TCP relay's line names the cause; ssh's after it only says that the relay went.
  const lines = stderr.trim().split(/\r?\n/);
  const said = lines.find((line) => /^(bastion \S+: )?tcp-relay: /.test(line)) ?? lines.pop();
  if (!report.ok && said) report.error = `${report.error}: ${said}`;
  return report;
}

/**
 * A command printing a failed probe result (the probe never fails the program); `STATUS` in
 * the reason becomes `status`, by default the exit status of the command before it.
 */
function failedProbe(reason: string, status = '"$?"'): string {
  const line = JSON.stringify({ snapShm: 1, part: "host", action: "probe", instance: "", ok: false, found: {}, changed: [], notes: [], error: reason });
  return `printf ${shellQuote(`${line.replace(/%/g, "%%").replace("STATUS", "%s")}\\n`)} ${status}`;
}

/**
 * The local shell command probing every instance on the host: the target's askpass helper
 * (a path, never a secret) in ssh's environment, and a failed result line when ssh fails,
 * after the report of why (see `SshTarget.relayReport`) where it has one: the relay's, and a
 * bastion's ssh's, each of the bastion's lines named after it. The host's script
 * (`hostScript("host")`) goes to ssh's standard input: read from `scriptFile` where given,
 * else the caller pipes it.
 */
export function probeShellCommand(target: SshTarget, instances: HostArguments[], become: boolean, scriptFile?: string): string {
  const run = [...askpassEnvironment(target).map(shellQuote), sshCommandLine(target, hostProbeCommandLine(instances, become))].join(" ");
  const ssh = scriptFile === undefined ? run : `${run} < ${shellQuote(scriptFile)}`;
  const bastion = target.proxy?.relayReport !== undefined ? target.proxy : undefined;
  const reportFile = bastion?.relayReport ?? target.relayReport;
  const failed = failedProbe(`ssh to ${target.host} failed with exit status STATUS`, reportFile ? '"$status"' : undefined);
  if (!reportFile) return `${ssh} || ${failed}`;
  const report = shellQuote(reportFile);
  const said = bastion
    ? `while IFS= read -r line || [ -n "$line" ]; do printf '%s: %s\n' ${shellQuote(`bastion ${bastion.host}`)} "$line"; done < ${report} >&2 2>/dev/null`
    : `cat -- ${report} >&2 2>/dev/null`;
  return `${ssh} || { status=$?; ${said}; rm -f -- ${report}; ${failed}; }`;
}

/** A command that only says why the probe could not run. */
export function probeNotRun(reason: string): string {
  return failedProbe(reason);
}
