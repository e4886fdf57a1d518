/**
 * The drift probe's OpenSSH command line: the TCP relay on the hop that connects itself, the
 * dial limits where each applies, `%` taken literally where OpenSSH expands it, each hop's
 * password helper, and what a failed probe reports.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { AddressInfo, createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostReach, parseHostProbe, probeShellCommand } from "../../src/render/host-probe";
import { SHARED_OPERATION_END, sharedSshCommandLine, sshArguments } from "../../src/render/ssh-command";
import { TCP_RELAY } from "../../src/resources/probe-relay";
import { runLocal } from "../support/engine-stand-in";

const RELAY = ["perl", "/opt/snap-shm/src/local/tcp-relay.pl"];

/** The value of every `-o NAME=value` option named `name`. */
function option(args: string[], name: string): string[] {
  return args.filter((arg, i) => args[i - 1] === "-o" && arg.startsWith(`${name}=`)).map((arg) => arg.slice(name.length + 1));
}

describe("the probe's ssh command line", () => {
  it("connects through the relay, which gets the host, port and dial limits ssh would have used", () => {
    const args = sshArguments({ host: "10.0.0.5", port: 2222, relay: RELAY, perDialTimeout: 7, dialErrorLimit: 3 }, "true");
    assert.deepEqual(option(args, "ProxyCommand"), ["'perl' '/opt/snap-shm/src/local/tcp-relay.pl' '10.0.0.5' '2222' '7' '3'"]);
    assert.deepEqual(option(args, "ConnectTimeout"), [], "ssh's own limits do not apply through a ProxyCommand");
    assert.deepEqual(option(args, "ConnectionAttempts"), []);
    assert.deepEqual(args.slice(-4), ["-T", "--", "10.0.0.5", "true"], "the host's name still picks the pinned key");
    const defaults = sshArguments({ host: "10.0.0.5", relay: RELAY }, "true");
    assert.deepEqual(option(defaults, "ProxyCommand"), ["'perl' '/opt/snap-shm/src/local/tcp-relay.pl' '10.0.0.5' '22' '15' '10'"], "the provider's defaults");
    const unlimited = sshArguments({ host: "10.0.0.5", relay: RELAY, dialErrorLimit: -1 }, "true");
    assert.ok(option(unlimited, "ProxyCommand")[0].endsWith(" '15' '1000'"), "no limit, as ssh was given it");
  });

  it("without the relay, leaves the dial limits to ssh", () => {
    const args = sshArguments({ host: "10.0.0.5", perDialTimeout: 7, dialErrorLimit: 3 }, "true");
    assert.deepEqual(option(args, "ProxyCommand"), []);
    assert.deepEqual(option(args, "ConnectTimeout"), ["7"]);
    assert.deepEqual(option(args, "ConnectionAttempts"), ["3"]);
  });

  it("through a bastion, relays the bastion's connection and lets the bastion reach the host", () => {
    const args = sshArguments({ host: "10.0.0.5", relay: RELAY, proxy: { host: "10.0.0.1", relay: RELAY, perDialTimeout: 4, dialErrorLimit: 2 } }, "true");
    const [jump] = option(args, "ProxyCommand");
    assert.ok(jump.startsWith("'ssh' "), jump);
    assert.ok(jump.endsWith(" '-W' '[%h]:%p' '10.0.0.1'"), jump);
    assert.ok(jump.includes(`'-o' 'ProxyCommand='\\''perl'\\'' '\\''/opt/snap-shm/src/local/tcp-relay.pl'\\'' '\\''10.0.0.1'\\'' '\\''22'\\'' '\\''4'\\'' '\\''2'\\'''`), jump);
    assert.deepEqual(option(args, "ConnectTimeout"), ["15"], "the host's hop is the bastion's channel: ssh's own limits");
  });

  it("takes `%` literally in the paths and commands OpenSSH expands, twice over inside a bastion's", () => {
    const target = { host: "10.0.0.5", knownHostsFile: "/tmp/a%d/known_hosts", identityAgent: "/tmp/a%d/agent.sock", identityFile: "/tmp/a%d/key", relay: ["perl", "/opt/50%/tcp-relay.pl"] };
    const args = sshArguments(target, "true");
    assert.deepEqual(option(args, "UserKnownHostsFile"), ["/tmp/a%%d/known_hosts"]);
    assert.deepEqual(option(args, "IdentityAgent"), ["/tmp/a%%d/agent.sock"]);
    assert.equal(args[args.indexOf("-i") + 1], "/tmp/a%%d/key");
    assert.ok(option(args, "ProxyCommand")[0].startsWith("'perl' '/opt/50%%/tcp-relay.pl'"));
    const [jump] = option(sshArguments({ host: "10.0.0.9", proxy: target }, "true"), "ProxyCommand");
    assert.ok(jump.includes("'UserKnownHostsFile=/tmp/a%%%%d/known_hosts'"), jump);
    assert.ok(jump.includes("/opt/50%%%%/tcp-relay.pl"), jump);
    assert.ok(jump.includes("'[%h]:%p'"), "the host and port the outer ssh fills in");
  });
});

describe("a part's command line over a shared connection", () => {
  it("hands the operation over in a here-document, word for word, and refuses one that would end it early", () => {
    const operation = "sh -s -- 'mount' 'apply' \\\n  'instance=it'\\''s'";
    const line = sharedSshCommandLine({ host: "10.0.0.5", user: "ops" }, operation);
    assert.equal(line.split("\n").slice(1).join("\n"), `${operation}\n${SHARED_OPERATION_END}`);
    assert.throws(() => sharedSshCommandLine({ host: "10.0.0.5" }, `true\n${SHARED_OPERATION_END}\nrm -rf /`), /cannot hold the line SNAP_SHM_OPERATION/);
  });
});

describe("passwords", () => {
  it("log in by password or keyboard-interactive, as the provider's client does, and only then leave batch mode", () => {
    const args = sshArguments({ host: "10.0.0.5", askpass: "/tmp/p/askpass-1" }, "true");
    assert.deepEqual(option(args, "PreferredAuthentications"), ["password,keyboard-interactive,publickey"]);
    assert.deepEqual(option(args, "BatchMode"), ["no"]);
    assert.deepEqual(option(sshArguments({ host: "10.0.0.5" }, "true"), "BatchMode"), ["yes"]);
  });

  it("give a bastion's ssh its own askpass helper, and the host's ssh the host's", () => {
    const target = { host: "10.0.0.5", askpass: "/tmp/p/askpass-host", proxy: { host: "10.0.0.1", askpass: "/tmp/p/askpass-bastion" } };
    const [jump] = option(sshArguments(target, "true"), "ProxyCommand");
    assert.ok(jump.startsWith("'env' 'SSH_ASKPASS=/tmp/p/askpass-bastion' 'SSH_ASKPASS_REQUIRE=force' 'DISPLAY=:0' 'ssh' "), jump);
    const command = probeShellCommand(target, [], false);
    assert.ok(command.startsWith("'env' 'SSH_ASKPASS=/tmp/p/askpass-host' 'SSH_ASKPASS_REQUIRE=force' 'DISPLAY=:0' 'ssh' "), command);
    assert.equal(command.split("askpass-bastion").length, 2, "the bastion's helper only in its ProxyCommand");
  });
});

describe("a bastion", () => {
  it("reaches an IPv6 host: the address OpenSSH fills in is bracketed", () => {
    const [jump] = option(sshArguments({ host: "fd00::5", proxy: { host: "10.0.0.1" } }, "true"), "ProxyCommand");
    assert.ok(jump.includes("'-W' '[%h]:%p'"), jump);
    const expanded = spawnSync("ssh", ["-G", "-F", "/dev/null", "-W", "[fd00::5]:22", "x"], { encoding: "utf8" });
    assert.equal(expanded.status, 0, `OpenSSH takes the bracketed form: ${expanded.stderr}`);
  });
});

describe("a failed probe", () => {
  const failed = (stderr: string) => parseHostProbe('{"snapShm":1,"part":"host","action":"probe","instance":"","ok":false,"found":{},"changed":[],"notes":[],"error":"ssh to 10.0.0.5 failed with exit status 255"}\n', stderr);

  it("gives the relay's reason over ssh's line after it", () => {
    const report = failed("tcp-relay: connect to 10.0.0.5 port 22: Connection refused\nkex_exchange_identification: Connection closed by remote host\n");
    assert.equal(report.error, "ssh to 10.0.0.5 failed with exit status 255: tcp-relay: connect to 10.0.0.5 port 22: Connection refused");
    assert.equal(hostReach(report), "unreachable");
    assert.equal(failed("ssh: connect to host 10.0.0.5 port 22: Connection refused\n").error, "ssh to 10.0.0.5 failed with exit status 255: ssh: connect to host 10.0.0.5 port 22: Connection refused");
  });

  for (const silentOne of ["the host", "its bastion"]) {
    it(`through the relay of a connection to persist, still names a silent sshd (${silentOne}): ssh sends the relay's standard error to /dev/null, the report file keeps it`, async function () {
      this.timeout(20_000);
      const folder = mkdtempSync(join(tmpdir(), "snap-shm-probe-report-"));
      // Accepts and says nothing, as a hung sshd.
      const held: Socket[] = [];
      const silent = createServer({ allowHalfOpen: true }, (socket) => void held.push(socket));
      try {
        const port = await new Promise<number>((resolve) => silent.listen(0, "127.0.0.1", () => resolve((silent.address() as AddressInfo).port)));
        const relayReport = join(folder, "relay-1");
        const silentHop = { host: "127.0.0.1", port, perDialTimeout: 1, dialErrorLimit: 1, relay: ["perl", TCP_RELAY] };
        const probe = async (extra: object) => {
          // The bastion's own relay; the host behind it reached with -W, never at all here.
          const target = silentOne === "the host" ? { ...silentHop, ...extra } : { host: "10.0.0.5", proxy: { ...silentHop, ...extra } };
          // Run as the provider runs the probe's command, without blocking this process (whose server must go on).
          const run = await runLocal(probeShellCommand({ ...target, controlPath: join(folder, "cm") }, [], false), "");
          return parseHostProbe(run.stdout, run.stderr);
        };
        const reported = await probe({ relayReport });
        const [host, hop] = silentOne === "the host" ? ["127\\.0\\.0\\.1", ""] : ["10\\.0\\.0\\.5", "bastion 127\\.0\\.0\\.1: "];
        assert.match(reported.error!, new RegExp(`^ssh to ${host} failed with exit status 255: ${hop}tcp-relay: no answer from 127\\.0\\.0\\.1 port \\d+ within 1 s$`));
        assert.equal(hostReach(reported), "silent");
        assert.equal(existsSync(relayReport), false, "the report is removed once read");
        // Without the report, ssh's own words say only that the relay went.
        const unreported = await probe({});
        assert.equal(hostReach(unreported), "unreachable", unreported.error);
      } finally {
        for (const socket of held) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }

  it("knows a silent sshd by ssh's words or the relay's", () => {
    assert.equal(hostReach(failed("Connection timed out during banner exchange\n")), "silent");
    assert.equal(hostReach(failed("tcp-relay: no answer from 10.0.0.5 port 22 within 15 s\nkex_exchange_identification: Connection closed by remote host\n")), "silent");
    assert.equal(hostReach(failed("tcp-relay: no connection to 10.0.0.5 port 22 within 15 s\nkex_exchange_identification: Connection closed by remote host\n")), "unreachable");
  });
});
