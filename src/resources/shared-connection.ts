/**
 * One SSH connection per host for all its parts (`connectionSharing`): the folder that holds
 * the connections' sockets, and the environment of each part's `local.Command`: the script
 * it runs (src/local/shared-ssh.sh says how it works) and the credentials.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { scriptAsSent } from "../render/host-command";
import { knownHostsLine, SHARED_SSH_VARIABLE, sharedSocketName } from "../render/ssh-command";
import { HostConnectionArgs } from "./connection";

/** The script, shipped with the package. */
const SHARED_SSH = join(__dirname, "..", "..", "src", "local", "shared-ssh.sh");

/** The folder under the home folder that holds the sockets. */
const FOLDER = ".snap-shm";

let sharedSshText: string | undefined;

/**
 * This user's private folder for the shared connections (`~/.snap-shm`, mode 0700), made if
 * it is not there. A socket in it lets whoever can open it run commands on the host, so a
 * folder that is not this user's own, or is open to others, is refused, never changed.
 */
export function sharedConnectionFolder(): string {
  const folder = join(homedir(), FOLDER);
  if (folder.includes("%")) throw new Error(`snap-shm: cannot keep connection sockets in ${folder}: its path holds a %, which ssh would expand`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const found = lstatSync(folder);
  if (!found.isDirectory() || (process.getuid !== undefined && found.uid !== process.getuid())) {
    throw new Error(`snap-shm: ${folder} is not a folder of this user's own; the shared SSH connections' sockets cannot be kept there`);
  }
  if ((found.mode & 0o077) !== 0) {
    throw new Error(`snap-shm: ${folder} is open to other users (mode ${(found.mode & 0o777).toString(8)}); make it 0700 for the shared SSH connections' sockets`);
  }
  return folder;
}

/** The longest path a Unix socket may have, its closing NUL left out: 108 bytes on Linux, 104 on macOS and the BSDs. */
const SOCKET_PATH_MAX = process.platform === "linux" ? 107 : 103;

/** What ssh adds to a ControlPath while it makes the socket, before renaming it: a dot and 16 random characters. */
const SSH_SOCKET_SUFFIX = 17;

/**
 * Why the shared connections' sockets cannot be made on this machine, or undefined: with a
 * long home folder, their paths would not fit in a Unix socket's address, and ssh would fail
 * after logging in, on every host.
 */
export function sharedSocketPathProblem(): string | undefined {
  const socket = join(homedir(), FOLDER, sharedSocketName("host", 22, "root"));
  const longest = Buffer.byteLength(socket) + SSH_SOCKET_SUFFIX;
  if (longest <= SOCKET_PATH_MAX) return undefined;
  return (
    `the shared connections' sockets would be paths such as ${socket}, ${longest} bytes with the ${SSH_SOCKET_SUFFIX} ssh adds while it makes one, ` +
    `over the ${SOCKET_PATH_MAX} a Unix socket's path may have: run Pulumi with a shorter HOME, or leave connectionSharing off`
  );
}

/** The path of the socket named `socketName` (see `sharedSocketName`), for ssh's ControlPath. */
export function sharedControlPath(socketName: string): string {
  return join(sharedConnectionFolder(), socketName);
}

/**
 * The part command's environment, a secret (stored encrypted, shown as `[secret]`): the
 * script itself, which the command line runs from it (so a command stored in the state runs
 * on any machine, with the script it was written with: a host's removal from a fresh CI
 * runner, after an upgrade), the credentials it needs where no shared connection is open,
 * and the host key's line; the bastion's too, for a host behind one.
 */
export function sharedSshEnvironment(connection: HostConnectionArgs): pulumi.Output<Record<string, string>> {
  // Every part of a host is given the same connection: one environment serves them all.
  let environment = environments.get(connection);
  if (environment === undefined) {
    environment = pulumi.secret(environmentOf(connection));
    environments.set(connection, environment);
  }
  return environment;
}

const environments = new WeakMap<HostConnectionArgs, pulumi.Output<Record<string, string>>>();

function environmentOf(connection: HostConnectionArgs): pulumi.Output<Record<string, string>> {
  return pulumi.output(connection).apply((c) => {
    const values: Record<string, string | undefined> = {
      [SHARED_SSH_VARIABLE]: (sharedSshText ??= scriptAsSent(readFileSync(SHARED_SSH, "utf8"))),
      SNAP_SHM_PRIVATE_KEY: c.privateKey,
      SNAP_SHM_PRIVATE_KEY_PASSWORD: c.privateKeyPassword,
      SNAP_SHM_PASSWORD: c.password,
      SNAP_SHM_AGENT_SOCKET: c.agentSocketPath,
      SNAP_SHM_KNOWN_HOST: c.hostKey ? knownHostsLine(c.host, c.port, c.hostKey) : undefined,
      // The bastion's, for a connection that goes through one.
      SNAP_SHM_PROXY_PRIVATE_KEY: c.proxy?.privateKey,
      SNAP_SHM_PROXY_PRIVATE_KEY_PASSWORD: c.proxy?.privateKeyPassword,
      SNAP_SHM_PROXY_PASSWORD: c.proxy?.password,
      SNAP_SHM_PROXY_AGENT_SOCKET: c.proxy?.agentSocketPath,
      SNAP_SHM_PROXY_KNOWN_HOST: c.proxy?.hostKey ? knownHostsLine(c.proxy.host, c.proxy.port, c.proxy.hostKey) : undefined,
    };
    return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== ""));
  });
}

/**
 * Ends every shared connection this user has open (`ssh -O exit` on each socket of the
 * folder): for a program or test that wants none left after its run, where they would
 * otherwise close themselves 60 s after their last use.
 */
export function closeSharedConnections(): void {
  const folder = join(homedir(), FOLDER);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.startsWith("cm-"))) {
    // The path is given whole: no token left for ssh to expand, so the destination is a placeholder.
    spawnSync("ssh", ["-F", "/dev/null", "-o", `ControlPath=${join(folder, name).replaceAll("%", "%%")}`, "-O", "exit", "snap-shm"], { stdio: "ignore", timeout: 10_000 });
  }
}
