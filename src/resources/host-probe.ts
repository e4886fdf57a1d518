/**
 * The drift probe of one host: every part of every snap instance, read in one SSH
 * connection through `local.runOutput` (which runs on every preview and update), with the
 * same connection settings as the parts. It never fails the program: an unreachable host
 * comes back as a result that says so.
 */
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { HostArguments, hostProbeCommandLine, hostScript, shellQuote } from "../render/host-command";
import { knownHostsLine, sshCommandLine, SshTarget } from "../render/ssh-command";
import { HostConnectionArgs } from "./connection";
import { OperationResult, parseOperationResult } from "./operation-result";
import { agentSocketFor, askpassHelper, knownHostsFile } from "./probe-credentials";

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

interface PlainConnection {
  host: string;
  port?: number;
  user?: string;
  password?: string;
  privateKey?: string;
  privateKeyPassword?: string;
  agentSocketPath?: string;
  hostKey?: string;
  dialErrorLimit?: number;
  perDialTimeout?: number;
  proxy?: PlainConnection;
}

/** The OpenSSH client's target for a connection, secrets moved to an agent or an askpass helper. */
async function probeTarget(connection: PlainConnection, env: string[]): Promise<SshTarget> {
  const target: SshTarget = {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    dialErrorLimit: connection.dialErrorLimit,
    perDialTimeout: connection.perDialTimeout,
  };
  if (connection.hostKey) target.knownHostsFile = knownHostsFile(knownHostsLine(connection.host, connection.port, connection.hostKey));
  if (connection.privateKey) target.identityAgent = await agentSocketFor(connection.privateKey, connection.privateKeyPassword);
  else if (connection.agentSocketPath) target.identityAgent = connection.agentSocketPath;
  if (connection.password !== undefined) {
    target.passwordAuth = true;
    env.push(`SSH_ASKPASS=${shellQuote(askpassHelper(connection.password))}`, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0");
  }
  if (connection.proxy) target.proxy = await probeTarget(connection.proxy, env);
  return target;
}

/**
 * A command printing a failed probe result (the probe never fails the program); `STATUS` in
 * the reason becomes the exit status of the command before it.
 */
function failedProbe(reason: string): string {
  const line = JSON.stringify({ snapShm: 1, part: "host", action: "probe", instance: "", ok: false, found: {}, changed: [], notes: [], error: reason });
  return `printf ${shellQuote(`${line.replace(/%/g, "%%").replace("STATUS", "%s")}\\n`)} "$?"`;
}

/** The local command that probes the host: ssh, or a result line saying why it could not. */
export async function probeCommand(connection: PlainConnection, instances: HostArguments[], become: boolean): Promise<string> {
  const env: string[] = [];
  let target: SshTarget;
  try {
    target = await probeTarget(connection, env);
  } catch (error) {
    return failedProbe((error as Error).message);
  }
  const ssh = sshCommandLine(target, hostProbeCommandLine(instances, become));
  return `${[...new Set(env), ssh].join(" ")} || ${failedProbe(`ssh to ${connection.host} failed with exit status STATUS`)}`;
}

/** Runs the probe on every preview and update; the key reaches ssh through an agent only. */
export function probeHost(connection: HostConnectionArgs, instances: HostArguments[], become: boolean, opts: pulumi.InvokeOutputOptions): pulumi.Output<HostProbeReport> {
  const command = pulumi
    .output(connection)
    .apply((plain) => probeCommand(plain as PlainConnection, instances, become));
  // The command names an agent socket and helper paths, never a secret; it is not marked secret
  // so a preview can show it, but the connection it came from was, hence unsecret.
  const run = local.runOutput({ command: pulumi.unsecret(command), stdin: hostScript("host"), logging: "none" }, opts);
  return pulumi.all([run.stdout, run.stderr]).apply(([stdout, stderr]) => parseHostProbe(stdout, stderr));
}
