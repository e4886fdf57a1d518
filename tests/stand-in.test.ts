/**
 * The test stand-in for the engine and the command provider, held to @pulumi/command's
 * documented lifecycle: what runs, in which order, with which inputs.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { remote, local } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { EngineStandIn } from "./support/engine-stand-in";
import { GO_ENV, providerSshBinary } from "./support/provider-ssh";
import { makeKeyPair } from "./support/ssh-keys";
import { TestHost } from "./support/test-host";

describe("the engine stand-in follows @pulumi/command's lifecycle", function () {
  this.timeout(120_000);
  const key = makeKeyPair();
  let host: TestHost;
  let connection: { host: string; port: number; privateKey: string; hostKey: string };

  before(async () => {
    host = await TestHost.start();
    const ssh = await host.startSshd(key.publicKey);
    connection = { host: "127.0.0.1", port: ssh.port, privateKey: key.privateKey, hostKey: ssh.hostKey };
  });
  after(async () => host.stop());
  beforeEach(() => host.must("rm -f /tmp/log"));

  const log = () => (host.readFile("/tmp/log") ?? "").trim().split("\n").filter(Boolean);

  interface Spec {
    create?: string;
    update?: string;
    delete?: string;
    trigger?: string;
    deleteBeforeReplace?: boolean;
    withB?: boolean;
  }
  const program = (spec: Spec) => () => {
    const a = new remote.Command(
      "a",
      {
        connection,
        create: `echo ${spec.create ?? "create-a"} >> /tmp/log`,
        update: spec.update ? `echo ${spec.update} >> /tmp/log` : undefined,
        delete: `echo ${spec.delete ?? "delete-a"} >> /tmp/log`,
        triggers: [spec.trigger ?? "t1"],
        addPreviousOutputInEnv: false,
      },
      { deleteBeforeReplace: spec.deleteBeforeReplace },
    );
    if (spec.withB) {
      new remote.Command("b", { connection, create: "echo create-b >> /tmp/log", delete: "echo delete-b >> /tmp/log", addPreviousOutputInEnv: false }, { dependsOn: [a] });
    }
    return { a: a.stdout };
  };

  it("creates a new resource, then does nothing when nothing changed", async () => {
    const engine = new EngineStandIn();
    const first = await engine.up(program({}));
    assert.deepEqual(first.steps.map((s) => `${s.name}:${s.step}`), ["a:create"]);
    const again = await engine.up(program({}));
    assert.deepEqual(again.steps.map((s) => `${s.name}:${s.step}`), ["a:same"]);
    assert.equal(again.executions.length, 0);
    assert.deepEqual(log(), ["create-a"]);
  });

  it("updates on an input change: update when set, else create, with the new inputs", async () => {
    const engine = new EngineStandIn();
    await engine.up(program({}));
    const changed = await engine.up(program({ create: "create-a2" }));
    assert.deepEqual(changed.steps.map((s) => [s.step, s.changed]), [["update", ["create"]]]);
    await engine.up(program({ create: "create-a2", update: "update-a" }));
    assert.deepEqual(log(), ["create-a", "create-a2", "update-a"]);
  });

  it("re-runs create when only delete changed", async () => {
    const engine = new EngineStandIn();
    await engine.up(program({}));
    const result = await engine.up(program({ delete: "delete-a2" }));
    assert.deepEqual(result.steps.map((s) => [s.step, s.changed]), [["update", ["delete"]]]);
    assert.deepEqual(log(), ["create-a", "create-a"]);
  });

  it("replaces on a trigger: new create, then old delete; old delete first with deleteBeforeReplace", async () => {
    const engine = new EngineStandIn();
    await engine.up(program({ delete: "delete-old" }));
    const replaced = await engine.up(program({ trigger: "t2", create: "create-new", delete: "delete-new" }));
    assert.deepEqual(replaced.steps.map((s) => `${s.name}:${s.step}`), ["a:replace", "a:delete"]);
    assert.deepEqual(log(), ["create-a", "create-new", "delete-old"]);
    host.must("rm /tmp/log");
    const dbr = new EngineStandIn();
    await dbr.up(program({ delete: "delete-old", deleteBeforeReplace: true }));
    await dbr.up(program({ trigger: "t2", create: "create-new", delete: "delete-new", deleteBeforeReplace: true }));
    assert.deepEqual(log(), ["create-a", "delete-old", "create-new"]);
  });

  it("deletes a removed resource with its stored inputs, dependents first, and creates in dependency order", async () => {
    const engine = new EngineStandIn();
    await engine.up(program({ withB: true, delete: "delete-a-stored" }));
    assert.deepEqual(log(), ["create-a", "create-b"]);
    const destroyed = await engine.destroy();
    assert.deepEqual(destroyed.steps.map((s) => `${s.name}:${s.step}`), ["b:delete", "a:delete"]);
    assert.deepEqual(log(), ["create-a", "create-b", "delete-b", "delete-a-stored"]);
    assert.deepEqual(engine.resourceNames(), []);
  });

  it("runs nothing remote in a preview, leaves new outputs unknown, and runs local invokes", async () => {
    const engine = new EngineStandIn();
    const preview = await engine.preview(() => {
      const probe = local.runOutput({ command: "echo probed" });
      const command = new remote.Command("a", { connection, create: "echo create-a >> /tmp/log", addPreviousOutputInEnv: false });
      return { probe: probe.stdout, stdout: command.stdout };
    });
    assert.deepEqual(preview.steps.map((s) => `${s.name}:${s.step}`), ["a:create"]);
    assert.equal(preview.executions.length, 0);
    assert.equal(preview.invokes, 1);
    assert.deepEqual(log(), []);
    assert.equal(await (preview.value!.probe as unknown as { promise(): Promise<string> }).promise(), "probed");
    assert.equal(await (preview.value!.stdout as unknown as { promise(u: boolean): Promise<unknown> }).promise(true), undefined);
  });

  it("runs a local command's create, update and delete on this machine, with its stdin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stand-in-local-"));
    try {
      const file = join(dir, "log");
      const command = (text: string) => () =>
        new local.Command("l", { create: `cat >> ${file}`, update: `echo updated-${text} >> ${file}`, delete: `echo deleted >> ${file}`, stdin: `${text}\n`, addPreviousOutputInEnv: false });
      const engine = new EngineStandIn();
      const created = await engine.up(command("one"));
      assert.deepEqual(created.executions.map((e) => `${e.op}@${e.host}`), ["create@localhost"]);
      assert.equal((await engine.up(command("one"))).executions.length, 0, "nothing changed");
      await engine.up(command("two"));
      await engine.destroy();
      assert.equal(readFileSync(file, "utf8"), "one\nupdated-two\ndeleted\n");
      assert.deepEqual(log(), [], "nothing ran on the host");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops starting operations after a failure, unless told to continue", async () => {
    const failing = () => {
      const bad = new remote.Command("bad", { connection, create: "exit 3", addPreviousOutputInEnv: false });
      new remote.Command("after", { connection, create: "echo after >> /tmp/log", addPreviousOutputInEnv: false }, { dependsOn: [bad] });
      new remote.Command("independent", { connection, create: "sleep 1; echo independent >> /tmp/log", addPreviousOutputInEnv: false });
    };
    const engine = new EngineStandIn();
    const result = await engine.up(failing, { continueOnError: true });
    assert.match(result.errors[0], /^bad: create failed: Process exited with status 3: running "exit 3"/);
    assert.deepEqual(log(), ["independent"], "the dependent never runs; the independent one does");
    assert.deepEqual(engine.resourceNames(), ["independent"]);
    host.must("rm /tmp/log");
    const stopping = new EngineStandIn();
    const stopped = await stopping.up(failing, { parallel: 1 });
    assert.deepEqual(stopped.errors.map((e) => e.split(":")[0]), ["bad", "independent"]);
    assert.match(stopped.errors[1], /not started: an earlier operation failed/);
    assert.deepEqual(log(), []);
  });

  it("connects with the provider's SSH library: stdin, output and exit status as remote.Command has them", async () => {
    const engine = new EngineStandIn();
    const result = await engine.up(() => {
      new remote.Command("io", { connection, create: "cat; echo to-stderr >&2", stdin: "from-stdin\n", addPreviousOutputInEnv: false });
    });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.executions.map(({ status, stdout, stderr }) => ({ status, stdout, stderr })), [{ status: 0, stdout: "from-stdin\n", stderr: "to-stderr\n" }]);
    // A host key other than the pinned one: refused in the handshake, nothing runs.
    const otherKey = `ssh-ed25519 ${key.publicKey.split(" ")[1]}`;
    const refused = await new EngineStandIn().up(() => {
      new remote.Command("pinned", { connection: { ...connection, hostKey: otherKey, dialErrorLimit: 0 }, create: "echo ran >> /tmp/log", addPreviousOutputInEnv: false });
    });
    assert.deepEqual(refused.errors, ["pinned: create failed: after 0 failed attempts: ssh: handshake failed: ssh: host key mismatch"]);
    assert.deepEqual(log(), []);
  });

  it("has a provider client that passes gofmt and go vet", () => {
    const dir = join(__dirname, "support", "provider-ssh");
    const gofmt = spawnSync("gofmt", ["-l", dir], { encoding: "utf8" });
    assert.deepEqual([gofmt.status, gofmt.stdout], [0, ""], gofmt.stderr);
    const vet = spawnSync("go", ["vet", join(dir, "main.go")], { encoding: "utf8", env: { ...process.env, ...GO_ENV, GOCACHE: join(dirname(providerSshBinary()), "go-build") } });
    assert.equal(vet.status, 0, vet.stderr);
  });

  it("keeps secrets encrypted in its state", async () => {
    const engine = new EngineStandIn();
    await engine.up(() => {
      new remote.Command("a", { connection: { ...connection, privateKey: pulumi.secret(connection.privateKey) }, create: "true", addPreviousOutputInEnv: false });
    });
    const state = engine.stateJson();
    assert.ok(!state.includes(key.privateKey.split("\n")[1]), "no key material in the state");
    assert.equal((engine.storedInputs("a")!.connection as { privateKey: string }).privateKey, key.privateKey);
  });
});
