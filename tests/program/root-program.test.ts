/** The root project's fleet program under mocks: inventory from config, secrets, outputs, rollout order. */
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ofType, runUnderMocks, SECRET_SIG, unsecret } from "../support/pulumi-mocks";
import { projectFolder } from "../../src/program/project-folder";
import { rootProgram } from "../support/root-program";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nconfig-key\n-----END OPENSSH PRIVATE KEY-----\n";
const FILE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nfile-key\n-----END OPENSSH PRIVATE KEY-----\n";

describe("the root fleet program", function () {
  this.timeout(60_000);
  let work: string;
  let savedAgent: string | undefined;
  const write = (name: string, text: string) => {
    writeFileSync(join(work, name), text);
    return join(work, name);
  };
  const inventory = (extra = "") =>
    write(
      "inventory.yaml",
      `${extra}defaults:\n  user: ops\n  become: true\ngroups:\n  kiosks:\n    snaps: [{instance: chromium, apps: [chromium]}]\n    hosts:\n` +
        `      kiosk-01: {address: 10.0.0.1, hostKey: "${HOST_KEY}"}\n      kiosk-02: {address: 10.0.0.2, hostKey: "${HOST_KEY}"}\n` +
        `hosts:\n  runner: {address: 10.0.0.3, hostKey: "${HOST_KEY}", identityFile: runner.key, snaps: [{instance: code, apps: [code], mode: managed}]}\n`,
    );

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "snap-shm-program-"));
    write("runner.key", FILE_KEY);
    savedAgent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
  });
  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
    if (savedAgent === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = savedAgent;
  });

  it("deploys the inventory the config names, keys as secrets, one snap configuration shared by the hosts that agree", async () => {
    const run = await runUnderMocks(rootProgram({ "snap-shm:inventory": inventory(), "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"]));
    const hosts = ofType(run.registrations, "snap-shm:index:SnapShmHost").map((r) => r.name);
    assert.deepEqual(hosts, ["fleet-kiosk-01", "fleet-kiosk-02", "fleet-runner"]);
    assert.deepEqual(ofType(run.registrations, "snap-shm:index:SnapSharedMemory").map((r) => r.name), ["chromium", "code"]);
    const connectionOf = (name: string) => run.registrations.find((r) => r.name === name)!.inputs.connection as Record<string, unknown>;
    const kiosk = connectionOf("fleet-kiosk-01-chromium-directory-command");
    assert.ok(JSON.stringify(kiosk).includes(SECRET_SIG), "the connection with the key is a secret");
    assert.equal((unsecret(kiosk) as { privateKey: string }).privateKey, KEY);
    assert.equal((unsecret(connectionOf("fleet-runner-code-directory-command")) as { privateKey: string }).privateKey, FILE_KEY, "identityFile wins for its host");
    assert.equal((unsecret(kiosk) as { user: string }).user, "ops");
    const outputs = run.value as unknown as { summary: unknown; unreachable: unknown };
    assert.ok(outputs.summary !== undefined && outputs.unreachable !== undefined, "stack outputs: summary and unreachable");
    assert.ok(!JSON.stringify(run.registrations.filter((r) => r.type === "command:remote:Command").map((r) => [r.inputs.create, r.inputs.stdin])).includes("config-key"));
  });

  it("defaults to inventory.yaml in the project folder, and says how to set the path when there is none", async () => {
    const cwd = process.cwd();
    try {
      process.chdir(work);
      await assert.rejects(runUnderMocks(rootProgram({ "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"])), (error: Error) => {
        assert.equal(error.message, `cannot read the inventory ${join(work, "inventory.yaml")} (ENOENT); set its path with \`pulumi config set snap-shm:inventory PATH\``);
        return true;
      });
      inventory();
      const run = await runUnderMocks(rootProgram({ "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"]));
      assert.equal(ofType(run.registrations, "snap-shm:index:SnapShmHost").length, 3);
    } finally {
      process.chdir(cwd);
    }
  });

  it("reads a relative inventory path from the project folder, though Pulumi runs the program in main's folder", async () => {
    write("Pulumi.yaml", "name: fleet\nruntime: nodejs\nmain: src/program/index.ts\n");
    mkdirSync(join(work, "src", "program"), { recursive: true });
    mkdirSync(join(work, "fleet"));
    writeFileSync(join(work, "fleet", "runner.key"), FILE_KEY);
    renameSync(inventory(), join(work, "fleet", "inventory.yaml"));
    const cwd = process.cwd();
    try {
      process.chdir(join(work, "src", "program"));
      const run = await runUnderMocks(rootProgram({ "snap-shm:inventory": "fleet/inventory.yaml", "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"]));
      assert.equal(ofType(run.registrations, "snap-shm:index:SnapShmHost").length, 3);
    } finally {
      process.chdir(cwd);
    }
  });

  describe("the project folder", () => {
    it("is the one the engine names", () => assert.equal(projectFolder("/srv/fleet", join(work, "src")), "/srv/fleet"));
    it("without it (an older CLI; the SDK's placeholder), the nearest folder up that holds a Pulumi.yaml", () => {
      write("Pulumi.yaml", "name: fleet\n");
      mkdirSync(join(work, "src", "program"), { recursive: true });
      assert.equal(projectFolder("rootDirectory", join(work, "src", "program")), work);
    });
    it("with no Pulumi.yaml up the tree, the working directory", () => assert.equal(projectFolder("", "/"), "/"));
  });

  it("refuses a bad inventory with file, line and column, and a host without credentials, before registering anything", async () => {
    const bad = write("bad.yaml", "hosts:\n  h1:\n    address: 10.0.0.1\n    snaps: [{instance: Chromium}]\n");
    let registered = 0;
    const count = { newResource: (args: { inputs: Record<string, unknown> }) => (registered++, args.inputs) };
    await assert.rejects(runUnderMocks(rootProgram({ "snap-shm:inventory": bad, "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"]), count), {
      message: `${bad}:4:24: hosts.h1.snaps[0].instance: invalid snap name: "Chromium"`,
    });
    await assert.rejects(runUnderMocks(rootProgram({ "snap-shm:inventory": inventory() }), count), {
      message:
        'host "kiosk-01": no way to log in: give a key with `pulumi config set --secret snap-shm:privateKey < KEYFILE`, an identityFile in the inventory, a password with `pulumi config set --secret snap-shm:password`, or run with an SSH agent (SSH_AUTH_SOCK)',
    });
    rmSync(join(work, "runner.key"));
    await assert.rejects(runUnderMocks(rootProgram({ "snap-shm:inventory": inventory(), "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"]), count), {
      message: `host "runner": cannot read identityFile "${join(work, "runner.key")}": ENOENT`,
    });
    assert.equal(registered, 0);
  });

  it("refuses a key or password set without --secret, naming it and the command, before registering anything", async () => {
    let registered = 0;
    const count = { newResource: (args: { inputs: Record<string, unknown> }) => (registered++, args.inputs) };
    const commands: Record<string, string> = {
      privateKey: "pulumi config set --secret snap-shm:privateKey < KEYFILE",
      privateKeyPassword: "pulumi config set --secret snap-shm:privateKeyPassword",
      password: "pulumi config set --secret snap-shm:password",
    };
    for (const [key, command] of Object.entries(commands)) {
      const value = `plain-${key}-value`;
      // The other secrets set as the engine sets them, so only `key` is in plain text.
      const others = Object.keys(commands).filter((other) => other !== key).map((other) => `snap-shm:${other}`);
      const config = { "snap-shm:inventory": inventory(), [`snap-shm:${key}`]: value, ...Object.fromEntries(others.map((other) => [other, KEY])) };
      await assert.rejects(runUnderMocks(rootProgram(config, others), count), (error: Error) => {
        assert.equal(
          error.message,
          `snap-shm:${key} is set in plain text in the stack config (Pulumi.stack.yaml): a secret must be encrypted; ` +
            `set it again with \`${command}\`, which replaces the plain value (and treat the old value as exposed wherever that file went)`,
        );
        assert.ok(!JSON.stringify({ ...error }).includes(value) && !String(error.stack).includes(value), "the value is nowhere in the error");
        return true;
      });
    }
    assert.equal(registered, 0);
  });

  it("uses the SSH agent where no key is given", async () => {
    process.env.SSH_AUTH_SOCK = "/run/user/1000/ssh-agent.socket";
    const run = await runUnderMocks(rootProgram({ "snap-shm:inventory": inventory() }));
    const connection = unsecret(run.registrations.find((r) => r.name === "fleet-kiosk-01-chromium-directory-command")!.inputs.connection) as Record<string, unknown>;
    assert.equal(connection.agentSocketPath, "/run/user/1000/ssh-agent.socket");
    assert.equal(connection.privateKey, undefined);
  });

  it("rolls out in batches: each batch's first operations wait for every operation of the previous batch", async () => {
    const run = await runUnderMocks(rootProgram({ "snap-shm:inventory": inventory("rollout: {batchSize: 2}\n"), "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"]));
    const commandsOf = (host: string) => ofType(run.registrations, "command:remote:Command").filter((r) => r.name.startsWith(`fleet-${host}-`));
    const dependencies = (host: string) => new Set(commandsOf(host).find((r) => r.name.endsWith("-directory-command"))!.dependencies);
    for (const host of ["kiosk-01", "kiosk-02"]) {
      assert.deepEqual([...dependencies(host)].filter((urn) => urn.includes("command:remote:Command")), [], `${host} is in the first batch`);
    }
    const waited = dependencies("runner");
    for (const command of [...commandsOf("kiosk-01"), ...commandsOf("kiosk-02")]) assert.ok(waited.has(command.urn), `runner waits for ${command.name}`);
  });

  it("names a second configuration of a snap past the name of another snap of the inventory", async () => {
    const text =
      `hosts:\n  h1: {address: 10.0.0.1, hostKey: "${HOST_KEY}", snaps: [{instance: foo, apps: [a]}]}\n` +
      `  h2: {address: 10.0.0.2, hostKey: "${HOST_KEY}", snaps: [{instance: foo, apps: [b]}]}\n` +
      `  h3: {address: 10.0.0.3, hostKey: "${HOST_KEY}", snaps: [{instance: foo-2}]}\n`;
    const run = await runUnderMocks(rootProgram({ "snap-shm:inventory": write("inventory.yaml", text), "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"]));
    assert.deepEqual(run.failures, []);
    assert.deepEqual(ofType(run.registrations, "snap-shm:index:SnapSharedMemory").map((r) => r.name).sort(), ["foo", "foo-2", "foo-3"]);
  });

  it("refuses hosts whose resources would share names before anything registers", async () => {
    const text =
      `hosts:\n  a-b: {address: 10.0.0.1, hostKey: "${HOST_KEY}", snaps: [{instance: cd}]}\n` +
      `  a: {address: 10.0.0.2, hostKey: "${HOST_KEY}", snaps: [{instance: b-cd}]}\n`;
    let thrown: unknown;
    const run = await runUnderMocks(async () => {
      try {
        return await rootProgram({ "snap-shm:inventory": write("inventory.yaml", text), "snap-shm:privateKey": KEY }, ["snap-shm:privateKey"])();
      } catch (error) {
        thrown = error;
        return undefined;
      }
    });
    assert.match(String((thrown as Error)?.message), /host "a" with snap instance "b-cd" would name its resources "fleet-a-b-cd-…", as host "a-b" with snap instance "cd" does; rename one of the hosts/);
    assert.deepEqual(run.registrations, []);
  });
});
