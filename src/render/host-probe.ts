/**
 * The drift probe of a host as text: the local command that runs it over SSH (never
 * failing: a host it cannot reach gives a result that says so) and the parsing of its lines.
 */
import { OperationResult, parseOperationResult } from "./operation-result";
import { HostArguments, hostProbeCommandLine, shellQuote } from "./host-command";
import { sshCommandLine, SshTarget } from "./ssh-command";

export type ProbedPart = "directory" | "apparmor" | "mount";

/** One part's probe result, with the revision its last apply recorded on the host. */
export interface PartProbe extends OperationResult {
  revision: number;
}

export interface HostProbeReport {
  /** Whether the probe ran (the host was reached and the script finished). */
  ok: boolean;
  /** Why not, when it did not. */
  error?: string;
  /** Per snap instance, per part. */
  instances: Record<string, Partial<Record<ProbedPart, PartProbe>>>;
}

/** Parses the probe's output lines into a report. */
export function parseHostProbe(stdout: string | undefined, stderr = ""): HostProbeReport {
  // Each line is one part's result; the last is the whole run's.
  const report: HostProbeReport = { ok: false, instances: {} };
  for (const line of (stdout ?? "").split("\n").filter((l) => l.trim() !== "")) {
    const result = parseOperationResult(line);
    if (result.part === "host") {
      report.ok = result.ok;
      if (result.error !== undefined) report.error = result.error;
    } else if (result.part === "directory" || result.part === "apparmor" || result.part === "mount") {
      (report.instances[result.instance] ??= {})[result.part] = { ...result, revision: result.revision ?? 0 };
    } else if (!result.ok) {
      report.error = result.error;
    }
  }
  if (!report.ok && report.error === undefined) report.error = "the probe printed no result";
  const said = stderr.trim().split("\n").pop();
  if (!report.ok && said) report.error = `${report.error}: ${said}`;
  return report;
}

/**
 * A command printing a failed probe result (the probe never fails the program); `STATUS` in
 * the reason becomes the exit status of the command before it.
 */
function failedProbe(reason: string): string {
  const line = JSON.stringify({ snapShm: 1, part: "host", action: "probe", instance: "", ok: false, found: {}, changed: [], notes: [], error: reason });
  return `printf ${shellQuote(`${line.replace(/%/g, "%%").replace("STATUS", "%s")}\\n`)} "$?"`;
}

/**
 * The local shell command probing every instance on the host: `env` assignments (an askpass
 * helper, never a secret) before ssh, and a failed result line when ssh fails.
 */
export function probeShellCommand(target: SshTarget, env: string[], instances: HostArguments[], become: boolean): string {
  const ssh = sshCommandLine(target, hostProbeCommandLine(instances, become));
  return `${[...new Set(env), ssh].join(" ")} || ${failedProbe(`ssh to ${target.host} failed with exit status STATUS`)}`;
}

/** A command that only says why the probe could not run. */
export function probeNotRun(reason: string): string {
  return failedProbe(reason);
}
