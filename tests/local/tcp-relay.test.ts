/**
 * The drift probe's TCP relay (src/local/tcp-relay.pl) on its own, against TCP servers of this
 * process on the loopback: what it relays, how it retries and gives up, and the socket options
 * it exists for (seen with strace).
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, Server, Socket } from "node:net";
import { TCP_RELAY } from "../../src/resources/probe-relay";
import { freePort } from "../support/test-host";

interface RelayRun {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** Runs the relay (optionally under `wrapper`, e.g. strace), `input` on its standard input. */
function relay(args: string[], input: Buffer = Buffer.alloc(0), wrapper: string[] = []): Promise<RelayRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const [program, ...rest] = [...wrapper, "perl", TCP_RELAY, ...args];
    const child = spawn(program, rest, { stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(stdout), stderr, ms: Date.now() - started }));
    child.stdin.end(input);
  });
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A server that sends a greeting, then everything it receives back, and once the client
 * has sent its end, `after` and its own end: as an SSH server answers and then closes.
 */
/**
 * A server that says a banner, echoes what it is sent and says `after` at the end. With
 * `paceMs`, the echo and the last words each come that much later, so that each reaches the
 * client in a read of its own however fast the client sends.
 */
function echoServer(after: string, paceMs = 0): Server {
  const later = (then: () => void, ms: number) => (paceMs > 0 ? setTimeout(then, ms) : then());
  // Half open: the client's end of sending does not end the server's side before its last words.
  return createServer({ allowHalfOpen: true }, (socket: Socket) => {
    socket.write("SSH-2.0-test\r\n");
    socket.on("data", (chunk) => later(() => socket.write(chunk), paceMs));
    socket.on("end", () => later(() => socket.end(after), 2 * paceMs));
  });
}

describe("the probe's TCP relay", function () {
  this.timeout(30_000);

  it("relays both ways byte for byte, passes the end of its input on, and ends with the server", async () => {
    const server = echoServer("bye");
    const port = await listen(server);
    try {
      const input = randomBytes(3 * 1024 * 1024);
      const run = await relay(["127.0.0.1", String(port), "5", "1"], input);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, "");
      assert.ok(run.stdout.equals(Buffer.concat([Buffer.from("SSH-2.0-test\r\n"), input, Buffer.from("bye")])), "every byte back, in order, then the server's last words");
    } finally {
      await close(server);
    }
  });

  it("tries ATTEMPTS rounds a second apart, then names the host, the port and the error", async () => {
    const port = await freePort();
    const run = await relay(["127.0.0.1", String(port), "5", "2"]);
    assert.equal(run.status, 255);
    assert.equal(run.stderr, `tcp-relay: connect to 127.0.0.1 port ${port}: Connection refused\n`);
    assert.ok(run.ms >= 1000 && run.ms < 5000, `two rounds a second apart: ${run.ms} ms`);
  });

  it("connects in a later round when the server comes up in the meantime", async () => {
    const port = await freePort();
    const server = echoServer("");
    const running = relay(["127.0.0.1", String(port), "5", "5"], Buffer.from("hello"));
    await new Promise((resolve) => setTimeout(resolve, 400));
    await listen(server, port);
    try {
      const run = await running;
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.toString(), "SSH-2.0-test\r\nhello");
      assert.ok(run.ms >= 1000, `connected in the second round or later: ${run.ms} ms`);
    } finally {
      await close(server);
    }
  });

  it("gives up on a server that accepts and says nothing within TIMEOUT, as ssh on a hung sshd", async () => {
    const held: Socket[] = [];
    // Half-open allowed: the end of the relay's (empty) input leaves the connection up, as ssh's open pipe would.
    const server = createServer({ allowHalfOpen: true }, (socket) => void held.push(socket));
    const port = await listen(server);
    try {
      const run = await relay(["127.0.0.1", String(port), "1", "3"]);
      assert.equal(run.status, 255);
      assert.equal(run.stderr, `tcp-relay: no answer from 127.0.0.1 port ${port} within 1 s\n`);
      assert.ok(run.ms < 4000, `no further rounds once connected: ${run.ms} ms`);
    } finally {
      for (const socket of held) socket.destroy();
      await close(server);
    }
  });

  it("writes why it gave up to REPORT as well, for an ssh that sends its standard error to /dev/null, and nothing once the server has spoken", async () => {
    const folder = mkdtempSync(join(tmpdir(), "snap-shm-relay-report-"));
    const held: Socket[] = [];
    const silent = createServer({ allowHalfOpen: true }, (socket) => void held.push(socket));
    const speaking = echoServer("bye");
    try {
      const port = await listen(silent);
      const report = join(folder, "silent");
      const run = await relay(["127.0.0.1", String(port), "1", "1", report]);
      assert.equal(run.status, 255);
      assert.equal(run.stderr, `tcp-relay: no answer from 127.0.0.1 port ${port} within 1 s\n`);
      assert.equal(readFileSync(report, "utf8"), run.stderr);

      const closed = await freePort();
      const refused = await relay(["127.0.0.1", String(closed), "1", "1", join(folder, "refused")]);
      assert.equal(readFileSync(join(folder, "refused"), "utf8"), refused.stderr);
      assert.match(refused.stderr, /^tcp-relay: connect to 127\.0\.0\.1 port \d+: /);

      const spoken = await relay(["127.0.0.1", String(await listen(speaking)), "1", "1", join(folder, "spoken")], Buffer.from("hello"));
      assert.equal(spoken.status, 0, spoken.stderr);
      assert.equal(existsSync(join(folder, "spoken")), false, "no report of a connection that worked");
    } finally {
      for (const socket of held) socket.destroy();
      await close(silent);
      await close(speaking);
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("gives up on a connection that is not taken within TIMEOUT", async () => {
    // A listener that never accepts, its queue full: the kernel drops further SYNs, so connect hangs.
    const listener = spawn("perl", ["-MSocket", "-e", `socket(S, PF_INET, SOCK_STREAM, 0) or die; bind(S, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die; listen(S, 0) or die; $| = 1; print((unpack_sockaddr_in(getsockname(S)))[0], "\\n"); sleep 60;`], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = Number(await new Promise<string>((resolve) => listener.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString()))));
      const fillers = Array.from({ length: 3 }, () => new Socket().connect(port, "127.0.0.1").on("error", () => undefined));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const run = await relay(["127.0.0.1", String(port), "1", "1"]);
      for (const filler of fillers) filler.destroy();
      assert.equal(run.status, 255);
      assert.equal(run.stderr, `tcp-relay: no connection to 127.0.0.1 port ${port} within 1 s\n`);
      assert.ok(run.ms >= 900 && run.ms < 4000, `${run.ms} ms`);
    } finally {
      listener.kill();
    }
  });

  it("names a host it cannot resolve, and refuses arguments that are not its own", async () => {
    const unresolved = await relay(["no-such-host.invalid", "22", "1", "1"]);
    assert.equal(unresolved.status, 255);
    assert.match(unresolved.stderr, /^tcp-relay: cannot resolve no-such-host\.invalid: /);
    for (const args of [["127.0.0.1", "22", "0", "1"], ["127.0.0.1", "22", "5", "0"], ["127.0.0.1", "ssh", "5", "1"], ["127.0.0.1", "22", "5"]]) {
      const run = await relay(args);
      assert.equal(run.status, 255, args.join(" "));
      assert.equal(run.stderr, "tcp-relay: usage: tcp-relay.pl HOST PORT TIMEOUT ATTEMPTS [REPORT] (whole numbers, TIMEOUT and ATTEMPTS at least 1)\n");
    }
    const check = spawnSync("perl", [TCP_RELAY, "--check"], { encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout + check.stderr, "");
  });

  it("turns Nagle off from the start and acknowledges at once, re-armed after every read", async () => {
    // Paced: the banner, the echo and the last words in three reads (unpaced, all three can
    // arrive before the relay's first read, and be one).
    const server = echoServer("bye", 100);
    const port = await listen(server);
    const dir = mkdtempSync(join(tmpdir(), "snap-shm-relay-"));
    try {
      const trace = join(dir, "strace");
      const run = await relay(["127.0.0.1", String(port), "5", "1"], Buffer.from("ping"), ["strace", "-f", "-e", "trace=setsockopt", "-o", trace]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.toString(), "SSH-2.0-test\r\npingbye");
      const calls = readFileSync(trace, "utf8").split("\n").filter((line) => /setsockopt\(\d+, SOL_TCP/.test(line));
      assert.ok(/TCP_NODELAY, \[1\]/.test(calls[0] ?? ""), `TCP_NODELAY first: ${calls.join(" | ")}`);
      const quickAcks = calls.filter((line) => /TCP_QUICKACK, \[1\]/.test(line));
      assert.ok(quickAcks.length >= 3, `TCP_QUICKACK at the start and after each of the server's reads: ${calls.join(" | ")}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await close(server);
    }
  });
});
