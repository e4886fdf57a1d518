/**
 * src/local/shared-ssh.sh on its own, against a real sshd, run by the command line a part
 * registers: the operation's input, output and exit status pass through, both when it opens
 * the connection and when it finds it open; the operation reaches the host word for word; the
 * host key is checked; a key with a passphrase is loaded, a wrong passphrase refused at once;
 * nothing of the credentials is left behind; a socket folder open to others is refused.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { knownHostsLine, SHARED_SSH_VARIABLE, SharedSshHop, sharedSocketName, sharedSshCommandLine } from "../../src/render/ssh-command";
import { closeSharedConnections } from "../../src/resources/shared-connection";
import { ownHomeFolder } from "../support/own-home";
import { makeKeyPair } from "../support/ssh-keys";
import { TestHost } from "../support/test-host";
import { leaveDeadSocket } from "../support/dead-socket";

const SCRIPT = join(__dirname, "..", "..", "src", "local", "shared-ssh.sh");

describe("shared-ssh.sh against a real sshd", function () {
  this.timeout(120_000);
  const key = makeKeyPair();
  const locked = makeKeyPair("a passphrase");
  let host: TestHost;
  let port: number;
  let hostKey: string;
  const home = ownHomeFolder();

  before(async () => {
    host = await TestHost.start();
    const ssh = await host.startSshd(`${key.publicKey}\n${locked.publicKey}`);
    port = ssh.port;
    hostKey = ssh.hostKey;
  });
  after(async () => host?.stop());
  beforeEach(() => closeSharedConnections());

  /** Runs `line` as the command provider runs a local command: `/bin/sh -c`, the script in the environment. */
  function runLine(line: string, environment: Record<string, string>, input = "") {
    return spawnSync("/bin/sh", ["-c", line], {
      input,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: home(), [SHARED_SSH_VARIABLE]: readFileSync(SCRIPT, "utf8"), ...environment },
      timeout: 60_000,
    });
  }

  function run(remoteCommand: string, environment: Record<string, string>, input = "", proxy?: SharedSshHop) {
    const started = Date.now();
    const result = runLine(sharedSshCommandLine({ host: "127.0.0.1", port, perDialTimeout: 5, dialErrorLimit: 1, proxy }, remoteCommand), environment, input);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
  }
  const pinned = () => knownHostsLine("127.0.0.1", port, hostKey);
  const leftovers = () => readdirSync(join(home(), ".snap-shm")).filter((name) => name.startsWith("run."));

  it("passes shellcheck", () => {
    const result = spawnSync("shellcheck", ["--shell=sh", SCRIPT], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout);
  });

  it("opens the connection, passes input, output and exit status through, and leaves it open for the next", async () => {
    const first = run("cat; exit 3", { SNAP_SHM_PRIVATE_KEY: key.privateKey, SNAP_SHM_KNOWN_HOST: pinned() }, "the part's script\n");
    assert.deepEqual([first.status, first.stdout, first.stderr], [3, "the part's script\n", ""]);
    assert.deepEqual(leftovers(), [], "its private folder is gone");
    assert.equal(spawnSync("pgrep", ["-f", join(home(), ".snap-shm", "run.")]).status, 1, "its ssh-agent is gone");
    // No credentials this time: only the open connection can serve it.
    const second = run("cat; exit 4", {}, "again\n");
    assert.deepEqual([second.status, second.stdout, second.stderr], [4, "again\n", ""]);
  });

  it("clears a socket whose connection died unclosed, and connects no other way: that run fails saying so, the next opens a new connection", () => {
    const socket = join(home(), ".snap-shm", sharedSocketName("127.0.0.1", port, "root"));
    mkdirSync(join(home(), ".snap-shm"), { recursive: true, mode: 0o700 });
    leaveDeadSocket(socket);
    const credentials = { SNAP_SHM_PRIVATE_KEY: key.privateKey, SNAP_SHM_KNOWN_HOST: pinned() };
    const failed = run("echo in", credentials);
    assert.equal(failed.status, 255);
    assert.equal(failed.stdout, "");
    // ssh's own line after it only says that its ProxyCommand went.
    assert.match(
      failed.stderr,
      /^snap-shm: the shared SSH connection to the host had ended without closing its socket \(a killed ssh, a reboot\): the socket is removed, this operation did not run, and the next run opens a new connection\n/,
    );
    assert.equal(existsSync(socket), false, "the dead socket is gone");
    const next = run("echo in", credentials);
    assert.deepEqual([next.status, next.stdout], [0, "in\n"]);
  });

  describe("through a bastion", () => {
    let bastion: TestHost;
    let jump: { port: number; hostKey: string };
    const hop = () => ({ host: "127.0.0.1", port: jump.port, user: "hop", perDialTimeout: 5, dialErrorLimit: 1 });
    const pinnedBastion = () => knownHostsLine("127.0.0.1", jump.port, jump.hostKey);

    before(async () => {
      bastion = await TestHost.start();
      jump = await bastion.startSshd(makeKeyPair().publicKey);
      // The bastion's own key, locked with a passphrase, and a password.
      bastion.addUser("hop", locked.publicKey, "none", "bastion-password-1");
    });
    after(async () => bastion?.stop());

    it("opens the connection through the bastion with the bastion's own password, pinned key and dial limits, and leaves it open for the next", () => {
      const first = run(
        "cat; exit 3",
        { SNAP_SHM_PRIVATE_KEY: key.privateKey, SNAP_SHM_KNOWN_HOST: pinned(), SNAP_SHM_PROXY_PASSWORD: "bastion-password-1", SNAP_SHM_PROXY_KNOWN_HOST: pinnedBastion() },
        "the part's script\n",
        hop(),
      );
      assert.deepEqual([first.status, first.stdout, first.stderr], [3, "the part's script\n", ""]);
      assert.deepEqual(leftovers(), [], "its private folder is gone");
      const socket = join(home(), ".snap-shm", sharedSocketName("127.0.0.1", port, "root", hop()));
      assert.ok(existsSync(socket), "the connection is open, its socket named after the bastion too");
      assert.ok(!existsSync(join(home(), ".snap-shm", sharedSocketName("127.0.0.1", port, "root"))), "not as the host's direct connection");
      const second = run("cat; exit 4", {}, "again\n", hop());
      assert.deepEqual([second.status, second.stdout, second.stderr], [4, "again\n", ""]);
    });

    it("loads the bastion's key with its passphrase into the same agent as the host's", () => {
      const result = run(
        "echo in",
        {
          SNAP_SHM_PRIVATE_KEY: key.privateKey,
          SNAP_SHM_KNOWN_HOST: pinned(),
          SNAP_SHM_PROXY_PRIVATE_KEY: locked.privateKey,
          SNAP_SHM_PROXY_PRIVATE_KEY_PASSWORD: "a passphrase",
          SNAP_SHM_PROXY_KNOWN_HOST: pinnedBastion(),
        },
        "",
        hop(),
      );
      assert.deepEqual([result.status, result.stdout], [0, "in\n"], result.stderr);
      assert.deepEqual(leftovers(), []);
    });

    it("refuses a bastion whose key is not the pinned one, a wrong password and a wrong passphrase of the bastion's, naming it", () => {
      const other = makeKeyPair().publicKey.split(" ").slice(0, 2).join(" ");
      const credentials = { SNAP_SHM_PRIVATE_KEY: key.privateKey, SNAP_SHM_KNOWN_HOST: pinned(), SNAP_SHM_PROXY_PASSWORD: "bastion-password-1" };
      const wrongKey = run("echo in", { ...credentials, SNAP_SHM_PROXY_KNOWN_HOST: knownHostsLine("127.0.0.1", jump.port, other) }, "", hop());
      assert.deepEqual([wrongKey.status, wrongKey.stdout], [255, ""]);
      // The bastion's ssh's words, named after it, last: ssh's own before them only say that the connection closed.
      assert.match(wrongKey.stderr, /\nbastion 127\.0\.0\.1: Host key verification failed\.\r?\n$/, wrongKey.stderr);
      const wrongPassword = run("echo in", { ...credentials, SNAP_SHM_PROXY_PASSWORD: "not it", SNAP_SHM_PROXY_KNOWN_HOST: pinnedBastion() }, "", hop());
      assert.equal(wrongPassword.status, 255);
      assert.match(wrongPassword.stderr, /\nbastion 127\.0\.0\.1: hop@127\.0\.0\.1: Permission denied \(.*password.*\)\.\r?\n$/, wrongPassword.stderr);
      const wrongPassphrase = run("echo in", { ...credentials, SNAP_SHM_PROXY_PRIVATE_KEY: locked.privateKey, SNAP_SHM_PROXY_PRIVATE_KEY_PASSWORD: "not it" }, "", hop());
      assert.equal(wrongPassphrase.status, 255);
      assert.match(wrongPassphrase.stderr, /^snap-shm: ssh-add refused the bastion's private key: .*\(is proxy\.privateKeyPassword right\?\)$/m);
      assert.deepEqual(leftovers(), []);
    });
  });

  it("refuses a host whose key is not the pinned one", async () => {
    const other = makeKeyPair().publicKey.split(" ").slice(0, 2).join(" ");
    const result = run("true", { SNAP_SHM_PRIVATE_KEY: key.privateKey, SNAP_SHM_KNOWN_HOST: knownHostsLine("127.0.0.1", port, other) });
    assert.equal(result.status, 255);
    assert.match(result.stderr, /Host key verification failed/);
    assert.deepEqual(leftovers(), []);
  });

  it("loads a key with its passphrase, and refuses a wrong passphrase at once", async () => {
    const right = run("echo in", { SNAP_SHM_PRIVATE_KEY: locked.privateKey, SNAP_SHM_PRIVATE_KEY_PASSWORD: "a passphrase", SNAP_SHM_KNOWN_HOST: pinned() });
    assert.deepEqual([right.status, right.stdout], [0, "in\n"]);
    closeSharedConnections();
    const wrong = run("echo in", { SNAP_SHM_PRIVATE_KEY: locked.privateKey, SNAP_SHM_PRIVATE_KEY_PASSWORD: "not it", SNAP_SHM_KNOWN_HOST: pinned() });
    assert.equal(wrong.status, 255);
    assert.match(wrong.stderr, /^snap-shm: ssh-add refused the connection's private key: .*\(is privateKeyPassword right\?\)$/m);
    assert.ok(wrong.ms < 10_000, `refused in ${wrong.ms} ms`);
    assert.deepEqual(leftovers(), []);
  });

  it("hands the operation to the host word for word: quotes, backslashes, blank and indented lines", () => {
    const text = "it's \\ here\n\n  indented\n";
    const operation = `printf '%s' '${text.replaceAll("'", "'\\''")}'`;
    const result = run(operation, { SNAP_SHM_PRIVATE_KEY: key.privateKey, SNAP_SHM_KNOWN_HOST: pinned() });
    assert.deepEqual([result.status, result.stdout, result.stderr], [0, text, ""]);
  });

  it("gives up on a host that accepts and never answers after one connect timeout (perDialTimeout), where the provider's client would wait without end", async () => {
    // The kernel takes the connection for the listening socket; nothing ever answers it.
    const silent = createServer(() => undefined);
    const silentPort = await new Promise<number>((resolve) => silent.listen(0, "127.0.0.1", () => resolve((silent.address() as AddressInfo).port)));
    try {
      const started = Date.now();
      const line = sharedSshCommandLine({ host: "127.0.0.1", port: silentPort, perDialTimeout: 2, dialErrorLimit: 3 }, "true");
      const result = runLine(line, { SNAP_SHM_PRIVATE_KEY: key.privateKey, SNAP_SHM_KNOWN_HOST: knownHostsLine("127.0.0.1", silentPort, hostKey) });
      const ms = Date.now() - started;
      assert.equal(result.status, 255, result.stderr);
      assert.match(result.stderr, /Connection timed out during banner exchange/);
      assert.ok(ms >= 2_000 && ms < 6_000, `gave up after ${ms} ms: one attempt's timeout, not three`);
    } finally {
      silent.close();
    }
  });

  it("refuses a socket name it did not make, and a line with no operation", () => {
    const named = runLine(`set -- 127.0.0.1 ${port} root 5 1 'cm-../../x'; eval "$${SHARED_SSH_VARIABLE}" 3<<'E'\ntrue\nE`, {});
    assert.deepEqual([named.status, named.stderr], [255, 'snap-shm: invalid socket name "cm-../../x"\n']);
    const empty = runLine(`set -- 127.0.0.1 ${port} root 5 1 ${sharedSocketName("127.0.0.1", port, "root")}; eval "$${SHARED_SSH_VARIABLE}" 3</dev/null`, {});
    assert.deepEqual([empty.status, empty.stderr], [255, "snap-shm: no remote command on descriptor 3\n"]);
  });

  it("refuses a socket folder that others may open, and changes nothing", async () => {
    const folder = join(home(), ".snap-shm");
    chmodSync(folder, 0o755);
    try {
      const result = run("true", { SNAP_SHM_PRIVATE_KEY: key.privateKey });
      assert.equal(result.status, 255);
      assert.equal(result.stderr, `snap-shm: ${folder} is open to other users: it must be mode 0700\n`);
    } finally {
      chmodSync(folder, 0o700);
    }
  });
});
