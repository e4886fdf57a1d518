/**
 * OpenSSH client command lines for a host, from the same connection settings the resources
 * give @pulumi/command: address, port, user, pinned host key, dial limits, bastion. Secrets
 * never enter a command line: a key is reached through an agent socket or a key file path,
 * a password through an askpass program.
 */
import { createHash } from "node:crypto";
import { shellQuote } from "./host-command";

export interface SshTarget {
  host: string;
  /** Default 22. */
  port?: number;
  /** Default root, as @pulumi/command. */
  user?: string;
  /** A known_hosts file holding the pinned key; without one the host key is not checked (as @pulumi/command without hostKey). */
  knownHostsFile?: string;
  /** A private key file. */
  identityFile?: string;
  /** An ssh-agent socket holding the key. */
  identityAgent?: string;
  /**
   * The askpass program that prints this hop's password (its path, never the password):
   * password login, with `SSH_ASKPASS` set for this hop's ssh alone.
   */
  askpass?: string;
  /** Connection attempts (@pulumi/command's dialErrorLimit; -1 means no limit). Default 10. */
  dialErrorLimit?: number;
  /** Seconds per attempt (@pulumi/command's perDialTimeout). Default 15. */
  perDialTimeout?: number;
  /** The key exchanges to offer, in order (see key-exchange.ts); OpenSSH's defaults when absent. */
  kexAlgorithms?: string[];
  /**
   * The command line of the TCP relay to connect through (`perl …/tcp-relay.pl`, see
   * src/local/tcp-relay.pl); without it, or through a bastion, ssh connects itself.
   */
  relay?: string[];
  /**
   * A file the relay writes why it could not reach the host to, as well as to standard error:
   * ssh sends a ProxyCommand's standard error to /dev/null when its connection is to stay open
   * in the background (`controlPath`), so the probe reads the cause from here. On a bastion,
   * its ssh's standard error goes here too: the outer ssh's own last words, after it, would
   * only say that the connection closed.
   */
  relayReport?: string;
  /** A bastion to go through. */
  proxy?: SshTarget;
  /**
   * Where the host's shared connection's socket is (see `sharedSocketName`): this ssh uses
   * the connection open there, or opens it and keeps it open in the background for the
   * parts after it.
   */
  controlPath?: string;
}

/** Seconds a shared connection stays open after its last session ends. */
export const SHARED_CONNECTION_PERSIST_SECONDS = 60;

/** The known_hosts line pinning `hostKey` for a host and port. */
export function knownHostsLine(host: string, port: number | undefined, hostKey: string): string {
  const name = (port ?? 22) === 22 ? host : `[${host}]:${port}`;
  return `${name} ${hostKey.trim()}`;
}

/** ssh's connection attempts for @pulumi/command's `dialErrorLimit` (-1: no limit). */
export function dialAttempts(dialErrorLimit: number | undefined): number {
  return Math.max(1, dialErrorLimit === -1 ? 1000 : (dialErrorLimit ?? 10));
}

/**
 * A value OpenSSH expands `%` tokens in (ProxyCommand, paths), taken literally: `%` doubled.
 * A bastion's options are inside the outer ProxyCommand, so they are expanded twice.
 */
function literal(value: string): string {
  return value.replaceAll("%", "%%");
}

/** The options of one hop, without the destination. */
function hopOptions(target: SshTarget): string[] {
  const port = target.port ?? 22;
  const perDialTimeout = target.perDialTimeout ?? 15;
  const attempts = dialAttempts(target.dialErrorLimit);
  const options = ["-F", "/dev/null", "-o", "LogLevel=ERROR"];
  if (target.controlPath) {
    options.push("-o", "ControlMaster=auto", "-o", `ControlPath=${literal(target.controlPath)}`, "-o", `ControlPersist=${SHARED_CONNECTION_PERSIST_SECONDS}`);
  }
  if (target.relay && !target.proxy) {
    // ssh's ConnectTimeout and ConnectionAttempts do not apply through a ProxyCommand: the relay does both.
    const relay = [...target.relay, target.host, String(port), String(perDialTimeout), String(attempts), ...(target.relayReport ? [target.relayReport] : [])];
    options.push("-o", `ProxyCommand=${literal(relay.map(shellQuote).join(" "))}`);
  } else {
    options.push("-o", `ConnectTimeout=${perDialTimeout}`, "-o", `ConnectionAttempts=${attempts}`);
  }
  options.push("-o", "ServerAliveInterval=15", "-p", String(port), "-l", target.user ?? "root");
  options.push(
    ...(target.knownHostsFile
      ? ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${literal(target.knownHostsFile)}`, "-o", "GlobalKnownHostsFile=/dev/null"]
      : ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null"]),
  );
  if (target.kexAlgorithms?.length) options.push("-o", `KexAlgorithms=${target.kexAlgorithms.join(",")}`);
  if (target.identityFile) options.push("-o", "IdentitiesOnly=yes", "-i", literal(target.identityFile));
  if (target.identityAgent) options.push("-o", `IdentityAgent=${literal(target.identityAgent)}`);
  // As the command provider's client: a password through password or keyboard-interactive
  // login (PAM servers ask for it the second way).
  if (target.askpass) options.push("-o", "BatchMode=no", "-o", "PreferredAuthentications=password,keyboard-interactive,publickey", "-o", "NumberOfPasswordPrompts=1");
  else options.push("-o", "BatchMode=yes");
  if (target.proxy) {
    // `[%h]:%p` is the one part the outer ssh expands: the host and port to reach through the
    // bastion, bracketed so that an IPv6 address parses. The bastion's ssh gets its own askpass.
    const bastion = [...askpassEnvironment(target.proxy), "ssh", ...hopOptions(target.proxy)];
    const jump = [...bastion.map((word) => literal(shellQuote(word))), shellQuote("-W"), shellQuote("[%h]:%p"), literal(shellQuote(target.proxy.host))];
    if (target.proxy.relayReport) jump.push(`2>>${literal(shellQuote(target.proxy.relayReport))}`);
    options.push("-o", `ProxyCommand=${jump.join(" ")}`);
  }
  return options;
}

/**
 * The words that start one hop's ssh with the environment its password needs (its askpass
 * program, used even without a terminal): `env NAME=value...`, to go before `ssh`. None
 * without a password.
 */
export function askpassEnvironment(target: SshTarget): string[] {
  if (!target.askpass) return [];
  return ["env", `SSH_ASKPASS=${target.askpass}`, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"];
}

/** `ssh` arguments that run `remoteCommand` (one word, as @pulumi/command sends it) on the target. */
export function sshArguments(target: SshTarget, remoteCommand: string): string[] {
  return [...hopOptions(target), "-T", "--", target.host, remoteCommand];
}

/** The same as one shell command line. */
export function sshCommandLine(target: SshTarget, remoteCommand: string): string {
  return ["ssh", ...sshArguments(target, remoteCommand)].map(shellQuote).join(" ");
}

/** One hop of a part's operation over the host's shared connection: the host or its bastion. */
export interface SharedSshHop {
  host: string;
  /** Default 22. */
  port?: number;
  /** Default root. */
  user?: string;
  /** Default 15. */
  perDialTimeout?: number;
  /** Default 10. */
  dialErrorLimit?: number;
}

/** What a part's operation needs to reach its host over the host's shared connection. */
export interface SharedSshTarget extends SharedSshHop {
  /** The bastion the connection goes through. */
  proxy?: SharedSshHop;
}

/**
 * The name of a host's shared connection's socket in the sockets' folder: a hash of the
 * user, host and port, and of the bastion's when there is one (a host name can be too long
 * for a socket's path; one private address can be two hosts behind two bastions), the same
 * for the probe that opens the connection and the parts that use it. Given to the parts'
 * script, which can then look for the socket without starting a process.
 */
export function sharedSocketName(host: string, port: number, user: string, bastion?: SharedSshHop): string {
  const via = bastion ? ` via ${bastion.user ?? "root"}@${bastion.host}:${bastion.port ?? 22}` : "";
  return `cm-${createHash("sha256").update(`${user}@${host}:${port}${via}`).digest("hex").slice(0, 24)}`;
}

/** The environment variable that carries src/local/shared-ssh.sh to a part's local command. */
export const SHARED_SSH_VARIABLE = "SNAP_SHM_SHARED_SSH";

/** The end of the here-document that hands a part's operation to src/local/shared-ssh.sh. */
export const SHARED_OPERATION_END = "SNAP_SHM_OPERATION";

/**
 * The local command line of a part's operation with `connectionSharing`: src/local/shared-ssh.sh,
 * from the command's environment, running `remoteCommand` on the host. The operation follows
 * as a here-document on descriptor 3, word for word as the host receives it, so a preview
 * shows its lines as it shows a `remote.Command`'s. The same from run to run for the same
 * settings: no path of a run, no secret.
 */
export function sharedSshCommandLine(target: SharedSshTarget, remoteCommand: string): string {
  const [host, port, user] = [target.host, target.port ?? 22, target.user ?? "root"];
  const hop = (h: SharedSshHop) => [h.host, String(h.port ?? 22), h.user ?? "root", String(h.perDialTimeout ?? 15), String(dialAttempts(h.dialErrorLimit))];
  const words = [...hop(target), sharedSocketName(host, port, user, target.proxy), ...(target.proxy ? hop(target.proxy) : [])];
  if (remoteCommand.split("\n").includes(SHARED_OPERATION_END)) {
    throw new Error(`an operation cannot hold the line ${SHARED_OPERATION_END}, which ends its here-document`);
  }
  // The provider's own shell runs the script: no second shell to start for each operation.
  // A quoted here-document that fits a pipe is written by the shell itself, without a process.
  return `set -- ${words.map(shellQuote).join(" ")}; eval "$${SHARED_SSH_VARIABLE}" 3<<'${SHARED_OPERATION_END}'\n${remoteCommand}\n${SHARED_OPERATION_END}`;
}
