/**
 * What one SSH connection costs here: `ssh ... true` with the options the stand-in gives
 * OpenSSH for an operation (src/render/ssh-command.ts, key file, pinned host key), timed,
 * with the client's CPU (this process's reaped children) and the server's (the host's sshd
 * and what it reaped: the connection's sshd processes and root's login shell).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { knownHostsLine, sshArguments } from "../src/render/ssh-command";
import type { SshFloor } from "./converge";
import type { BenchHost } from "./ssh-hosts";
import { summarize } from "./stats";

/** CPU (ms) of this process's children it has waited for. */
function childrenCpuMs(): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** One ssh run, asynchronously: the event loop keeps reading the host's sshd log meanwhile (a blocked log pipe stalls sshd). */
function runSsh(args: string[]): Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("ssh", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (status, signal) => resolve({ status, signal, stderr }));
  });
}

export async function sshFloor(host: BenchHost, privateKey: string, connections: number, kex?: string): Promise<SshFloor> {
  const dir = mkdtempSync(join(tmpdir(), "snap-shm-bench-ssh-"));
  try {
    const knownHostsFile = join(dir, "known_hosts");
    const identityFile = join(dir, "key");
    writeFileSync(knownHostsFile, `${knownHostsLine("127.0.0.1", host.port, host.hostKey)}\n`);
    writeFileSync(identityFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
    const args = sshArguments({ host: "127.0.0.1", port: host.port, user: "root", knownHostsFile, identityFile, dialErrorLimit: 2 }, "true");
    if (kex) args.unshift("-o", `KexAlgorithms=${kex}`);
    const samples: number[] = [];
    const client0 = childrenCpuMs();
    const server0 = host.serverCpuMs();
    for (let i = 0; i < connections; i++) {
      const started = process.hrtime.bigint();
      const run = await runSsh(args);
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (run.status !== 0) {
        throw new Error(`ssh to the test host (port ${host.port}) failed: status ${run.status}, signal ${run.signal}: ${run.stderr}; sshd said: ${host.log().slice(-3).join(" | ")}`);
      }
    }
    return {
      ...(kex ? { kex } : {}),
      connections,
      wallMs: summarize(samples),
      clientCpuMs: (childrenCpuMs() - client0) / connections,
      serverCpuMs: (host.serverCpuMs() - server0) / connections,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
