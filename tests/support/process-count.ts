/**
 * Processes a host operation forks, counted with strace (Debian's `strace`) on a test host:
 * the benchmark's host-cost section reports them, and the process-budget test holds the
 * host operations to them.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestHost } from "./test-host";

/** What one run forked and executed (nsenter's own and the `sh -c` included: subtract a floor's). */
export interface ProcessCount {
  /** Processes created (fork, vfork, clone without CLONE_THREAD). */
  forks: number;
  /** Programs executed (execve). */
  execs: number;
  /** Programs executed, by name. */
  programs: Record<string, number>;
}

/** One traced run: processes forked and programs executed (nsenter's own included). */
export function countProcesses(host: TestHost, command: string, stdin: string): ProcessCount {
  const dir = mkdtempSync(join(tmpdir(), "snap-shm-strace-"));
  const file = join(dir, "trace");
  let text = "";
  try {
    const run = spawnSync(
      "strace",
      ["-f", "-qq", "-e", "trace=execve,fork,vfork,clone,clone3", "-e", "signal=none", "-o", file, "nsenter", "-t", String(host.pid), "-m", "-r", "-w", "--", "sh", "-c", command],
      { input: stdin, encoding: "utf8", maxBuffer: 64 * 2 ** 20 },
    );
    if (run.status !== 0) throw new Error(`strace run failed (${run.status}): ${run.stderr}`);
    text = readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let forks = 0;
  let execs = 0;
  const programs: Record<string, number> = {};
  const pendingExec = new Map<string, string>();
  const execDone = (path: string, result: string) => {
    if (/\) = -1 /.test(result)) return;
    execs++;
    const name = path.split("/").pop()!;
    programs[name] = (programs[name] ?? 0) + 1;
  };
  for (const line of text.split("\n")) {
    const pid = line.split(" ")[0];
    if (/\b(fork|vfork|clone3?)\(/.test(line) && !line.includes("resumed>") && !line.includes("CLONE_THREAD")) forks++;
    const exec = /\bexecve\("([^"]+)"/.exec(line);
    if (exec) {
      if (line.endsWith("<unfinished ...>")) pendingExec.set(pid, exec[1]);
      else execDone(exec[1], line);
    } else if (line.includes("<... execve resumed>") && pendingExec.has(pid)) {
      execDone(pendingExec.get(pid)!, line);
      pendingExec.delete(pid);
    }
  }
  return { forks, execs, programs };
}
