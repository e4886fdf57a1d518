/**
 * What the drift probe's OpenSSH client authenticates with, kept out of every command line,
 * input, output, log and state: a private key goes into an ssh-agent this program starts
 * (memory only), a password into a 0600 file read by an askpass helper, in a 0700 folder of
 * this process. Both go when the program exits, or is ended by SIGINT, SIGTERM or SIGHUP.
 * The folder also holds the probe's files that are no secret: pinned host keys, the relay's
 * reports and the host's script.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let privateDir: string | undefined;
const agents = new Map<string, { process: ChildProcess; socket: string; ready: Promise<void> }>();
const askpassHelpers = new Map<string, string>();

let exitHandlerAdded = false;

/** The signals that end a cancelled run (Ctrl-C, `kill`, a closed terminal) without 'exit'. */
const ENDING_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Stops the agents and removes the folder at once: what the last moments of a process allow. */
function cleanUpNow(): void {
  for (const agent of agents.values()) agent.process.kill();
  if (privateDir !== undefined) rmSync(privateDir, { recursive: true, force: true });
}

/**
 * A signal that would end the process ends it without 'exit', and would leave the password
 * files on disk and the agents running with the key. Where no one else listens for the
 * signal, this cleans up and raises it again with its default action, so the process ends
 * as it would have. Where the program (or the SDK) listens, the signal is theirs to handle:
 * a process they end with `process.exit` cleans up at 'exit', one they keep running keeps
 * its credentials.
 */
function onEndingSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  cleanUpNow();
  process.off(signal, onEndingSignal);
  process.kill(process.pid, signal);
}

function ownFolder(): string {
  if (privateDir === undefined) {
    privateDir = mkdtempSync(join(tmpdir(), "snap-shm-probe-"));
    // Once per process, however many runs (Automation API) start and stop credentials.
    if (!exitHandlerAdded) {
      exitHandlerAdded = true;
      process.once("exit", cleanUpNow);
      for (const signal of ENDING_SIGNALS) process.on(signal, onEndingSignal);
    }
  }
  return privateDir;
}

/** A key for this process's maps; never written anywhere. */
function digest(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex");
}

/**
 * A name for a file of this process's folder. Random, not derived from a secret: the paths
 * go on command lines, which anyone on the machine can read, and a hash of a password there
 * could be guessed back offline.
 */
function freshId(): string {
  return randomBytes(8).toString("hex");
}

/** An askpass helper that prints `secret`: its path (not secret) goes on the command line. */
export function askpassHelper(secret: string): string {
  const key = digest("askpass", secret);
  let helper = askpassHelpers.get(key);
  if (helper === undefined) {
    const id = freshId();
    const file = join(ownFolder(), `secret-${id}`);
    writeFileSync(file, secret, { mode: 0o600 });
    helper = join(ownFolder(), `askpass-${id}`);
    writeFileSync(helper, `#!/bin/sh\nexec cat '${file}'\n`, { mode: 0o700 });
    askpassHelpers.set(key, helper);
  }
  return helper;
}

/**
 * An askpass helper that prints `secret` once and fails when asked again: ssh-add asks
 * again after a wrong passphrase for as long as its helper answers, so a helper that always
 * answers the same wrong passphrase would hold the program without end.
 */
function askOnceHelper(secret: string): { helper: string; remove(): void } {
  const id = freshId();
  const file = join(ownFolder(), `secret-${id}`);
  const asked = join(ownFolder(), `asked-${id}`);
  const helper = join(ownFolder(), `ask-once-${id}`);
  writeFileSync(file, secret, { mode: 0o600 });
  writeFileSync(helper, `#!/bin/sh\nmkdir '${asked}' 2>/dev/null || exit 1\nexec cat '${file}'\n`, { mode: 0o700 });
  return { helper, remove: () => [file, asked, helper].forEach((path) => rmSync(path, { recursive: true, force: true })) };
}

/**
 * The socket of an ssh-agent holding `privateKey` (one agent per key, for the life of this
 * process). Every host's probe asks at once; all of them wait until the key is in the agent.
 */
export async function agentSocketFor(privateKey: string, passphrase?: string): Promise<string> {
  const id = digest("agent", privateKey, passphrase ?? "");
  let agent = agents.get(id);
  if (agent === undefined) {
    const socket = join(ownFolder(), `agent-${freshId()}.sock`);
    const child = spawn("ssh-agent", ["-D", "-a", socket], { stdio: ["ignore", "pipe", "ignore"] });
    agent = { process: child, socket, ready: loadKey(child, socket, privateKey, passphrase) };
    agents.set(id, agent);
    // A failed start is forgotten, so a later call tries again.
    agent.ready.catch(() => agents.delete(id));
  }
  await agent.ready;
  return agent.socket;
}

/** Waits for a starting agent and loads the key into it; stops the agent when either fails. */
async function loadKey(agent: ChildProcess, socket: string, privateKey: string, passphrase: string | undefined): Promise<void> {
  if (!(await agentListening(agent))) {
    await stopAgent(agent);
    throw new Error("snap-shm: cannot start ssh-agent for the drift probe");
  }
  const env: NodeJS.ProcessEnv = { ...process.env, SSH_AUTH_SOCK: socket };
  const ask = passphrase === undefined ? undefined : askOnceHelper(passphrase);
  if (ask !== undefined) Object.assign(env, { SSH_ASKPASS: ask.helper, SSH_ASKPASS_REQUIRE: "force", DISPLAY: ":0" });
  const input = privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`;
  const added = spawnSync("ssh-add", ["-q", "-"], { input, env, encoding: "utf8", timeout: SSH_ADD_TIMEOUT_MS });
  ask?.remove();
  if (added.status !== 0) {
    await stopAgent(agent);
    const said = added.error !== undefined ? `it did not finish within ${SSH_ADD_TIMEOUT_MS / 1000} s` : added.stderr.trim();
    throw new Error(`snap-shm: ssh-add refused the connection's private key: ${said}${ask !== undefined ? " (is privateKeyPassword right?)" : ""}`);
  }
}

/** ssh-add reads a key given on its input at once; longer means it waits for something. */
const SSH_ADD_TIMEOUT_MS = 30_000;

/**
 * Whether a starting `ssh-agent -D` came up: it prints its environment once its socket
 * listens. Until then the agent keeps the program alive; afterwards it never does.
 */
function agentListening(agent: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    const listening = () => done(true);
    const failed = () => done(false);
    // Settles once; the listeners go with it, so a later stop of the agent finds none of them.
    const done = (up: boolean) => {
      clearTimeout(timer);
      agent.stdout!.off("data", listening).destroy();
      agent.off("exit", failed).off("error", failed);
      agent.unref();
      resolve(up);
    };
    const timer = setTimeout(failed, 2_000);
    agent.stdout!.once("data", listening);
    agent.once("exit", failed);
    agent.once("error", failed);
  });
}

/**
 * Stops an agent and waits until it has gone. Agents are unref'ed so that they never keep a
 * program alive; while it is waited for, the agent is ref'ed again, or a caller with nothing
 * else pending would see its process end in the middle of the wait.
 */
function stopAgent(agent: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (agent.exitCode !== null || agent.signalCode !== null) return resolve();
    agent.ref();
    agent.once("exit", () => resolve());
    agent.kill();
  });
}

/** Stops the agents this process started and removes its folder (also done at exit). */
export async function stopProbeCredentials(): Promise<void> {
  const running = [...agents.values()];
  agents.clear();
  askpassHelpers.clear();
  await Promise.all(running.map((agent) => stopAgent(agent.process)));
  if (privateDir !== undefined) rmSync(privateDir, { recursive: true, force: true });
  privateDir = undefined;
}

/** A known_hosts file pinning one host key (not a secret), in this process's folder. */
export function knownHostsFile(line: string): string {
  const file = join(ownFolder(), `known_hosts-${digest(line).slice(0, 16)}`);
  if (!existsSync(file)) writeFileSync(file, `${line}\n`, { mode: 0o600 });
  return file;
}

/**
 * The drift probe's script in a file of this process's folder (not a secret), written once:
 * each probe's ssh reads it as its standard input.
 */
export function probeScriptFile(script: string): string {
  const file = join(ownFolder(), `host-script-${digest(script).slice(0, 16)}.sh`);
  if (!existsSync(file)) writeFileSync(file, script, { mode: 0o600 });
  return file;
}

/**
 * Where the probe's relay reports why it could not reach a host or its bastion (see
 * `SshTarget.relayReport`), and a bastion's ssh its own words, in this process's folder: one
 * file per host's connection (named as its shared socket, shared or not), so that probes
 * side by side keep apart.
 */
export function relayReportFile(connectionName: string): string {
  return join(ownFolder(), `relay-${digest(connectionName).slice(0, 16)}`);
}
