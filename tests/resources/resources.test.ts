/** The resource graph under pulumi.runtime.setMocks: what a preview or up would register. */
import { strict as assert } from "node:assert";
import { readFileSync, statSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { desiredState } from "../../src/model/desired-state";
import { InputError } from "../../src/model/input-error";
import { hostScript } from "../../src/render/host-command";
import { EMPTY_PROBE, ofType, refusedUnderMocks, Registration, runUnderMocks, SECRET_SIG, unsecret } from "../support/pulumi-mocks";
import { makeKeyPair } from "../support/ssh-keys";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtest-only-not-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";
const PASSWORD = "correct horse battery staple";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const COMMAND = "command:remote:Command";

/** A resource of another provider whose output (an address) a preview does not know yet. */
class Machine extends pulumi.CustomResource {
  declare readonly address: pulumi.Output<string>;
  constructor(name: string) {
    super("test:index:Machine", name, { address: undefined });
  }
}

async function resources() {
  return import("../../src/resources");
}

function byName(registrations: Registration[], name: string): Registration {
  const found = registrations.find((r) => r.name === name);
  assert.ok(found, `${name} is registered`);
  return found;
}

function inputs(registration: Registration): Record<string, unknown> {
  return unsecret(registration.inputs) as Record<string, unknown>;
}

describe("resources under mocks", function () {
  this.timeout(60_000);

  it("a host registers typed, parented components and one command per part, named <host>-<instance>-<role>", async () => {
    const { registrations } = await runUnderMocks(async () => {
      const r = await resources();
      const snap = new r.SnapSharedMemory("chromium", { instance: "chromium", apps: ["chromium"] });
      return new r.SnapShmHost("kiosk-1", { connection: { host: "10.0.0.5", user: "ops", privateKey: KEY, hostKey: HOST_KEY }, become: true, snaps: [snap] });
    });
    const summary = registrations.map((r) => `${r.type} ${r.name} <- ${r.parent.split("::").pop() ?? ""}`).sort();
    assert.deepEqual(summary, [
      "command:remote:Command kiosk-1-chromium-apparmor-command <- kiosk-1-chromium-apparmor",
      "command:remote:Command kiosk-1-chromium-directory-command <- kiosk-1-chromium-directory",
      "command:remote:Command kiosk-1-chromium-mount-command <- kiosk-1-chromium-mount",
      "command:remote:Command kiosk-1-chromium-self-heal-command <- kiosk-1-chromium-self-heal",
      "snap-shm:index:PrivateShm kiosk-1-chromium <- kiosk-1",
      "snap-shm:index:PrivateShmAppArmor kiosk-1-chromium-apparmor <- kiosk-1-chromium",
      "snap-shm:index:PrivateShmBindMount kiosk-1-chromium-mount <- kiosk-1-chromium",
      "snap-shm:index:PrivateShmDirectory kiosk-1-chromium-directory <- kiosk-1-chromium",
      "snap-shm:index:PrivateShmSelfHeal kiosk-1-chromium-self-heal <- kiosk-1-chromium",
      "snap-shm:index:SnapSharedMemory chromium <- ",
      "snap-shm:index:SnapShmHost kiosk-1 <- ",
    ]);
  });

  it("orders the parts directory (its apply checks the prerequisites first) → AppArmor → mount → self-heal, each replaced delete-first", async () => {
    const { registrations } = await runUnderMocks(async () => {
      const r = await resources();
      const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest_foo" });
      return new r.SnapShmHost("h", { connection: { host: "h.example", hostKey: HOST_KEY }, snaps: [snap] });
    });
    const urn = (name: string) => byName(registrations, name).urn;
    const deps = (name: string) => byName(registrations, name).dependencies;
    assert.deepEqual(deps("h-shmtest_foo-directory-command"), []);
    assert.match(String(inputs(byName(registrations, "h-shmtest_foo-directory-command")).create), /^sh -s -- 'directory' 'apply' \\\n/);
    assert.ok(String(inputs(byName(registrations, "h-shmtest_foo-directory-command")).stdin).includes("\nprerequisites_check() {\n"), "the directory apply carries the check");
    assert.ok(deps("h-shmtest_foo-apparmor-command").includes(urn("h-shmtest_foo-directory-command")));
    assert.deepEqual(deps("h-shmtest_foo-mount-command"), [urn("h-shmtest_foo-apparmor-command")]);
    // Self-heal last, so it is removed first: a heal left watching would undo the removal of the others.
    assert.ok(deps("h-shmtest_foo-self-heal-command").includes(urn("h-shmtest_foo-mount-command")));
    assert.equal(ofType(registrations, COMMAND).length, 4);
    for (const command of ofType(registrations, COMMAND)) {
      assert.equal(command.deleteBeforeReplace, true, command.name);
      const i = inputs(command);
      assert.deepEqual(i.triggers, ["h.example", 22], command.name);
      assert.equal(i.addPreviousOutputInEnv, false, command.name);
      assert.equal(i.environment, undefined, command.name);
    }
    for (const component of registrations.filter((r) => !r.custom)) assert.equal(component.deleteBeforeReplace, false);
  });

  it("keeps keys and passwords in the secret connection and nowhere else", async () => {
    const { registrations, warnings } = await runUnderMocks(async () => {
      const r = await resources();
      const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest" });
      return new r.SnapShmFleet("fleet", {
        hosts: [
          { name: "a", connection: { host: "10.0.0.1", privateKey: KEY, privateKeyPassword: PASSWORD, hostKey: HOST_KEY }, snaps: [snap] },
          { name: "b", connection: { host: "10.0.0.2", user: "ops", password: PASSWORD, hostKey: HOST_KEY, proxy: { host: "bastion", privateKey: KEY } }, become: true, snaps: [snap] },
        ],
      });
    });
    assert.equal(ofType(registrations, COMMAND).length, 8);
    for (const command of ofType(registrations, COMMAND)) {
      const raw = command.inputs.connection as Record<string, unknown>;
      assert.equal(raw[SECRET_SIG], "1b47061264138c4ac30d75fd1eb44270", `${command.name}: connection is a secret`);
      const { connection, ...rest } = inputs(command);
      const elsewhere = JSON.stringify(rest);
      for (const secret of [KEY, PASSWORD, "test-only-not-a-real-key"]) assert.ok(!elsewhere.includes(secret), `${command.name}: secret outside connection`);
      assert.ok(JSON.stringify(connection).length > 0);
    }
    for (const component of registrations.filter((r) => !r.custom)) {
      const text = JSON.stringify(unsecret(component.inputs));
      assert.ok(!text.includes("test-only-not-a-real-key") && !text.includes(PASSWORD), component.name);
    }
    assert.ok(warnings.every((w) => !w.includes("test-only-not-a-real-key") && !w.includes(PASSWORD)));
  });

  it("warns once per host without hostKey, and not with one", async () => {
    const { warnings } = await runUnderMocks(async () => {
      const r = await resources();
      const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest" });
      return new r.SnapShmFleet("fleet", {
        hosts: [
          { name: "pinned", connection: { host: "10.0.0.1", hostKey: HOST_KEY }, snaps: [snap] },
          { name: "open", connection: { host: "10.0.0.2" }, snaps: [snap] },
        ],
      });
    });
    assert.deepEqual(warnings, [
      "host fleet-open: no hostKey is given, so the SSH host key of 10.0.0.2 is not checked at all; set connection.hostKey to the host's public key line",
    ]);
  });

  it("gives every resource of a 50-host, 2-snap fleet a unique URN", async () => {
    const { registrations } = await runUnderMocks(async () => {
      const r = await resources();
      const snaps = [new r.SnapSharedMemory("chromium", { instance: "chromium" }), new r.SnapSharedMemory("code", { instance: "code_insiders", apps: ["code"] })];
      return new r.SnapShmFleet("kiosks", {
        hosts: Array.from({ length: 50 }, (_, i) => ({ name: `kiosk-${i}`, connection: { host: `10.0.1.${i + 1}`, hostKey: HOST_KEY }, snaps })),
      });
    });
    const urns = registrations.map((r) => r.urn);
    assert.equal(urns.length, 1 + 2 + 50 * (1 + 2 * 9));
    assert.equal(new Set(urns).size, urns.length);
    assert.equal(ofType(registrations, COMMAND).length, 50 * 2 * 4);
  });

  it("puts every rendered value into the commands, one quoted line each", async () => {
    const { registrations } = await runUnderMocks(async () => {
      const r = await resources();
      const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest_foo", apps: ["app"], hooks: ["configure"], snapdVersion: "2.58.3" });
      return new r.SnapShmHost("h", { connection: { host: "h", hostKey: HOST_KEY }, snaps: [snap] });
    });
    const state = desiredState("shmtest_foo", { apps: ["app"], hooks: ["configure"], snapdVersion: "2.58.3" });
    const create = (name: string) => String(inputs(byName(registrations, name)).create);
    const directory = create("h-shmtest_foo-directory-command");
    for (const line of [`'path=${state.directory.path}'`, `'mode=${state.directory.mode}'`, `'owner=root'`, `'group=root'`, `'instance=shmtest_foo'`]) {
      assert.ok(directory.split(" \\\n  ").includes(line) || directory.includes(`${line} \\`) || directory.endsWith(line), line);
    }
    const mount = create("h-shmtest_foo-mount-command");
    assert.ok(mount.includes(`'profile=${state.mountProfile.path}'`));
    assert.ok(mount.includes(`'entry=${state.mountProfile.entry}'`));
    const appArmor = create("h-shmtest_foo-apparmor-command");
    assert.ok(appArmor.includes(`'app-snippet=${state.appArmor.appSnippet}'`));
    assert.ok(appArmor.includes(`'update-ns-snippet=${state.appArmor.updateNsSnippet}'`));
    assert.ok(appArmor.includes(`'profiles=${state.appArmor.profiles.join(" ")}'`));
    assert.ok(appArmor.split("\n").includes('"/dev/shm/*" mrwlkix,'), "the rule is a line of its own");
    const removal = String(inputs(byName(registrations, "h-shmtest_foo-directory-command")).delete);
    assert.match(removal, /^sh -s -- 'directory' 'remove' \\\n {2}'instance=shmtest_foo' \\\n/);
    assert.ok(removal.endsWith("'purge=no'"));
  });

  it("runs the operations through sudo -n with a clear refusal when become is set", async () => {
    const { registrations } = await runUnderMocks(async () => {
      const r = await resources();
      return new r.PrivateShmDirectory("d", { instance: "shmtest", connection: { host: "h", user: "ops", hostKey: HOST_KEY }, become: true, purge: true });
    });
    const i = inputs(byName(registrations, "d-command"));
    assert.match(String(i.create), /^sudo -n sh -c : 2>\/dev\/null \|\| \{ echo 'snap-shm: sudo -n failed: [^']*' >&2;[^\n]* exit 1; \}\nsudo -n sh -s -- 'directory' 'apply'/);
    assert.match(String(i.delete), /'purge=yes'$/);
  });

  it("leaves the rule to the host's snapd when no version is given, and writes the pinned version's rule otherwise", async () => {
    const appArmorCreate = async (snapdVersion?: string) => {
      const { registrations } = await runUnderMocks(async () => {
        const r = await resources();
        const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest", snapdVersion });
        return new r.SnapShmHost("h", { connection: { host: "h", hostKey: HOST_KEY }, snaps: [snap] });
      });
      return ["apparmor", "self-heal"].map((part) => String(inputs(byName(registrations, `h-shmtest-${part}-command`)).create));
    };
    for (const create of await appArmorCreate()) {
      assert.ok(create.includes("\n  'generation=auto'"), create);
      assert.ok(create.includes("\n  'app-snippet-single-level=") && create.includes('"/dev/shm/*" mrwlkix,'));
      assert.ok(create.includes("\n  'app-snippet-recursive=") && create.includes('"/dev/shm/**" mrwlkix,'));
      assert.ok(!create.includes("\n  'app-snippet="));
    }
    for (const create of await appArmorCreate("2.57.6")) {
      assert.ok(!create.includes("'generation="), create);
      assert.ok(create.includes("\n  'app-snippet=") && create.includes('"/dev/shm/*" mrwlkix,'));
      assert.ok(!create.includes('"/dev/shm/**" mrwlkix,'));
    }
  });

  it("reports each part's result and a per-host summary from the result lines", async () => {
    const line = (part: string, changed: string[]) =>
      JSON.stringify({ snapShm: 1, part, action: "apply", instance: "shmtest", ok: true, found: { part }, changed, notes: [], ...(part === "directory" ? { host: { snapdVersion: "2.61.3" } } : {}) });
    const { value } = await runUnderMocks(
      async () => {
        const r = await resources();
        const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest" });
        return new r.SnapShmHost("h", { connection: { host: "h", hostKey: HOST_KEY }, snaps: [snap] });
      },
      {
        newResource: (args) => {
          const part = /-(directory|apparmor|mount|self-heal)-command$/.exec(args.name)?.[1] ?? "";
          return { ...args.inputs, stdout: args.type === COMMAND ? line(part, [`${part} changed`]) : "" };
        },
      },
    );
    const summary = await new Promise((resolve) => value.summary.apply(resolve));
    assert.deepEqual(summary, {
      shmtest: {
        instance: "shmtest",
        mode: "managed",
        modeReason: "auto: the host's snapd version is unknown, so snap-shm manages it",
        host: { snapdVersion: "2.61.3" },
        changed: ["directory changed", "apparmor changed", "mount changed", "self-heal changed"],
        notes: [],
        selfHeal: { enabled: true, active: false, lastSelfHeal: null, repairs: 0 },
      },
    });
  });

  describe("refuses bad input before registering anything", () => {
    const cases: Array<[string, (r: Awaited<ReturnType<typeof resources>>) => unknown, string]> = [
      ["a bad snap name", (r) => new r.SnapSharedMemory("x", { instance: "Chromium" }), 'SnapSharedMemory "x" args.instance: invalid snap name: "Chromium"'],
      ["a bad instance key", (r) => new r.SnapSharedMemory("x", { instance: "chromium_Beta" }), 'SnapSharedMemory "x" args.instance: invalid instance key: "Beta"'],
      ["a bad app", (r) => new r.SnapSharedMemory("x", { instance: "chromium", apps: ["ok", "no good"] }), 'SnapSharedMemory "x" args.apps[1]: invalid app name: "no good"'],
      ["a quoted private", (r) => new r.SnapSharedMemory("x", { instance: "chromium", plug: { attributes: { private: "true" } } }), 'SnapSharedMemory "x" args.plug: shared-memory "private" attribute must be a bool, not true'],
      ["a shared-memory name with private", (r) => new r.SnapSharedMemory("x", { instance: "chromium", plug: { attributes: { private: true, "shared-memory": "x" } } }), 'SnapSharedMemory "x" args.plug: shared-memory "shared-memory" attribute must not be set together with "private: true"'],
      ["a plug that is not private", (r) => new r.SnapSharedMemory("x", { instance: "chromium", plug: { attributes: {} } }), 'SnapSharedMemory "x" args.plug: plug "shared-memory" is not private: set "private: true" for a private /dev/shm'],
      ["a bad plug name", (r) => new r.SnapSharedMemory("x", { instance: "chromium", plug: { name: "Shm" } }), 'SnapSharedMemory "x" args.plug: invalid plug name: "Shm"'],
      ["an old snapd", (r) => new r.SnapSharedMemory("x", { instance: "chromium", snapdVersion: "2.54.3" }), 'SnapSharedMemory "x" args.snapdVersion: snapd 2.54.3 has no private shared memory: it needs snapd 2.55.3 or newer'],
      ["a hostile host", (r) => new r.PrivateShmDirectory("d", { instance: "chromium", connection: { host: "h; rm -rf /" } }), 'PrivateShmDirectory "d" args.connection.host: invalid host address "h; rm -rf /": expected a host name (RFC 1123) or an IP address'],
      ["a hostile user", (r) => new r.PrivateShmBindMount("m", { instance: "chromium", connection: { host: "h", user: "$(id)" } }), 'PrivateShmBindMount "m" args.connection.user: invalid user name "$(id)": expected a POSIX user name such as "ops" or "root"'],
      ["a bad port", (r) => new r.PrivateShmAppArmor("a", { instance: "chromium", connection: { host: "h", port: 70000 } }), 'PrivateShmAppArmor "a" args.connection.port: invalid port 70000: expected a whole number from 1 to 65535'],
      ["a bad host key", (r) => new r.PrivateShmAppArmor("a", { instance: "chromium", connection: { host: "h", hostKey: "ssh-ed25519 AAAA\nx" } }), 'PrivateShmAppArmor "a" args.connection.hostKey: invalid host key (not shown: it looks like a private key, which never goes here): expected one OpenSSH public key line, such as "ssh-ed25519 AAAAC3Nza..."'],
      ["a bad proxy", (r) => new r.PrivateShmAppArmor("a", { instance: "chromium", connection: { host: "h", proxy: { host: "../etc" } } }), 'PrivateShmAppArmor "a" args.connection.proxy.host: invalid host address "../etc": expected a host name (RFC 1123) or an IP address'],
      ["a bad dial limit", (r) => new r.PrivateShmAppArmor("a", { instance: "chromium", connection: { host: "h", dialErrorLimit: 1.5 } }), 'PrivateShmAppArmor "a" args.connection.dialErrorLimit: invalid dialErrorLimit 1.5: expected -1 (no limit) or a whole number of attempts from 0 to 1000000'],
      ["a hostile host name in a fleet", (r) => new r.SnapShmFleet("f", { hosts: [{ name: "a$(x)", connection: { host: "h" }, snaps: [] }] }), 'SnapShmFleet "f" args.hosts[0].name: invalid host name "a$(x)": expected letters, digits, ".", "_" and "-", up to 63 characters'],
      ["a host name used twice", (r) => new r.SnapShmFleet("f", { hosts: [{ name: "a", connection: { host: "h" }, snaps: [] }, { name: "a", connection: { host: "g" }, snaps: [] }] }), 'SnapShmFleet "f" args.hosts[1].name: host name "a" is used twice'],
      ["a bad connection on a later host of a fleet, before the fleet or any host registers", (r) => new r.SnapShmFleet("f", { hosts: [{ name: "a", connection: { host: "h" }, snaps: [] }, { name: "b", connection: { host: "g", port: 0 }, snaps: [] }] }), 'SnapShmFleet "f" args.hosts[1].connection.port: invalid port 0: expected a whole number from 1 to 65535'],
    ];
    for (const [what, build, message] of cases) {
      it(what, async () => {
        assert.deepEqual(await refusedUnderMocks(build, message), []);
      });
    }

    it("two hosts of a fleet whose resources would share names, before anything of the fleet registers", async () => {
      let thrown: unknown;
      const { registrations } = await runUnderMocks(async () => {
        const r = await resources();
        const [cd, bcd] = [new r.SnapSharedMemory("cd", { instance: "cd" }), new r.SnapSharedMemory("b-cd", { instance: "b-cd" })];
        try {
          new r.SnapShmFleet("f", { hosts: [{ name: "a-b", connection: { host: "h" }, snaps: [cd] }, { name: "a", connection: { host: "g" }, snaps: [bcd] }] });
        } catch (error) {
          thrown = error;
        }
      });
      assert.equal(
        (thrown as Error).message,
        'SnapShmFleet "f" args.hosts[1].snaps[0]: host "a" with snap instance "b-cd" would name its resources "f-a-b-cd-…", as host "a-b" with snap instance "cd" does; rename one of the hosts',
      );
      assert.deepEqual(registrations.map((r) => r.type), ["snap-shm:index:SnapSharedMemory", "snap-shm:index:SnapSharedMemory"]);
    });

    it("an instance listed twice on a host, before the host registers", async () => {
      let thrown: unknown;
      const { registrations } = await runUnderMocks(async () => {
        const r = await resources();
        const snap = new r.SnapSharedMemory("s", { instance: "shmtest" });
        try {
          new r.SnapShmHost("h", { connection: { host: "h" }, snaps: [snap, { snap, purge: true }] });
        } catch (error) {
          thrown = error;
        }
      });
      assert.equal((thrown as Error).message, 'SnapShmHost "h" args.snaps[1]: snap instance "shmtest" is listed twice for this host');
      assert.deepEqual(registrations.map((r) => r.type), ["snap-shm:index:SnapSharedMemory"]);
    });
  });
});

describe("drift-aware hosts under mocks", function () {
  this.timeout(60_000);

  const probeLine = (part: string, inSync: boolean, revision: number, differs: string[] = []) =>
    JSON.stringify({ snapShm: 1, part, action: "probe", instance: "shmtest", ok: true, found: {}, changed: [], notes: [], inSync, differs, revision });
  const hostLine = (ok: boolean, error?: string) => JSON.stringify({ snapShm: 1, part: "host", action: "probe", instance: "", ok, found: {}, changed: [], notes: [], ...(error ? { error } : {}) });

  async function withProbe(stdout: string, extra: { driftDetection?: boolean; privateKey?: string; password?: string } = {}) {
    const run = await runUnderMocks(
      async () => {
        const r = await resources();
        const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest" });
        return new r.SnapShmHost("h", {
          connection: { host: "10.0.0.9", user: "ops", hostKey: HOST_KEY, privateKey: extra.privateKey, password: extra.password },
          become: true,
          snaps: [snap],
          driftDetection: extra.driftDetection,
        });
      },
      { call: (args) => ({ ...args.inputs, stdout, stderr: "" }) },
    );
    const create = (part: string) => String(inputs(byName(run.registrations, `h-shmtest-${part}-command`)).create);
    return { ...run, create };
  }

  it("keeps each part's recorded revision while it is in sync", async () => {
    const { create, warnings, invokes } = await withProbe(
      [probeLine("directory", true, 3), probeLine("apparmor", true, 2), probeLine("mount", true, 5), hostLine(true)].join("\n"),
    );
    assert.ok(create("directory").endsWith(" \\\n  'revision=3'"));
    assert.ok(create("apparmor").endsWith(" \\\n  'revision=2'"));
    assert.ok(create("mount").endsWith(" \\\n  'revision=5'"));
    assert.deepEqual(warnings, []);
    assert.equal(invokes.length, 1, "one probe for the host");
  });

  it("gives a drifted part the next revision, says what differs, and leaves the others alone", async () => {
    const { create, warnings } = await withProbe(
      [probeLine("directory", false, 3, ["mode=755"]), probeLine("apparmor", true, 2), probeLine("mount", true, 5), hostLine(true)].join("\n"),
    );
    assert.ok(create("directory").endsWith("'revision=4'"));
    assert.ok(create("apparmor").endsWith("'revision=2'"));
    assert.deepEqual(warnings, ["h-shmtest: the directory part differs on the host (mode=755); up applies it again"]);
  });

  it("applies every part again, and says why, when the probe could not run", async () => {
    const { create, warnings } = await withProbe(hostLine(false, "ssh to 10.0.0.9 failed with exit status 255"));
    assert.ok(!create("directory").includes("revision="));
    assert.deepEqual(warnings, ["host h: the drift probe failed (ssh to 10.0.0.9 failed with exit status 255); its parts will be applied again"]);
  });

  it("registers none of the parts of a host whose sshd accepts and never answers, and says why, by how its parts connect", async () => {
    const silent = hostLine(false, "ssh to 10.0.0.9 failed with exit status 255: Connection timed out during banner exchange");
    for (const connectionSharing of [false, true]) {
      for (const fleet of [false, true]) {
        const run = await runUnderMocks(
          async () => {
            const r = await resources();
            const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest" });
            const connection = (host: string) => ({ host, hostKey: HOST_KEY });
            if (!fleet) return new r.SnapShmHost("h", { connection: connection("10.0.0.9"), snaps: [snap], connectionSharing });
            return new r.SnapShmFleet("f", {
              hosts: [
                { name: "a", connection: connection("10.0.0.8"), snaps: [snap] },
                { name: "h", connection: connection("10.0.0.9"), snaps: [snap], connectionSharing },
              ],
            });
          },
          { tolerateFailures: true, call: (args) => ({ ...args.inputs, stdout: String(args.inputs.command).includes("10.0.0.9") ? silent : hostLine(true), stderr: "" }) },
        );
        const label = `${fleet ? "in a fleet, no host" : "alone"}${connectionSharing ? ", sharing its connection" : ""}`;
        assert.deepEqual(ofType(run.registrations, "snap-shm:index:PrivateShm"), [], `${label}: no snap component registers`);
        assert.deepEqual(ofType(run.registrations, COMMAND), [], `${label}: no operation registers`);
        assert.deepEqual(ofType(run.registrations, "command:local:Command"), [], `${label}: no shared operation registers`);
        const wait = connectionSharing
          ? fleet
            ? "each of their parts' OpenSSH would wait for them until its connection timed out (connection.perDialTimeout), then fail"
            : "each of its parts' OpenSSH would wait for it until its connection timed out (connection.perDialTimeout), then fail"
          : fleet
            ? "the command provider's SSH client would wait for them without limit and hold the run"
            : "the command provider's SSH client would wait for it without limit and hold the run";
        const expected = fleet
          ? `rollout stopped before any host was changed: 1 host(s) accepted the SSH connection and never answered (h); ${wait}: restart their sshd, or take them out of the inventory`
          : `host h: its sshd accepted the SSH connection and never answered (the drift probe timed out in the banner exchange), so none of its parts is applied: ${wait}; restart its sshd, or take the host out of the program`;
        assert.ok(run.failures.some((f) => f.includes(expected)), `${label}: ${run.failures.join("\n")}`);
        assert.deepEqual(run.warnings, [], `${label}: an error, not a warning`);
      }
    }
  });

  it("previews every part of a host whose address is not known yet (another resource's output)", async () => {
    for (const fleet of [false, true]) {
      const run = await runUnderMocks(
        async () => {
          const r = await resources();
          // A machine the same program creates: its address is unknown until it exists.
          const { address } = new Machine("machine");
          const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest" });
          const connection = { host: address, hostKey: HOST_KEY, privateKey: KEY };
          return fleet ? new r.SnapShmFleet("f", { hosts: [{ name: "h", connection, snaps: [snap] }] }) : new r.SnapShmHost("h", { connection, snaps: [snap] });
        },
        { preview: true, newResource: (args) => (args.type === "test:index:Machine" ? {} : { ...args.inputs, stdout: "" }) },
      );
      assert.equal(run.invokes.length, 0, "nothing to probe yet");
      assert.deepEqual(
        ofType(run.registrations, COMMAND).map((c) => c.name.replace(/^f-/, "")).sort(),
        ["h-shmtest-apparmor-command", "h-shmtest-directory-command", "h-shmtest-mount-command", "h-shmtest-self-heal-command"],
        fleet ? "in a fleet" : "alone",
      );
    }
  });

  it("probes nothing when drift detection is off", async () => {
    const { create, invokes } = await withProbe("", { driftDetection: false });
    assert.equal(invokes.length, 0);
    assert.ok(!create("mount").includes("revision="));
  });

  it("sends the probe the host's script from a file of its own, not in the invoke, and no secret in its command", async () => {
    const key = makeKeyPair();
    const { invokes } = await withProbe(hostLine(true), { privateKey: key.privateKey, password: PASSWORD });
    const args = unsecret(invokes[0].inputs) as { command: string; stdin?: string };
    assert.equal(invokes[0].token, "command:local:run");
    assert.ok(!args.command.includes(key.privateKey.split("\n")[1]) && !args.command.includes(PASSWORD));
    assert.match(args.command, /'IdentityAgent=\/tmp\/snap-shm-probe-[^/]+\/agent-[0-9a-f]+\.sock'/);
    assert.match(args.command, /^'env' 'SSH_ASKPASS=\/tmp\/snap-shm-probe-[^']+' 'SSH_ASKPASS_REQUIRE=force' 'DISPLAY=:0' 'ssh' /);
    assert.ok(args.command.includes("'StrictHostKeyChecking=yes'"));
    // 69 KB, the same for every host: in each invoke it would go to the engine and back.
    assert.equal(args.stdin, undefined);
    const script = /' < '(\/tmp\/snap-shm-probe-[^/']+\/host-script-[0-9a-f]{16}\.sh)' \|\| /.exec(args.command)?.[1];
    assert.ok(script, args.command);
    assert.equal(readFileSync(script, "utf8"), hostScript("host"));
    assert.equal(statSync(script).mode & 0o777, 0o600);
    assert.ok(args.command.includes("sudo -n sh -s -- '\\''host'\\'' '\\''probe'\\''"));
  });
});

describe("hostile values in every string argument are refused before anything registers", function () {
  this.timeout(60_000);
  const hostile = ["a'b", 'a"b', "$(id)", "`id`", "a\nb", "../etc", "a;b", "a b"];
  type Resources = Awaited<ReturnType<typeof resources>>;
  const fields: Array<[string, (r: Resources, v: string) => unknown]> = [
    ["instance", (r, v) => new r.SnapSharedMemory("s", { instance: v })],
    ["apps", (r, v) => new r.SnapSharedMemory("s", { instance: "shm", apps: [v] })],
    ["hooks", (r, v) => new r.SnapSharedMemory("s", { instance: "shm", hooks: [v] })],
    ["plug.name", (r, v) => new r.SnapSharedMemory("s", { instance: "shm", plug: { name: v } })],
    ["snapdVersion", (r, v) => new r.SnapSharedMemory("s", { instance: "shm", snapdVersion: `2.61${v}` })],
    ["part instance", (r, v) => new r.PrivateShmDirectory("d", { instance: v, connection: { host: "h" } })],
    ["connection.host", (r, v) => new r.PrivateShmDirectory("d", { instance: "shm", connection: { host: v } })],
    ["connection.user", (r, v) => new r.PrivateShmDirectory("d", { instance: "shm", connection: { host: "h", user: v } })],
    ["connection.hostKey", (r, v) => new r.PrivateShmDirectory("d", { instance: "shm", connection: { host: "h", hostKey: `ssh-ed25519 AAAA${v}x` } })],
    ["connection.agentSocketPath", (r, v) => new r.PrivateShmDirectory("d", { instance: "shm", connection: { host: "h", agentSocketPath: v } })],
    ["connection.proxy.host", (r, v) => new r.PrivateShmDirectory("d", { instance: "shm", connection: { host: "h", proxy: { host: v } } })],
    ["connection.proxy.user", (r, v) => new r.PrivateShmDirectory("d", { instance: "shm", connection: { host: "h", proxy: { host: "b", user: v } } })],
    ["fleet host name", (r, v) => new r.SnapShmFleet("f", { hosts: [{ name: v, connection: { host: "h" }, snaps: [] }] })],
  ];
  for (const [field, build] of fields) {
    it(field, async () => {
      for (const value of hostile) {
        // A space is fine in a socket path and a key comment; everything else is refused.
        if ((field === "connection.agentSocketPath" && !value.includes("\n") && !value.startsWith(".")) || (field === "connection.hostKey" && value === "a b")) continue;
        let thrown: unknown;
        const { registrations } = await runUnderMocks(async () => {
          const r = await resources();
          try {
            build(r, field === "connection.agentSocketPath" ? (value.startsWith(".") ? value : `/run/${value}`) : value);
          } catch (error) {
            thrown = error;
          }
        });
        assert.ok(thrown instanceof InputError, `${field} = ${JSON.stringify(value)} was accepted`);
        assert.deepEqual(registrations, [], `${field} = ${JSON.stringify(value)}: nothing registered`);
      }
    });
  }
});

describe("a fleet's order under mocks", function () {
  this.timeout(60_000);

  it("holds the rollout order across a batch whose host has no snaps", async () => {
    const { registrations } = await runUnderMocks(async () => {
      const r = await resources();
      const snap = new r.SnapSharedMemory("s", { instance: "shmtest" });
      return new r.SnapShmFleet("f", {
        rollout: { batchSize: 1 },
        hosts: [
          { name: "a", connection: { host: "a.example", hostKey: HOST_KEY }, snaps: [snap] },
          { name: "b", connection: { host: "b.example", hostKey: HOST_KEY }, snaps: [] },
          { name: "c", connection: { host: "c.example", hostKey: HOST_KEY }, snaps: [snap] },
        ],
      });
    });
    const aCommands = ofType(registrations, COMMAND).filter((c) => c.name.startsWith("f-a-")).map((c) => c.urn);
    assert.equal(aCommands.length, 4);
    const waits = byName(registrations, "f-c-shmtest-directory-command").dependencies;
    for (const urn of aCommands) assert.ok(waits.includes(urn), `c waits for ${urn}`);
  });

  it("makes every host's probe and operations wait for the fleet's own dependsOn", async () => {
    // The machine takes a while to be made; the probe must not run before it exists.
    const events: string[] = [];
    const { registrations } = await runUnderMocks(
      async () => {
        const r = await resources();
        const machine = new Machine("vm");
        const snap = new r.SnapSharedMemory("s", { instance: "shmtest" });
        return new r.SnapShmFleet("f", { hosts: [{ name: "a", connection: { host: "a.example", hostKey: HOST_KEY }, snaps: [snap] }] }, { dependsOn: [machine] });
      },
      {
        newResource: async (args) => {
          if (args.name === "vm") {
            await new Promise((resolve) => setTimeout(resolve, 300));
            events.push("machine made");
          }
          return { ...args.inputs, stdout: "", stderr: "" };
        },
        call: (args) => {
          events.push("probe");
          return { ...args.inputs, stdout: EMPTY_PROBE, stderr: "" };
        },
      },
    );
    assert.deepEqual(events, ["machine made", "probe"]);
    assert.ok(byName(registrations, "f-a-shmtest-directory-command").dependencies.includes(byName(registrations, "vm").urn));
  });
});
