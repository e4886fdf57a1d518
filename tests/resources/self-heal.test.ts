/** The self-heal part under pulumi.runtime.setMocks: when it registers, what it is given, how drift reaches it. */
import { strict as assert } from "node:assert";
import { InputError } from "../../src/model/input-error";
import { ofType, Registration, runUnderMocks, unsecret } from "../support/pulumi-mocks";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const COMMAND = "command:remote:Command";

const probeLine = (part: string, inSync: boolean, revision: number, differs: string[] = [], found: Record<string, unknown> = {}) =>
  JSON.stringify({ snapShm: 1, part, action: "probe", instance: "shmtest", ok: true, found, changed: [], notes: [], inSync, differs, revision, mode: "managed" });
const hostLine = JSON.stringify({ snapShm: 1, part: "host", action: "probe", instance: "", ok: true, found: {}, changed: [], notes: [] });

async function host(options: { selfHeal?: boolean; mode?: "managed" | "native"; probe?: string } = {}) {
  return runUnderMocks(
    async () => {
      const r = await import("../../src/resources");
      const snap = new r.SnapSharedMemory("shmtest", { instance: "shmtest", apps: ["app"] });
      return new r.SnapShmHost("h", { connection: { host: "h", hostKey: HOST_KEY }, snaps: [{ snap, selfHeal: options.selfHeal, mode: options.mode ?? "managed" }] });
    },
    options.probe === undefined ? {} : { call: (args) => ({ ...args.inputs, stdout: options.probe, stderr: "" }) },
  );
}

function create(registrations: Registration[], name: string): string {
  const found = registrations.find((r) => r.name === name);
  assert.ok(found, `${name} is registered`);
  return String((unsecret(found.inputs) as { create: string }).create);
}

describe("the self-heal part under mocks", function () {
  this.timeout(60_000);

  it("is on by default: a PrivateShmSelfHeal whose command installs with every part's apply arguments and removes by instance", async () => {
    const { registrations, invokes } = await host();
    assert.equal(registrations.filter((r) => r.type === "snap-shm:index:PrivateShmSelfHeal").length, 1);
    const command = unsecret(registrations.find((r) => r.name === "h-shmtest-self-heal-command")!.inputs) as { create: string; delete: string; stdin: string };
    assert.match(command.create, /^sh -s -- 'self-heal' 'apply' \\\n/);
    for (const key of ["instance", "operation-mode", "path", "mode", "owner", "group", "profiles", "profile", "entry", "generation", "app-snippet-single-level", "app-snippet-recursive", "update-ns-snippet"]) {
      assert.ok(command.create.includes(`\n  '${key}=`), key);
    }
    assert.ok(command.create.includes("\n  'generation=auto'"), "no snapd version on the snap: the heal writes the rule of the snapd it runs under");
    assert.equal(command.delete, "sh -s -- 'self-heal' 'remove' \\\n  'instance=shmtest'");
    assert.ok(command.stdin.includes("\nheal_entry='"), "the script carries the heal program");
    assert.ok(String((unsecret(invokes[0].inputs) as { command: string }).command).includes("self-heal=yes"), "the probe is told to expect it");
  });

  it("selfHeal: false registers no self-heal part, and the probe expects none", async () => {
    const { registrations, invokes } = await host({ selfHeal: false });
    assert.equal(registrations.filter((r) => r.name.includes("self-heal")).length, 0);
    assert.equal(ofType(registrations, COMMAND).length, 3);
    assert.ok(String((unsecret(invokes[0].inputs) as { command: string }).command).includes("self-heal=no"));
  });

  it("carries the operation mode, so a move to native mode takes self-heal away, and the summary says it is off", async () => {
    const { registrations, value } = await host({ mode: "native" });
    assert.ok(create(registrations, "h-shmtest-self-heal-command").includes("\n  'operation-mode=native' \\\n"));
    const summary = await new Promise<Record<string, { selfHeal: { enabled: boolean } }>>((resolve) => value.summary.apply((v) => resolve(v as never)));
    assert.equal(summary.shmtest.selfHeal.enabled, false, "native mode installs no heal");
  });

  it("a self-heal the probe finds missing or failed gets the next revision, and a warning says why", async () => {
    const probe = [
      probeLine("directory", true, 1),
      probeLine("apparmor", true, 1),
      probeLine("mount", true, 1),
      probeLine("self-heal", false, 2, ["path=failed"], { systemd: "running", lastSelfHeal: "2026-01-02T03:04:05Z", repairs: 7 }),
      hostLine,
    ].join("\n");
    const { registrations, warnings, value } = await host({ probe });
    assert.ok(create(registrations, "h-shmtest-self-heal-command").endsWith("'revision=3'"));
    assert.ok(create(registrations, "h-shmtest-mount-command").endsWith("'revision=1'"));
    assert.deepEqual(warnings, ["h-shmtest: the self-heal part differs on the host (path=failed); up applies it again"]);
    const summary = await new Promise<Record<string, { selfHeal: unknown }>>((resolve) => value.summary.apply((v) => resolve(v as never)));
    assert.deepEqual(summary.shmtest.selfHeal, { enabled: true, active: false, lastSelfHeal: "2026-01-02T03:04:05Z", repairs: 7 });
  });

  it("refuses a hostile instance on the part itself, before anything registers", async () => {
    let refused: unknown;
    const { registrations } = await runUnderMocks(async () => {
      const r = await import("../../src/resources");
      try {
        new r.PrivateShmSelfHeal("s", { instance: "shm$(id)", connection: { host: "h" } });
      } catch (error) {
        refused = error;
      }
    });
    assert.ok(refused instanceof InputError);
    assert.equal((refused as Error).message, 'PrivateShmSelfHeal "s" args.instance: invalid snap name: "shm$(id)"');
    assert.deepEqual(registrations, []);
  });
});
