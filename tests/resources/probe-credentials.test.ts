/**
 * The drift probe's credentials in a program of their own: stopping them is awaited to the
 * end even when nothing else keeps the program alive (its ssh-agents are unref'ed), and
 * nothing of them is left behind.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeKeyPair } from "../support/ssh-keys";

const CREDENTIALS = join(__dirname, "../../src/resources/probe-credentials");

/** Runs `body` in a fresh node (ts-node) with the credentials module as `c`; its stdout lines. */
function inOwnProgram(body: string, input: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; lines: string[]; stderr: string } {
  const program = `
    const c = require(${JSON.stringify(CREDENTIALS)});
    const input = require("node:fs").readFileSync(0, "utf8");
    (async () => { ${body} })().catch((e) => { console.log("error: " + e.message); });`;
  const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", program], { input, env, encoding: "utf8", timeout: 30_000 });
  return { status: run.status, lines: run.stdout.split("\n").filter((l) => l !== ""), stderr: run.stderr };
}

/**
 * Starts a fresh node (ts-node) that starts credentials (an agent with `key`, an askpass
 * helper) and runs `then`, waits until it prints its folder, sends `signal` and waits for
 * its end; the folder, how it ended, and what it printed.
 */
async function signalled(signal: NodeJS.Signals, key: string, then = ""): Promise<{ folder: string; code: number | null; signal: string | null; lines: string[]; stderr: string }> {
  const program = `
    const c = require(${JSON.stringify(CREDENTIALS)});
    (async () => {
      const socket = await c.agentSocketFor(${JSON.stringify(key)});
      c.askpassHelper("a password");
      ${then}
      console.log(require("node:path").dirname(socket));
      setInterval(() => {}, 1000);
    })();`;
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", program], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (data) => (stderr += data));
  const ended = new Promise<[number | null, string | null]>((resolve) => child.on("exit", (code, sig) => resolve([code, sig])));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no folder printed: ${stderr}`)), 30_000);
    child.stdout.on("data", (data) => {
      stdout += data;
      if (!stdout.includes("\n")) return;
      clearTimeout(timer);
      resolve();
    });
  });
  const folder = stdout.split("\n")[0];
  try {
    assert.ok(existsSync(folder), "the credentials are there before the signal");
    assert.notDeepEqual(agentsOf(folder), [], "its agent runs before the signal");
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const [code, sig] = await ended;
    clearTimeout(timer);
    return { folder, code, signal: sig, lines: stdout.split("\n").filter((l) => l !== ""), stderr };
  } catch (error) {
    child.kill("SIGKILL");
    removeLeftovers(folder);
    throw error;
  }
}

/** The live ssh-agent processes whose socket is in `folder`: "PID STAT ARGS" lines. */
function agentsOf(folder: string): string[] {
  const ps = spawnSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" });
  return ps.stdout.split("\n").filter((line) => line.includes("ssh-agent") && line.includes(folder) && line.trim().split(/\s+/)[1] !== "Z");
}

/** What a failed run left: its agents (killed by their pid) and its folder. */
function removeLeftovers(folder: string): void {
  for (const line of agentsOf(folder)) process.kill(Number(line.trim().split(/\s+/)[0]));
  rmSync(folder, { recursive: true, force: true });
}

/** Waits up to `ms` for `check` to hold: a killed agent takes a moment to go. */
async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50))) if (check()) return true;
  return check();
}

describe("probe credentials", function () {
  this.timeout(60_000);

  it("stopProbeCredentials finishes in a program with nothing else pending, and its agent is gone", () => {
    const key = makeKeyPair();
    const run = inOwnProgram(
      `const socket = await c.agentSocketFor(input);
       console.log("socket " + socket);
       await c.stopProbeCredentials();
       console.log("stopped");`,
      key.privateKey,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.lines.slice(1), ["stopped"], "the code after the await ran");
    const socket = run.lines[0].replace(/^socket /, "");
    assert.equal(existsSync(socket), false, "the agent's socket and folder are gone");
  });

  it("runs after runs in one process (Automation API) add one exit handler, and the last run's agent still goes at exit", () => {
    const key = makeKeyPair();
    const run = inOwnProgram(
      `const before = process.listenerCount("exit");
       let socket = "";
       for (let i = 0; i < 12; i++) {
         socket = await c.agentSocketFor(input);
         if (i < 11) await c.stopProbeCredentials();
       }
       console.log("added " + (process.listenerCount("exit") - before));
       console.log("socket " + socket);`,
      key.privateKey,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.lines[0], "added 1");
    assert.doesNotMatch(run.stderr, /MaxListenersExceededWarning/);
    assert.equal(existsSync(run.lines[1].replace(/^socket /, "")), false, "the exit handler removed the last run's folder");
  });

  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    it(`a program ended by ${signal} (a cancelled run) leaves no password file and no agent, and still ends by the signal`, async () => {
      const run = await signalled(signal, makeKeyPair().privateKey);
      try {
        assert.deepEqual([run.code, run.signal], [null, signal], run.stderr);
        assert.equal(existsSync(run.folder), false, "the folder with the askpass secret is gone");
        assert.ok(await eventually(() => agentsOf(run.folder).length === 0), `agents left: ${agentsOf(run.folder).join("; ")}`);
      } finally {
        removeLeftovers(run.folder);
      }
    });
  }

  it("a program that handles the signal itself keeps its credentials and decides when to end; exit then cleans up", async () => {
    const run = await signalled(
      "SIGTERM",
      makeKeyPair().privateKey,
      `process.on("SIGTERM", () => {
         console.log("handled, folder there: " + require("node:fs").existsSync(require("node:path").dirname(socket)));
         setTimeout(() => process.exit(3), 200);
       });`,
    );
    try {
      assert.deepEqual([run.code, run.signal], [3, null], run.stderr);
      assert.deepEqual(run.lines.slice(1), ["handled, folder there: true"]);
      assert.equal(existsSync(run.folder), false);
      assert.ok(await eventually(() => agentsOf(run.folder).length === 0), `agents left: ${agentsOf(run.folder).join("; ")}`);
    } finally {
      removeLeftovers(run.folder);
    }
  });

  it("every probe that asks at once gets the socket only once the key is in the agent", () => {
    const key = makeKeyPair();
    // Each caller lists the agent's keys the moment its socket comes back, as its probe's ssh would use it.
    const run = inOwnProgram(
      `const { spawnSync } = require("node:child_process");
       const keysAt = (socket) => spawnSync("ssh-add", ["-l"], { env: { ...process.env, SSH_AUTH_SOCK: socket }, encoding: "utf8" }).status;
       const statuses = await Promise.all([1, 2, 3].map(() => c.agentSocketFor(input).then(keysAt)));
       console.log(statuses.join(" "));
       await c.stopProbeCredentials();`,
      key.privateKey,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.lines, ["0 0 0"], "ssh-add -l finds the key for every caller");
  });

  it("an ssh-agent that exits before it listens is an error, and a later call starts another", () => {
    const key = makeKeyPair();
    const bin = mkdtempSync(join(tmpdir(), "snap-shm-agent-"));
    try {
      // The first start finds an ssh-agent that fails at once; then the real one is found again.
      writeFileSync(join(bin, "ssh-agent"), `#!/bin/sh\nrm -f "$0"\necho "ssh-agent: cannot bind" >&2\nexit 1\n`, { mode: 0o755 });
      const run = inOwnProgram(
        `await c.agentSocketFor(input).then(() => console.log("started"), (e) => console.log("error: " + e.message));
         await c.agentSocketFor(input).then(() => console.log("started"), (e) => console.log("error: " + e.message));
         await c.stopProbeCredentials();`,
        key.privateKey,
        { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      );
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.lines, ["error: snap-shm: cannot start ssh-agent for the drift probe", "started"]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("loads a key with its passphrase, and refuses a wrong passphrase at once instead of asking for ever", () => {
    const dir = mkdtempSync(join(tmpdir(), "snap-shm-passphrase-"));
    try {
      spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "right one", "-f", join(dir, "key")]);
      const key = readFileSync(join(dir, "key"), "utf8");
      const load = (passphrase: string) =>
        inOwnProgram(
          `const started = Date.now();
           await c.agentSocketFor(input, ${JSON.stringify(passphrase)}).then(() => console.log("loaded"), (e) => console.log("error: " + e.message));
           console.log(Date.now() - started < 10000 ? "in time" : "too slow");
           await c.stopProbeCredentials();`,
          key,
        );
      assert.deepEqual(load("right one").lines, ["loaded", "in time"]);
      const wrong = load("wrong one");
      assert.equal(wrong.status, 0, `the program ended by itself: ${wrong.stderr}`);
      assert.match(wrong.lines[0], /^error: snap-shm: ssh-add refused the connection's private key: .*\(is privateKeyPassword right\?\)$/);
      assert.equal(wrong.lines[1], "in time");
      assert.ok(!wrong.lines.join("\n").includes("wrong one"), "the passphrase is not in the message");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a password's helper files at random: nothing derived from the password reaches a command line", () => {
    const password = "hunter2";
    const helperOf = () => inOwnProgram(`console.log(c.askpassHelper(input)); await c.stopProbeCredentials();`, password).lines[0];
    const [first, second] = [helperOf(), helperOf()];
    assert.notEqual(first, second, "another process, another name");
    for (const helper of [first, second]) {
      const hash = createHash("sha256").update(`askpass\0${password}`).digest("hex");
      assert.ok(!helper.includes(hash.slice(0, 8)), helper);
      assert.ok(!helper.includes(password), helper);
    }
  });

  it("a key ssh-agent refuses is an error the program gets to see, not a silent exit", () => {
    const run = inOwnProgram(`await c.agentSocketFor(input); console.log("accepted");`, "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.lines.length, 1, run.lines.join("\n"));
    assert.match(run.lines[0], /^error: snap-shm: ssh-add refused the connection's private key/);
  });
});
