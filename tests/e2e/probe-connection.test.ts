/**
 * The drift probe's connection against a real sshd: through the TCP relay where Perl runs it,
 * directly where it does not, through a bastion with passwords of its own, and with a
 * temporary folder whose path OpenSSH would otherwise expand (`%d` is the user's home there).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desiredState } from "../../src/model/desired-state";
import { hostScript } from "../../src/render/host-command";
import { HostProbeReport, parseHostProbe } from "../../src/render/host-probe";
import { probeArguments, profileList } from "../../src/render/part-arguments";
import { PlainConnection, probeCommand } from "../../src/resources/host-probe";
import { stopProbeCredentials } from "../../src/resources/probe-credentials";
import { TCP_RELAY } from "../../src/resources/probe-relay";
import { ownHomeFolder } from "../support/own-home";
import { makeKeyPair } from "../support/ssh-keys";
import { TestHost } from "../support/test-host";

const HOST_PROBE = join(__dirname, "../../src/resources/host-probe");
const CREDENTIALS = join(__dirname, "../../src/resources/probe-credentials");

describe("the drift probe's connection over SSH", function () {
  this.timeout(120_000);
  const home = ownHomeFolder();
  const key = makeKeyPair();
  const state = desiredState("shmtest_foo");
  const instances = [probeArguments(state, profileList(state, true), "auto", "auto", true)];
  let host: TestHost;
  let connection: PlainConnection;

  before(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: "shmtest_foo", apps: ["app"] });
    const ssh = await host.startSshd(key.publicKey);
    connection = { host: "127.0.0.1", port: ssh.port, user: "root", privateKey: key.privateKey, hostKey: ssh.hostKey, dialErrorLimit: 2 };
  });
  after(async () => {
    await stopProbeCredentials();
    await host?.stop();
  });

  function run(command: string): HostProbeReport {
    const probe = spawnSync("/bin/sh", ["-c", command], { input: hostScript("host"), encoding: "utf8", timeout: 60_000 });
    return parseHostProbe(probe.stdout, probe.stderr);
  }

  function assertProbed(report: HostProbeReport): void {
    assert.equal(report.ok, true, report.error);
    assert.equal(report.instances.shmtest_foo?.parts.managed?.directory?.inSync, false, "the host read: nothing applied yet");
  }

  it("goes through the TCP relay, with the host's dial limits, and reads the host", async () => {
    const command = await probeCommand(connection, instances, false);
    assert.ok(command.includes(`ProxyCommand='\\''perl'\\'' '\\''${TCP_RELAY}'\\'' '\\''127.0.0.1'\\'' '\\''${connection.port}'\\'' '\\''15'\\'' '\\''2'\\''`), command);
    assert.ok(!command.includes("ConnectTimeout="), command);
    assertProbed(run(command));
  });

  it("connects directly where Perl cannot run the relay, and reads the host the same", () => {
    // A program of its own whose PATH has OpenSSH and sh but no perl: the check fails there.
    const bin = mkdtempSync(join(tmpdir(), "snap-shm-no-perl-"));
    try {
      for (const program of ["ssh", "ssh-agent", "ssh-add", "sh"]) symlinkSync(spawnSync("sh", ["-c", `command -v ${program}`], { encoding: "utf8" }).stdout.trim(), join(bin, program));
      const program = `
        const { spawnSync } = require("node:child_process");
        const credentials = require(${JSON.stringify(CREDENTIALS)});
        require(${JSON.stringify(HOST_PROBE)}).probeCommand(JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), false).then(async (command) => {
          const probe = spawnSync("sh", ["-c", command], { input: process.argv[3], encoding: "utf8" });
          process.stdout.write(JSON.stringify({ command, stdout: probe.stdout, stderr: probe.stderr }));
          await credentials.stopProbeCredentials();
        });`;
      const made = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", program, JSON.stringify(connection), JSON.stringify(instances), hostScript("host")], {
        env: { ...process.env, PATH: bin },
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(made.status, 0, made.stderr);
      const { command, stdout, stderr } = JSON.parse(made.stdout) as { command: string; stdout: string; stderr: string };
      assert.ok(!command.includes("ProxyCommand"), command);
      assert.ok(command.includes("'-o' 'ConnectTimeout=15' '-o' 'ConnectionAttempts=2'"), command);
      assertProbed(parseHostProbe(stdout, stderr));
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("logs in to a host behind a bastion with the host's password, and to the bastion with the bastion's", async () => {
    const bastion = await TestHost.start();
    try {
      const jump = await bastion.startSshd(makeKeyPair().publicKey);
      bastion.addUser("hop", makeKeyPair().publicKey, "none", "bastion-password-1");
      host.addUser("ops", makeKeyPair().publicKey, "nopasswd", "host-password-2");
      const behind: PlainConnection = {
        host: "127.0.0.1",
        port: connection.port,
        user: "ops",
        password: "host-password-2",
        hostKey: connection.hostKey,
        dialErrorLimit: 1,
        proxy: { host: "127.0.0.1", port: jump.port, user: "hop", password: "bastion-password-1", hostKey: jump.hostKey, dialErrorLimit: 1 },
      };
      const command = await probeCommand(behind, instances, true);
      assert.ok(!command.includes("password-"), "no password on the command line");
      assertProbed(run(command));
    } finally {
      await bastion.stop();
    }
  });

  for (const connectionSharing of [false, true]) {
    it(`names what the bastion refused, in the bastion's ssh's own words${connectionSharing ? ", also when the connection is to be shared (its ssh's standard error would go to /dev/null)" : ""}`, async () => {
      const bastion = await TestHost.start();
      try {
        const jump = await bastion.startSshd(makeKeyPair().publicKey);
        bastion.addUser("hop", makeKeyPair().publicKey, "none", "bastion-password-1");
        const hop = { host: "127.0.0.1", port: jump.port, user: "hop", password: "bastion-password-1", hostKey: jump.hostKey, dialErrorLimit: 1 };
        const behind = (proxy: PlainConnection): PlainConnection => ({ ...connection, dialErrorLimit: 1, proxy });
        const wrongKey = run(await probeCommand(behind({ ...hop, hostKey: makeKeyPair().publicKey }), instances, false, connectionSharing));
        assert.match(wrongKey.error ?? "", /^ssh to 127\.0\.0\.1 failed with exit status 255: bastion 127\.0\.0\.1: Host key verification failed\.$/, wrongKey.error);
        const wrongPassword = run(await probeCommand(behind({ ...hop, password: "not-it" }), instances, false, connectionSharing));
        assert.match(wrongPassword.error ?? "", /: bastion 127\.0\.0\.1: hop@127\.0\.0\.1: Permission denied \(.*password.*\)\.$/, wrongPassword.error);
        // The host's own refusal behind a bastion that let it through is the host's, not the bastion's.
        const hostRefused = run(await probeCommand({ ...behind(hop), hostKey: makeKeyPair().publicKey }, instances, false, connectionSharing));
        assert.match(hostRefused.error ?? "", /failed with exit status 255: Host key verification failed\.$/, hostRefused.error);
        // And through it as it should be, the probe reads the host.
        assertProbed(run(await probeCommand(behind(hop), instances, false, connectionSharing)));
        // Only a shared connection keeps anything in the home folder (its socket).
        assert.equal(existsSync(join(home(), ".snap-shm")), connectionSharing, "~/.snap-shm made only for a shared connection");
      } finally {
        await bastion.stop();
      }
    });
  }

  it("keeps its agent and known_hosts in a temporary folder whose path has `%d` in it", async () => {
    const parent = mkdtempSync(join(tmpdir(), "snap-shm-%d-"));
    const saved = process.env.TMPDIR;
    try {
      await stopProbeCredentials();
      process.env.TMPDIR = parent;
      const command = await probeCommand(connection, instances, false);
      assert.ok(command.includes(`IdentityAgent=${parent.replaceAll("%", "%%")}/snap-shm-probe-`), command);
      assertProbed(run(command));
    } finally {
      await stopProbeCredentials();
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
