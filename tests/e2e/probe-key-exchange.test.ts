/**
 * The drift probe's key exchange against a real sshd (Debian's OpenSSH 9.2 at both ends):
 * curve25519-sha256, as the command provider's client negotiates for the parts, where
 * OpenSSH's client would take sntrup761x25519; and a server that takes only
 * sntrup761x25519 is still probed. sshd's own debug log says what was negotiated.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { desiredState } from "../../src/model/desired-state";
import { kexAlgorithmsOfSshConfig } from "../../src/render/key-exchange";
import { hostScript } from "../../src/render/host-command";
import { parseHostProbe } from "../../src/render/host-probe";
import { probeArguments, profileList } from "../../src/render/part-arguments";
import { probeCommand } from "../../src/resources/host-probe";
import { stopProbeCredentials } from "../../src/resources/probe-credentials";
import { makeKeyPair } from "../support/ssh-keys";
import { TestHost } from "../support/test-host";

const LOG = "/run/sshd-kex.log";

describe("the drift probe's key exchange over SSH", function () {
  this.timeout(120_000);
  const key = makeKeyPair();
  let host: TestHost;

  before(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: "shmtest_foo", apps: ["app"] });
  });
  after(async () => {
    await stopProbeCredentials();
    await host?.stop();
  });

  /** Runs the probe as the resources build it; the probe report and the key exchange sshd logged for it. */
  async function probe(config: string[]): Promise<{ ok: boolean; error?: string; kex: string[] }> {
    await host.killSshd();
    host.must(`rm -f ${LOG}`);
    const ssh = await host.startSshd(key.publicKey, undefined, { config, debugLog: LOG });
    const state = desiredState("shmtest_foo");
    const command = await probeCommand(
      { host: "127.0.0.1", port: ssh.port, user: "root", privateKey: key.privateKey, hostKey: ssh.hostKey, dialErrorLimit: 1 },
      [probeArguments(state, profileList(state, true), "auto", "auto", true)],
      false,
    );
    const run = spawnSync("/bin/sh", ["-c", command], { input: hostScript("host"), encoding: "utf8", timeout: 60_000 });
    const report = parseHostProbe(run.stdout, run.stderr);
    const kex = [...(host.readFile(LOG) ?? "").matchAll(/kex: algorithm: (\S+)/g)].map((m) => m[1]);
    return { ok: report.ok, error: report.error, kex };
  }

  it("negotiates curve25519-sha256 where this machine's ssh would choose sntrup761x25519", async () => {
    const defaults = kexAlgorithmsOfSshConfig(spawnSync("ssh", ["-G", "-F", "/dev/null", "x"], { encoding: "utf8" }).stdout);
    assert.equal(defaults?.[0], "sntrup761x25519-sha512", "OpenSSH's client here prefers sntrup761x25519 by default");
    const found = await probe([]);
    assert.equal(found.ok, true, found.error);
    assert.deepEqual(found.kex, ["curve25519-sha256"]);
  });

  it("still probes a server that takes only sntrup761x25519", async () => {
    const found = await probe(["KexAlgorithms sntrup761x25519-sha512@openssh.com"]);
    assert.equal(found.ok, true, found.error);
    assert.deepEqual(found.kex, ["sntrup761x25519-sha512@openssh.com"]);
  });
});
