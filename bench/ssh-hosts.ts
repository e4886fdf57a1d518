/**
 * SSH test hosts for the benchmark: the test suite's TestHost (a private mount namespace
 * with a copy-on-write root, its own /dev/shm and /run) with Debian's sshd on a loopback
 * port, configured like TestHost.startSshd but logging at VERBOSE to a pipe, so every TCP
 * connection (`Connection from`) and every session (`Starting session:`) the host receives
 * is counted on the server side, whatever client made it (OpenSSH for snap-shm, Ansible's
 * multiplexed OpenSSH).
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { freePort, TestHost } from "../tests/support/test-host";
import { fixtureSnaps } from "./fleet-spec";

export interface SshCounts {
  /** TCP connections accepted (each an SSH handshake). */
  connections: number;
  /** Sessions started (commands, sftp): several can share one connection. */
  sessions: number;
}

/** Hosts started and not stopped yet (stopped on SIGINT by main). */
export const liveHosts = new Set<BenchHost>();

export class BenchHost {
  private readonly lines: string[] = [];
  private sshd: ChildProcess | undefined;
  port = 0;
  hostKey = "";

  private constructor(
    readonly name: string,
    readonly host: TestHost,
  ) {}

  /** A test host with the bench's fixture snaps and a counting sshd for `publicKey` (root). */
  static async start(name: string, publicKey: string): Promise<BenchHost> {
    const host = await TestHost.start();
    const bench = new BenchHost(name, host);
    liveHosts.add(bench);
    try {
      for (const snap of fixtureSnaps()) host.addSnap(snap);
      host.stockRootDotfiles();
      await bench.startSshd(publicKey);
    } catch (error) {
      await bench.stop();
      throw error;
    }
    return bench;
  }

  private async startSshd(publicKey: string): Promise<void> {
    const host = this.host;
    host.must("[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key");
    host.writeFile("/root/.ssh/authorized_keys", `${publicKey}\n`, "0600");
    host.must("chmod 700 /root/.ssh");
    this.hostKey = host.must("cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub").trim();
    // Other test runs on this machine pick free ports too: a port taken between the pick
    // and the bind makes sshd exit, and another port is tried.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      host.writeFile(
        "/etc/ssh/sshd_test_config",
        [
          `Port ${port}`,
          "ListenAddress 127.0.0.1",
          "HostKey /etc/ssh/ssh_host_ed25519_key",
          "PermitRootLogin prohibit-password",
          "PubkeyAuthentication yes",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "PidFile /run/sshd-test.pid",
          "AuthorizedKeysFile .ssh/authorized_keys",
          // As Debian ships it: Ansible copies modules with sftp when it does not pipeline.
          "Subsystem sftp /usr/lib/openssh/sftp-server",
          "MaxStartups 200",
          "MaxSessions 100",
          "LogLevel VERBOSE",
          "",
        ].join("\n"),
      );
      const sshd = spawn("nsenter", ["-t", String(host.pid), "-m", "-r", "-w", "--", "/usr/sbin/sshd", "-D", "-e", "-f", "/etc/ssh/sshd_test_config"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      this.sshd = sshd;
      let partial = "";
      sshd.stderr!.on("data", (chunk: Buffer) => {
        const text = partial + chunk.toString();
        const parts = text.split("\n");
        partial = parts.pop() ?? "";
        this.lines.push(...parts);
      });
      // Ours is listening when it says so; a banner alone could be another run's sshd.
      const listening = await waitFor(() => this.lines.some((l) => l.includes(`Server listening on 127.0.0.1 port ${port}`)) || sshd.exitCode !== null || sshd.signalCode !== null);
      if (listening && sshd.exitCode === null && sshd.signalCode === null) {
        this.port = port;
        await waitForSsh(port);
        return;
      }
      if (sshd.exitCode === null && sshd.signalCode === null) sshd.kill("SIGKILL");
      if (attempt >= 5) throw new Error(`sshd did not start on a free port: ${this.lines.slice(-3).join(" | ")}`);
    }
  }

  /** What the host's sshd has counted so far. */
  counts(): SshCounts {
    let connections = 0;
    let sessions = 0;
    for (const line of this.lines) {
      if (line.includes("Connection from ")) connections++;
      else if (line.includes("Starting session:")) sessions++;
    }
    return { connections, sessions };
  }

  /** CPU time (ms) used so far by the host's sshd and the connections and sessions it has reaped. */
  serverCpuMs(): number {
    const pid = this.sshd?.pid;
    if (pid === undefined) return Number.NaN;
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    // utime, stime, cutime, cstime (fields 14-17), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
  }

  /** The sshd log lines (for failures). */
  log(): string[] {
    return [...this.lines];
  }

  async stop(): Promise<void> {
    const sshd = this.sshd;
    if (sshd && sshd.exitCode === null && sshd.signalCode === null) {
      const exited = new Promise((resolve) => sshd.once("exit", resolve));
      sshd.kill("SIGKILL");
      await exited;
    }
    // TestHost.stop ends every process left in the host's namespace (sshd's sessions too).
    await this.host.stop();
    liveHosts.delete(this);
  }
}

/** The difference between two counts. */
export function countsSince(before: SshCounts, after: SshCounts): SshCounts {
  return { connections: after.connections - before.connections, sessions: after.sessions - before.sessions };
}

/** Starts `count` hosts named `<prefix><i>`, a few at a time. */
export async function startHosts(prefix: string, count: number, publicKey: string): Promise<BenchHost[]> {
  const hosts: BenchHost[] = [];
  try {
    for (let i = 0; i < count; i += 4) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(4, count - i) }, (_, j) => BenchHost.start(`${prefix}${i + j + 1}`, publicKey)),
      );
      hosts.push(...batch);
    }
  } catch (error) {
    await stopHosts(hosts);
    throw error;
  }
  return hosts;
}

export async function stopHosts(hosts: BenchHost[]): Promise<void> {
  await Promise.all(hosts.map((h) => h.stop()));
}

/** Polls `done` every 10 ms for up to 10 s. */
async function waitFor(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 1000; i++) {
    if (done()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return done();
}

/** Waits until sshd answers with its banner (not only until the port is open). */
async function waitForSsh(port: number): Promise<void> {
  const { connect } = await import("node:net");
  for (let attempt = 0; attempt < 400; attempt++) {
    const ready = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once("data", (data: Buffer) => done(data.toString().startsWith("SSH-")));
      socket.once("error", () => done(false));
      socket.setTimeout(2000, () => done(false));
    });
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`sshd on 127.0.0.1:${port} did not answer`);
}
