/**
 * `connectionSharing` in the resource graph, under mocks: the parts become `local.Command`s
 * running src/local/shared-ssh.sh, with stable command lines and the credentials in a secret
 * environment; the probe's ssh opens the shared connection; bad settings are refused first.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { scriptAsSent } from "../../src/render/host-command";
import { sharedSocketName } from "../../src/render/ssh-command";
import { ownHomeFolder } from "../support/own-home";
import { EMPTY_PROBE, ofType, refusedUnderMocks, Registration, runUnderMocks, SECRET_SIG, unsecret } from "../support/pulumi-mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtest-only-not-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";
const PASSWORD = "correct horse battery staple";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const LOCAL = "command:local:Command";
const untyped = (value: unknown) => value as never;
const SCRIPT = scriptAsSent(readFileSync(join(__dirname, "..", "..", "src", "local", "shared-ssh.sh"), "utf8"));

describe("connectionSharing under mocks", function () {
  this.timeout(60_000);
  const home = ownHomeFolder();

  async function sharedHost(connection: Record<string, unknown>, become = false) {
    return runUnderMocks(
      async () => {
        const r = await import("../../src/resources");
        const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest_foo", apps: ["app"] });
        return new r.SnapShmHost("h", { connection: connection as never, become, connectionSharing: true, snaps: [snap] });
      },
      { call: () => ({ stdout: EMPTY_PROBE, stderr: "" }) },
    );
  }

  const byName = (registrations: Registration[], name: string) => registrations.find((r) => r.name === name)!;

  it("makes every part a local.Command over the shared connection, in the same order, replaced delete-first", async () => {
    const { registrations } = await sharedHost({ host: "10.0.0.5", port: 2222, user: "ops", privateKey: KEY, hostKey: HOST_KEY, dialErrorLimit: 3 }, true);
    assert.deepEqual(ofType(registrations, "command:remote:Command"), []);
    const parts = ofType(registrations, LOCAL);
    assert.deepEqual(parts.map((p) => p.name).sort(), ["h-shmtest_foo-apparmor-command", "h-shmtest_foo-directory-command", "h-shmtest_foo-mount-command", "h-shmtest_foo-self-heal-command"]);
    const urn = (name: string) => byName(registrations, name).urn;
    assert.deepEqual(byName(registrations, "h-shmtest_foo-mount-command").dependencies, [urn("h-shmtest_foo-apparmor-command")]);
    for (const part of parts) {
      const i = unsecret(part.inputs) as Record<string, string>;
      assert.equal(part.deleteBeforeReplace, true);
      assert.deepEqual(i.triggers, ["10.0.0.5", 2222]);
      // The host, port, user, dial timeout, attempts and socket, the script from the environment,
      // and the operation in a here-document, word for word as the host receives it.
      for (const [line, action] of [[i.create, "apply"], [i.delete, "remove"]]) {
        const lines = line.split("\n");
        assert.match(lines[0], /^set -- '10\.0\.0\.5' '2222' 'ops' '15' '3' 'cm-[0-9a-f]{24}'; eval "\$SNAP_SHM_SHARED_SSH" 3<<'SNAP_SHM_OPERATION'$/);
        assert.equal(lines.at(-1), "SNAP_SHM_OPERATION");
        assert.match(lines.slice(1, -1).join("\n"), new RegExp(`^sudo -n sh -c : [^\\n]*\\nsudo -n sh -s -- '(directory|apparmor|mount|self-heal)' '${action}' \\\\\\n`));
        assert.ok(!line.includes("'\\''"), "no quoting of its own");
      }
      const text = JSON.stringify({ create: i.create, delete: i.delete, stdin: i.stdin, triggers: i.triggers });
      assert.ok(!text.includes("test-only-not-a-real-key") && !text.includes(home()), part.name);
      assert.equal((part.inputs.environment as Record<string, unknown>)[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", `${part.name}: the environment is a secret`);
      assert.deepEqual(i.environment, { SNAP_SHM_SHARED_SSH: SCRIPT, SNAP_SHM_PRIVATE_KEY: KEY, SNAP_SHM_KNOWN_HOST: `[10.0.0.5]:2222 ${HOST_KEY}` });
    }
  });

  it("carries the script, without its comments, in the environment, so a stored command runs on any machine", async () => {
    const { registrations } = await sharedHost({ host: "10.0.0.5", hostKey: HOST_KEY });
    const environment = (unsecret(ofType(registrations, LOCAL)[0].inputs) as Record<string, Record<string, string>>).environment;
    assert.equal(environment.SNAP_SHM_SHARED_SSH, SCRIPT);
    const file = readFileSync(join(__dirname, "..", "..", "src", "local", "shared-ssh.sh"), "utf8");
    assert.ok(file.includes("\n# ") && !SCRIPT.includes("\n#") && SCRIPT.length < file.length, "sent without its comments");
  });

  it("gives a password and a passphrase to the script's environment, an agent socket too, and nothing when there are none", async () => {
    const env = async (connection: Record<string, unknown>) => {
      const { SNAP_SHM_SHARED_SSH, ...rest } = (unsecret(ofType((await sharedHost(connection)).registrations, LOCAL)[0].inputs) as Record<string, Record<string, string>>).environment;
      assert.equal(SNAP_SHM_SHARED_SSH, SCRIPT);
      return rest;
    };
    assert.deepEqual(await env({ host: "h.example", password: PASSWORD }), { SNAP_SHM_PASSWORD: PASSWORD });
    assert.deepEqual(await env({ host: "h.example", privateKey: KEY, privateKeyPassword: PASSWORD }), { SNAP_SHM_PRIVATE_KEY: KEY, SNAP_SHM_PRIVATE_KEY_PASSWORD: PASSWORD });
    assert.deepEqual(await env({ host: "h.example", agentSocketPath: "/run/user/1000/agent.sock" }), { SNAP_SHM_AGENT_SOCKET: "/run/user/1000/agent.sock" });
    assert.deepEqual(await env({ host: "h.example" }), {});
  });

  it("has the probe's ssh open the shared connection and keep it open for the parts", async () => {
    const { invokes, registrations } = await sharedHost({ host: "10.0.0.5", agentSocketPath: "/run/user/1000/agent.sock", hostKey: HOST_KEY });
    const command = String(invokes.find((i) => i.token === "command:local:run")?.inputs.command);
    // The socket the parts look for, named after user, host and port.
    const socket = sharedSocketName("10.0.0.5", 22, "root");
    assert.ok(String((unsecret(ofType(registrations, LOCAL)[0].inputs) as Record<string, unknown>).create).includes(` '${socket}'; eval `));
    assert.ok(command.includes(`'ControlMaster=auto' '-o' 'ControlPath=${join(home(), ".snap-shm", socket)}' '-o' 'ControlPersist=60'`), command);
  });

  it("goes through a bastion: its address, user and dial limits on the command line, its credentials in the secret environment, the socket named after both", async () => {
    const bastion = { host: "jump.example", port: 2200, user: "hop", password: PASSWORD, hostKey: HOST_KEY, dialErrorLimit: 2 };
    for (const given of ["plain", "an Output, secret for its password"]) {
      const pulumi = await import("@pulumi/pulumi");
      const proxy = given === "plain" ? bastion : pulumi.secret(bastion);
      // An agent, not a key: the probe's command is made, not run, and a made-up key would not load.
      const { invokes, registrations } = await sharedHost({ host: "10.0.0.5", user: "ops", agentSocketPath: "/run/user/1000/agent.sock", hostKey: HOST_KEY, proxy });
      const socket = sharedSocketName("10.0.0.5", 22, "ops", { host: "jump.example", port: 2200, user: "hop" });
      assert.notEqual(socket, sharedSocketName("10.0.0.5", 22, "ops"), "the same address behind another bastion is another host");
      for (const part of ofType(registrations, LOCAL)) {
        assert.notEqual((part.inputs.create as Record<string, unknown>)[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", `${given}: ${part.name}'s command line is no secret`);
        const i = unsecret(part.inputs) as Record<string, string> & { environment: Record<string, string> };
        assert.equal(i.create.split("\n")[0], `set -- '10.0.0.5' '22' 'ops' '15' '10' '${socket}' 'jump.example' '2200' 'hop' '15' '2'; eval "$SNAP_SHM_SHARED_SSH" 3<<'SNAP_SHM_OPERATION'`, given);
        assert.ok(!i.create.includes(PASSWORD) && !i.delete.includes(PASSWORD), `${given}: no password in the command line`);
        assert.deepEqual(
          i.environment,
          {
            SNAP_SHM_SHARED_SSH: SCRIPT,
            SNAP_SHM_AGENT_SOCKET: "/run/user/1000/agent.sock",
            SNAP_SHM_KNOWN_HOST: `10.0.0.5 ${HOST_KEY}`,
            SNAP_SHM_PROXY_PASSWORD: PASSWORD,
            SNAP_SHM_PROXY_KNOWN_HOST: `[jump.example]:2200 ${HOST_KEY}`,
          },
          given,
        );
      }
      const command = String(invokes.find((i) => i.token === "command:local:run")?.inputs.command);
      assert.ok(command.includes(`'ControlPath=${join(home(), ".snap-shm", socket)}'`), `${given}: the probe opens the connection the parts look for: ${command}`);
    }
  });

  it("leaves the probe's ssh without it when the host does not share", async () => {
    const { invokes, registrations } = await runUnderMocks(
      async () => {
        const r = await import("../../src/resources");
        const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest_foo" });
        return new r.SnapShmHost("h", { connection: { host: "10.0.0.5", hostKey: HOST_KEY }, snaps: [snap] });
      },
      { call: () => ({ stdout: EMPTY_PROBE, stderr: "" }) },
    );
    assert.ok(!String(invokes[0].inputs.command).includes("ControlMaster"));
    assert.equal(ofType(registrations, "command:remote:Command").length, 4);
  });

  const connection = { host: "10.0.0.5", hostKey: HOST_KEY };
  const cases: Array<[string, (r: typeof import("../../src/resources")) => unknown, string, string[]]> = [
    [
      "a setting that is not true or false",
      (r) => new r.SnapShmHost("h", { connection, connectionSharing: untyped("yes"), snaps: [] }),
      'SnapShmHost "h" args.connectionSharing: connectionSharing must be true or false',
      [],
    ],
  ];
  for (const [what, build, message, registered] of cases) {
    it(`refuses ${what} before anything of the host registers`, async () => assert.deepEqual(await refusedUnderMocks(build, message), registered));
  }

  it("refuses a home folder too long for the sockets' paths, before anything of the host registers, and takes the longest that fits", async () => {
    const saved = process.env.HOME;
    const build = (r: typeof import("../../src/resources")) => new r.SnapShmHost("h", { connection, connectionSharing: true, snaps: [] });
    try {
      // /…/.snap-shm/cm-<24 hex digits>, and ssh's 17 while it makes the socket: 107 bytes in all on Linux.
      process.env.HOME = `/${"h".repeat(52)}`;
      const socket = join(process.env.HOME, ".snap-shm", sharedSocketName("host", 22, "root"));
      const message =
        `SnapShmHost "h" args.connectionSharing: the shared connections' sockets would be paths such as ${socket}, 108 bytes with the 17 ssh adds while it makes one, ` +
        "over the 107 a Unix socket's path may have: run Pulumi with a shorter HOME, or leave connectionSharing off";
      assert.deepEqual(await refusedUnderMocks(build, message), []);
      process.env.HOME = `/${"h".repeat(51)}`;
      const { registrations } = await runUnderMocks(async () => build(await import("../../src/resources")), { call: () => ({ stdout: EMPTY_PROBE, stderr: "" }) });
      assert.deepEqual(ofType(registrations, "snap-shm:index:SnapShmHost").length, 1);
    } finally {
      process.env.HOME = saved;
    }
  });
});
