/**
 * The drift probe of one host: every part of every snap instance, read in one SSH
 * connection through `local.runOutput` (which runs on every preview and update), with the
 * same connection settings as the parts. It never fails the program: an unreachable host
 * comes back as a result that says so.
 */
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { HostArguments, hostScript } from "../render/host-command";
import { HostProbeReport, parseHostProbe, probeNotRun, probeShellCommand } from "../render/host-probe";
import { sharedSocketName, SshTarget } from "../render/ssh-command";
import { HostConnectionArgs } from "./connection";
import { probeScriptFile, relayReportFile } from "./probe-credentials";
import { probeTarget } from "./probe-target";
import { sharedControlPath } from "./shared-connection";

export { HostProbeReport, InstanceProbe, PartProbe, ProbedPart, parseHostProbe } from "../render/host-probe";

/** A connection with its values known (secrets included: it stays in this process). */
export interface PlainConnection {
  /** The host name or address. */
  host: string;
  /** The SSH port (22). */
  port?: number;
  /** The SSH user (root). */
  user?: string;
  /** A password for password authentication, answered by an askpass helper. */
  password?: string;
  /** A private key, loaded into an ssh-agent of the program's own. */
  privateKey?: string;
  /** The private key's passphrase. */
  privateKeyPassword?: string;
  /** An SSH agent's socket, used when no key is given. */
  agentSocketPath?: string;
  /** The host's public key line, pinned in a known_hosts file. */
  hostKey?: string;
  /** Connection attempts before giving up. */
  dialErrorLimit?: number;
  /** Seconds per connection attempt. */
  perDialTimeout?: number;
  /** A bastion to go through. */
  proxy?: PlainConnection;
}

/** The local command that probes the host: ssh, or a result line saying why it could not. */
export async function probeCommand(connection: PlainConnection, instances: HostArguments[], become: boolean, connectionSharing = false): Promise<string> {
  let target: SshTarget;
  let script: string;
  try {
    target = await probeTarget(connection);
    script = probeScriptFile(hostScript("host"));
    const connectionName = sharedSocketName(target.host, target.port ?? 22, target.user ?? "root", target.proxy);
    // Only a shared connection has its socket in ~/.snap-shm (made, and checked, here).
    if (connectionSharing) target.controlPath = sharedControlPath(connectionName);
    // What would be lost goes to a report (see relayReport), named after the host's
    // connection: a bastion's ssh's words, which the outer ssh's last line would hide, and,
    // for a connection to be shared, the relay's.
    if (target.proxy) target.proxy.relayReport = relayReportFile(connectionName);
    else if (connectionSharing && target.relay) target.relayReport = relayReportFile(connectionName);
  } catch (error) {
    return probeNotRun((error as Error).message);
  }
  return probeShellCommand(target, instances, become, script);
}

/**
 * Runs the probe on every preview and update; the key reaches ssh through an agent only.
 * With `connectionSharing`, the probe's connection stays open for the host's parts. The
 * host's script (69 KB, the same for every host) is read by the command from a file of this
 * process, not given as the invoke's `stdin`: each invoke's request would carry it to the
 * engine and back, once per host and run.
 */
export function probeHost(
  connection: HostConnectionArgs,
  instances: HostArguments[],
  become: boolean,
  connectionSharing: boolean,
  opts: pulumi.InvokeOutputOptions,
): pulumi.Output<HostProbeReport> {
  const command = pulumi
    .output(connection)
    .apply((plain) => probeCommand(plain as PlainConnection, instances, become, connectionSharing));
  // The command names an agent socket and helper paths, never a secret; it is not marked secret
  // so a preview can show it, but the connection it came from was, hence unsecret.
  const run = local.runOutput({ command: pulumi.unsecret(command), logging: "none" }, opts);
  return run.apply((result) => parseHostProbe(result.stdout, result.stderr));
}
