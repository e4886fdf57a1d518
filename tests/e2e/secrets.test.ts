/**
 * Keys, passphrases and passwords go in `connection` and nowhere else (with
 * `connectionSharing`, also in each part's `environment`, a secret too): not in any other
 * input, not in the probe's command, not in any command's output or error, not in a
 * warning, not in the stand-in's state (where secrets are encrypted, as the engine's are); a
 * bastion's as well as a host's.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { EngineStandIn, RunReport } from "../support/engine-stand-in";
import { unsecret } from "../support/pulumi-mocks";
import { makeKeyPair } from "../support/ssh-keys";
import { TestHost } from "../support/test-host";

describe("secrets stay in the connection (engine stand-in, over SSH)", function () {
  this.timeout(300_000);
  const passphrase = "correct-horse-passphrase-7c1f";
  const password = "battery-staple-password-9d2e";
  const key = makeKeyPair(passphrase);
  const secrets = [passphrase, password, ...key.privateKey.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"))];
  let alpha: TestHost;
  let beta: TestHost;
  let gamma: TestHost;
  let alphaPort: number;
  let betaPort: number;
  let gammaPort: number;

  before(async () => {
    alpha = await TestHost.start();
    beta = await TestHost.start();
    gamma = await TestHost.start();
    for (const host of [alpha, beta, gamma]) host.addSnap({ instance: "shmtest", apps: ["app"] });
    alphaPort = (await alpha.startSshd(key.publicKey)).port;
    betaPort = (await beta.startSshd(makeKeyPair().publicKey)).port;
    beta.addUser("ops", makeKeyPair().publicKey, "nopasswd", password);
    gammaPort = (await gamma.startSshd(key.publicKey)).port;
  });
  after(async () => {
    await alpha?.stop();
    await beta?.stop();
    await gamma?.stop();
  });

  const programOf = (connectionSharing: boolean) => async () => {
    const r = await import("../../src/resources");
    const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest", apps: ["app"] });
    new r.SnapShmHost("alpha", {
      connection: { host: "127.0.0.1", port: alphaPort, privateKey: pulumi.secret(key.privateKey), privateKeyPassword: pulumi.secret(passphrase), hostKey: alpha.ssh!.hostKey },
      snaps: [snap],
      connectionSharing,
    });
    const betaConnection = { host: "127.0.0.1", port: betaPort, user: "ops", password: pulumi.secret(password), hostKey: beta.ssh!.hostKey, dialErrorLimit: 1 };
    new r.SnapShmHost("beta", { connection: betaConnection, become: true, snaps: [snap], connectionSharing });
    // Behind beta as its bastion, which takes beta's password: the bastion's credentials too.
    return new r.SnapShmHost("gamma", {
      connection: {
        host: "127.0.0.1",
        port: gammaPort,
        privateKey: pulumi.secret(key.privateKey),
        privateKeyPassword: pulumi.secret(passphrase),
        hostKey: gamma.ssh!.hostKey,
        dialErrorLimit: 1,
        proxy: betaConnection,
      },
      snaps: [snap],
      connectionSharing,
    });
  };

  function assertClean(what: string, text: string) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${what} holds a secret (${secret.slice(0, 6)}...)`);
  }

  function assertRunClean(run: RunReport, engine: EngineStandIn) {
    for (const registration of run.registrations) {
      const { connection, environment, ...others } = unsecret(registration.inputs) as Record<string, unknown>;
      assertClean(`${registration.name} inputs`, JSON.stringify(others));
      for (const [name, value] of Object.entries({ connection, environment })) {
        if (value !== undefined) assert.ok(JSON.stringify(registration.inputs[name]).includes("4dabf18193072939515e22adb298388d"), `${registration.name}: the ${name} is a secret`);
      }
    }
    for (const args of run.invokeArgs) assertClean("the probe's arguments", JSON.stringify(unsecret(args)));
    for (const execution of run.executions) assertClean(`${execution.name} ${execution.op}`, execution.command + execution.stdout + execution.stderr);
    assertClean("errors", run.errors.join("\n") + run.failures.join("\n"));
    assertClean("warnings", run.warnings.join("\n"));
    assertClean("the state", engine.stateJson());
  }

  for (const sharing of [false, true]) {
    it(`through up, preview, a failing run and destroy, with a key passphrase and a password${sharing ? ", each part over the shared connection" : ""}`, async () => {
      const program = programOf(sharing);
      const engine = new EngineStandIn();
      const up = await engine.up(program);
      assert.deepEqual(up.errors, []);
      assert.deepEqual(up.warnings, [], "every probe ran: the passphrase reached ssh-add, the password the askpass helper");
      assert.equal(up.executions.length, 12);
      assertRunClean(up, engine);
      assert.ok(beta.readFile("/var/lib/snapd/mount/snap.shmtest.fstab"));

      beta.must("chmod 0700 /dev/shm/snap.shmtest");
      const preview = await engine.preview(program);
      assert.deepEqual(preview.steps.filter((s) => s.step !== "same").map((s) => s.name), ["beta-shmtest-directory-command"]);
      assertRunClean(preview, engine);

      await beta.killSshd();
      const failing = await engine.up(program, { continueOnError: true });
      assert.ok(failing.errors.length > 0);
      assertRunClean(failing, engine);
      await beta.startSshd(makeKeyPair().publicKey, betaPort);

      const destroyed = await engine.destroy();
      assert.deepEqual(destroyed.errors, []);
      assertRunClean(destroyed, engine);
    });
  }
});
