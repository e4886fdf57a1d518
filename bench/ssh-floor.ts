/**
 * What one SSH connection costs here, `true` run over it 20 times, timed, with the client's
 * CPU (this process's reaped children) and the server's (the host's sshd and what it reaped:
 * the connection's sshd processes and root's login shell). The clients:
 *
 * - OpenSSH, with the options the probe gives it (src/render/ssh-command.ts, key file, pinned
 *   host key) and its default key exchange: how Ansible connects;
 * - the same with the probe's key exchanges (src/render/key-exchange.ts), directly: how
 *   snap-shm's probe connects where Perl does not run;
 * - the same through the probe's TCP relay (src/local/tcp-relay.pl): how it connects here;
 * - the command provider's client (tests/support/provider-ssh): how every operation connects.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { knownHostsLine, sshArguments } from "../src/render/ssh-command";
import { probeKeyExchanges } from "../src/resources/probe-key-exchange";
import { probeRelay } from "../src/resources/probe-relay";
import { runProviderSsh } from "../tests/support/provider-ssh";
import type { SshFloor } from "./converge";
import type { BenchHost } from "./ssh-hosts";
import { summarize } from "./stats";

/** CPU (ms) of this process's children it has waited for. */
function childrenCpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** One ssh run, asynchronously: the event loop keeps reading the host's sshd log meanwhile (a blocked log pipe stalls sshd). */
function runSsh(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("ssh", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

export async function sshFloor(host: BenchHost, privateKey: string, connections: number, client: SshFloor["client"]): Promise<SshFloor> {
  const dir = mkdtempSync(join(tmpdir(), "snap-shm-bench-ssh-"));
  try {
    let connect: () => Promise<{ status: number | null; stderr: string }>;
    if (client !== "provider") {
      const knownHostsFile = join(dir, "known_hosts");
      const identityFile = join(dir, "key");
      writeFileSync(knownHostsFile, `${knownHostsLine("127.0.0.1", host.port, host.hostKey)}\n`);
      writeFileSync(identityFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
      const kexAlgorithms = client === "openssh" ? undefined : await probeKeyExchanges();
      const relay = client === "probe" ? await probeRelay() : undefined;
      if (client === "probe" && !relay) throw new Error("the probe's TCP relay does not run here (perl)");
      const args = sshArguments({ host: "127.0.0.1", port: host.port, user: "root", knownHostsFile, identityFile, dialErrorLimit: 2, kexAlgorithms, relay }, "true");
      connect = () => runSsh(args);
    } else {
      const connection = { host: "127.0.0.1", port: host.port, user: "root", privateKey, hostKey: host.hostKey, dialErrorLimit: 2 };
      connect = async () => {
        const run = await runProviderSsh(connection, "true", "");
        return { status: run.status, stderr: run.error ?? run.stderr };
      };
    }
    const samples: number[] = [];
    const client0 = childrenCpuMs();
    const server0 = host.serverCpuMs();
    for (let i = 0; i < connections; i++) {
      const started = process.hrtime.bigint();
      const run = await connect();
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (run.status !== 0) {
        throw new Error(`${client} to the test host (port ${host.port}) failed: status ${run.status}: ${run.stderr}; sshd said: ${host.log().slice(-3).join(" | ")}`);
      }
    }
    return {
      client,
      connections,
      wallMs: summarize(samples),
      clientCpuMs: (childrenCpuMs() - client0) / connections,
      serverCpuMs: (host.serverCpuMs() - server0) / connections,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
