/**
 * Self-heal on test hosts: the exact commands the resources register install it; a test
 * rewrites the instance's files the way snapd does (profiles replaced without the blocks,
 * the mount profile deleted, the bind undone by snapd's real snap-update-ns); the repair
 * runs exactly as the service's ExecStart line says; the host's real state is asserted
 * (files, the mount table inside the snap's namespace). A test host runs no systemd: where
 * a test needs the path systemd takes, a recording stand-in for systemctl answers.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desiredState } from "../../src/model/desired-state";
import { hostProbeCommandLine, hostScript } from "../../src/render/host-command";
import { parseHostProbe, selfHealProbe } from "../../src/render/host-probe";
import { parseOperationResult } from "../../src/render/operation-result";
import { probeArguments, profileList } from "../../src/render/part-arguments";
import { appProfile, updateNsProfile } from "../fixtures/snapd-profiles";
import { applyParts, RegisteredCommand, runOperation, snapPartCommands } from "../support/registered-commands";
import { TestHost } from "../support/test-host";

const I = "shmtest_foo";
const PROFILES = "/var/lib/snapd/apparmor/profiles";
const FSTAB = `/var/lib/snapd/mount/snap.${I}.fstab`;
const ENTRY = `/dev/shm/snap.${I} /dev/shm none bind,rw 0 0`;
const UNITS = "/etc/systemd/system";
const SERVICE = `${UNITS}/snap-shm-heal-${I}.service`;
const PATH_UNIT = `${UNITS}/snap-shm-heal-${I}.path`;
const HEAL = `/var/lib/snap-shm/${I}/heal.sh`;
const RECORD = `/var/lib/snap-shm/${I}/last-self-heal`;
const PARTS = ["directory-command", "apparmor-command", "mount-command", "self-heal-command"] as const;
const SNAP_PROFILES = [`snap-update-ns.${I}`, `snap.${I}.app`, `snap.${I}.hook.configure`];
// Everything a heal may write, and what snapd and systemd look at.
const FOLDERS = ["/var/lib/snapd", "/etc/tmpfiles.d", UNITS, "/var/lib/snap-shm", "/run/snap-shm", "/dev/shm"];

type Commands = Record<(typeof PARTS)[number], RegisteredCommand>;

function commandsFor(options: { mode?: "managed" | "native"; apps?: string[] } = {}): Promise<Commands> {
  return snapPartCommands(I, PARTS, { ...options, mode: options.mode ?? "managed" });
}

function applyAll(host: TestHost, commands: Commands) {
  return applyParts(host, commands, PARTS);
}

/** The service's ExecStart line, as systemd would run it (no quoting in it: it is two plain words). */
function execStart(host: TestHost): string {
  const lines = host.readFile(SERVICE)!.split("\n").filter((line) => line.startsWith("ExecStart="));
  assert.equal(lines.length, 1);
  return lines[0].slice("ExecStart=".length);
}

function heal(host: TestHost) {
  const run = host.sh(execStart(host));
  return { ...run, result: parseOperationResult(run.stdout), journal: run.stdout.split("\n").slice(0, -2) };
}

/**
 * What snapd does to the instance on a connect, refresh or enable: every profile replaced
 * (a temporary file renamed over it) by its own text without the blocks, the mount profile
 * without the entry (deleted, since nothing else is left in it), and snap-update-ns run,
 * which unmounts the bind it no longer finds in the profile.
 */
function snapdRewrite(host: TestHost): void {
  const texts: Record<string, string> = {
    [`snap-update-ns.${I}`]: updateNsProfile(I),
    [`snap.${I}.app`]: appProfile(I, "app"),
    [`snap.${I}.hook.configure`]: appProfile(I, "hook.configure"),
  };
  for (const [name, text] of Object.entries(texts)) {
    host.writeFile(`${PROFILES}/${name}.tmp~`, text);
    host.must(`mv -f ${PROFILES}/${name}.tmp~ ${PROFILES}/${name}`);
  }
  host.must(`rm ${FSTAB} && /usr/lib/snapd/snap-update-ns ${I}`);
}

/** Content and file times (nanoseconds) and inodes of everything under the folders. */
function fileTimes(host: TestHost): string {
  return host.must(`find ${FOLDERS.join(" ")} -xdev 2>/dev/null | LC_ALL=C sort | while IFS= read -r p; do stat -c '%n %i %y %z' "$p"; done`);
}

function privateShmLive(host: TestHost): boolean {
  const inside = host.shmMounts(I);
  return inside[inside.length - 1].split(" ")[3] === `/snap.${I}`;
}

/** systemd-analyze verify (Debian's systemd 252) on this machine, on copies of the installed units. */
function verify(units: Record<string, string>): { status: number | null; said: string } {
  const dir = mkdtempSync(join(tmpdir(), "snap-shm-units-"));
  try {
    for (const [name, text] of Object.entries(units)) writeFileSync(join(dir, name), text);
    const run = spawnSync("systemd-analyze", ["verify", ...Object.keys(units).map((n) => join(dir, n))], { encoding: "utf8" });
    return { status: run.status, said: `${run.stdout}${run.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function probe(host: TestHost, selfHeal: boolean) {
  const state = desiredState(I);
  const command = hostProbeCommandLine([probeArguments(state, profileList(state, true), "auto", "managed", selfHeal)], false);
  const report = parseHostProbe(host.must(command, hostScript("host")));
  assert.equal(report.ok, true, report.error);
  return { part: report.instances[I].parts.managed!["self-heal"]!, heal: selfHealProbe(report, I, "managed")! };
}

describe("self-heal on a test host", function () {
  this.timeout(180_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true });
  });
  afterEach(async () => host.stop());

  it("installs the heal script and both units under product-owned names, which systemd-analyze verify accepts as installed", async () => {
    const results = applyAll(host, await commandsFor());
    const install = results[3];
    assert.deepEqual(install.changed, [`wrote ${HEAL}`, `wrote ${SERVICE}`, `wrote ${PATH_UNIT}`]);
    assert.equal(install.found.systemd, "absent");
    assert.equal(install.found.active, false, "no systemd here: the result says self-heal is not active");
    assert.ok(install.notes.some((n) => n.startsWith("systemd is not running on this host (no /run/systemd/system)")));
    const path = host.readFile(PATH_UNIT)!;
    for (const watched of [FSTAB, ...SNAP_PROFILES.map((p) => `${PROFILES}/${p}`)]) assert.ok(path.includes(`\nPathChanged=${watched}\n`), watched);
    assert.equal(execStart(host), `/bin/sh ${HEAL}`);
    assert.deepEqual(verify({ [`snap-shm-heal-${I}.path`]: path, [`snap-shm-heal-${I}.service`]: host.readFile(SERVICE)! }), { status: 0, said: "" });
    // The heal script is the apply operation with the parts' arguments baked in.
    const script = host.readFile(HEAL)!;
    assert.ok(script.includes(`\n  'entry=${ENTRY}' \\\n`));
    assert.ok(script.includes('\n"/dev/shm/*" mrwlkix,\n\' \\\n'), "the rule for this host's snapd (2.57.6)");
    assert.ok(script.endsWith(hostScript("heal")), "then the program, exactly as sent");
  });

  it("a second apply changes nothing and writes nothing", async () => {
    const commands = await commandsFor();
    applyAll(host, commands);
    const before = fileTimes(host);
    const again = runOperation(host, commands["self-heal-command"]);
    assert.deepEqual(again.result.changed, []);
    assert.equal(fileTimes(host), before);
  });

  it("puts back a hand-edited unit or heal script, byte for byte, and only that file", async () => {
    const commands = await commandsFor();
    applyAll(host, commands);
    const originals = [SERVICE, PATH_UNIT, HEAL].map((file) => host.readFile(file)!);
    for (const [file, edit] of [
      [SERVICE, (text: string) => text.replace("TimeoutStartSec=5min", "TimeoutStartSec=1min")],
      [SERVICE, (text: string) => text.slice(0, -1)],
      [PATH_UNIT, (text: string) => `${text}\n`],
      [PATH_UNIT, (text: string) => text.replace(/\n/g, "\\\n")],
      [HEAL, (text: string) => text.replace("set -- 'self-heal' 'run'", "set -- 'self-heal' 'run' ")],
    ] as const) {
      const original = originals[[SERVICE, PATH_UNIT, HEAL].indexOf(file)];
      host.writeFile(file, edit(original));
      const run = runOperation(host, commands["self-heal-command"]);
      assert.equal(run.status, 0, run.stderr);
      assert.ok(run.result.changed.includes(`wrote ${file}`), `${file}: ${run.result.changed}`);
      assert.equal(host.readFile(file), original);
      assert.deepEqual(runOperation(host, commands["self-heal-command"]).result.changed, [], "then in sync");
    }
  });

  it("a first install repairs nothing (the parts before it have just applied the host); a heal script replaced since repairs at once, with the new arguments", async () => {
    const commands = await commandsFor();
    applyParts(host, commands, PARTS.slice(0, 3));
    snapdRewrite(host);
    const install = runOperation(host, commands["self-heal-command"]);
    assert.equal(install.status, 0, install.stderr);
    assert.deepEqual(install.result.changed, [`wrote ${HEAL}`, `wrote ${SERVICE}`, `wrote ${PATH_UNIT}`]);
    assert.equal(install.result.found.repair, undefined, "no repair round");
    assert.equal(privateShmLive(host), false, "snapd's rewrite is left to the heal and the next run");

    // A heal that ran meanwhile ran an older script: the apply that replaces it repairs.
    host.writeFile(HEAL, host.readFile(HEAL)!.replace("set -- 'self-heal' 'run'", "set -- 'self-heal' 'run' "));
    const replaced = runOperation(host, commands["self-heal-command"]);
    assert.equal(replaced.status, 0, replaced.stderr);
    assert.ok(replaced.result.changed.includes(`wrote ${HEAL}`), String(replaced.result.changed));
    assert.deepEqual((replaced.result.found.repair as { rounds: number }).rounds, 2);
    assert.equal(host.readFile(FSTAB), `${ENTRY}\n`);
    assert.equal(privateShmLive(host), true, "the repair bound the private directory again");
  });

  it("repairs a snapd rewrite, run exactly as ExecStart says: the blocks, the entry and the live bind back, each change in the journal", async () => {
    const commands = await commandsFor();
    applyAll(host, commands);
    const applied = Object.fromEntries(SNAP_PROFILES.map((p) => [p, host.readFile(`${PROFILES}/${p}`)!]));
    snapdRewrite(host);
    assert.equal(privateShmLive(host), false, "snapd's rewrite left the snap on the shared /dev/shm");
    assert.equal(host.exists(FSTAB), false);

    const run = heal(host);
    assert.equal(run.status, 0, run.stderr);
    // The host's real state: the profiles are what the AppArmor part wrote, byte for byte.
    for (const profile of SNAP_PROFILES) assert.equal(host.readFile(`${PROFILES}/${profile}`), applied[profile], profile);
    assert.equal(host.readFile(FSTAB), `${ENTRY}\n`);
    assert.equal(privateShmLive(host), true, "the snap's /dev/shm is the private directory again");
    assert.equal(host.shmMounts(I).length, 2, "one bind, not two");
    assert.ok(host.shmMounts().every((line) => line.split(" ")[3] === "/"), "the host's own /dev/shm untouched");
    host.must(`nsenter --mount=/run/snapd/ns/${I}.mnt sh -c 'echo data > /dev/shm/segment'`);
    assert.equal(host.readFile(`/dev/shm/snap.${I}/segment`), "data\n");

    const changes = [
      ...SNAP_PROFILES.map((p) => `put the private-shm block into ${PROFILES}/${p}`),
      `added "${ENTRY}" to ${FSTAB}`,
      `bound /dev/shm/snap.${I} over /dev/shm in /run/snapd/ns/${I}.mnt by /usr/lib/snapd/snap-update-ns`,
    ];
    assert.deepEqual(run.result.changed, changes);
    assert.deepEqual(run.result.found.repair, {
      directory: { path: `/dev/shm/snap.${I}`, type: "directory", mode: "1777", owner: "root", group: "root", tmpfiles: "present" },
      apparmor: { profiles: Object.fromEntries(SNAP_PROFILES.map((p) => [p, "updated"])), apparmor: "disabled" },
      mount: { entry: "missing", namespace: "unbound" },
      rounds: 2,
    });
    // What the service prints goes to the journal: each change as it is made, then a summary.
    assert.deepEqual(run.journal.slice(0, changes.length), changes.map((c) => `snap-shm self-heal of ${I}: ${c}`));
    assert.match(run.journal[changes.length], new RegExp(`^snap-shm self-heal of ${I}: repaired after a rewrite \\(5 change\\(s\\), 2 round\\(s\\)\\); repair 1 since install$`));
    // The time of the repair, for the drift probe, outside every watched path.
    assert.match(host.readFile(RECORD)!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 1\n$/);
    assert.ok(!host.readFile(PATH_UNIT)!.includes(RECORD));
    const probed = probe(host, true);
    assert.equal(probed.part.inSync, true);
    assert.deepEqual(probed.heal, { inSync: true, differs: [], systemd: false, lastSelfHeal: host.readFile(RECORD)!.split(" ")[0], repairs: 1 });
    // No revision recorded: a heal is not an apply.
    assert.deepEqual(host.must(`ls /var/lib/snap-shm/${I}`).trim().split("\n").sort(), ["heal.sh", "last-self-heal"]);
  });

  it("a trigger that finds the host in sync writes nothing: no file, no file time, no mount", async () => {
    applyAll(host, await commandsFor());
    const before = { times: fileTimes(host), snapshot: FOLDERS.map((f) => host.snapshot(f)), mounts: host.shmMounts(I) };
    for (let i = 0; i < 3; i++) {
      const run = heal(host);
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.result.changed, []);
      assert.deepEqual(run.journal, [`snap-shm self-heal of ${I}: in sync, nothing to repair`]);
    }
    assert.equal(fileTimes(host), before.times);
    assert.deepEqual(FOLDERS.map((f) => host.snapshot(f)), before.snapshot);
    assert.deepEqual(host.shmMounts(I), before.mounts);
    assert.equal(host.exists(RECORD), false, "no repair, no record");
  });

  it("a burst: five runs started at once make one repair; the others wait for the lock and find it done", async () => {
    applyAll(host, await commandsFor());
    snapdRewrite(host);
    const command = execStart(host);
    const runs = await Promise.all(Array.from({ length: 5 }, () => host.shAsync(command)));
    for (const run of runs) assert.equal(run.status, 0, run.stderr);
    const changed = runs.map((run) => parseOperationResult(run.stdout).changed.length);
    assert.deepEqual(changed.filter((n) => n > 0), [5], `changes per run: ${changed}`);
    assert.equal(privateShmLive(host), true);
    assert.equal(host.shmMounts(I).length, 2, "one bind");
    assert.equal(host.readFile(FSTAB), `${ENTRY}\n`);
    assert.match(host.readFile(RECORD)!, / 1\n$/, "one repair recorded");
  });

  it("a snap snapd has disabled (its profiles gone): nothing to repair, nothing written", async () => {
    applyAll(host, await commandsFor());
    host.must(`rm ${PROFILES}/*${I}* ${FSTAB} && /usr/lib/snapd/snap-update-ns ${I}`);
    const before = fileTimes(host);
    const run = heal(host);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.result.changed, []);
    assert.ok(run.result.notes[0].startsWith(`snap ${I} has no profiles now (disabled or removed)`));
    assert.equal(fileTimes(host), before);
  });

  it("a snap snapd now serves natively (its own rules in the profiles): the heal leaves it to snapd", async () => {
    applyAll(host, await commandsFor());
    // What snapd writes once the snap's own private plug is connected: its rules, no block of ours.
    const native = updateNsProfile(I).replace(/\n}\n$/, `\n${desiredState(I).appArmor.updateNsSnippet}}\n`);
    host.writeFile(`${PROFILES}/snap-update-ns.${I}`, native);
    host.writeFile(`${PROFILES}/snap.${I}.app`, appProfile(I, "app"));
    const before = fileTimes(host);
    const run = heal(host);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.result.changed, []);
    assert.deepEqual(run.journal, [`snap-shm self-heal of ${I}: snapd serves the private plug itself, nothing to repair`]);
    assert.equal(fileTimes(host), before);
  });

  it("removal, after the parts it watches, leaves no unit, link or file behind", async () => {
    const initial = FOLDERS.slice(0, 4).map((f) => host.snapshot(f));
    const commands = await commandsFor();
    applyAll(host, commands);
    snapdRewrite(host);
    assert.equal(heal(host).status, 0);
    // The program removes dependents first: self-heal, then mount, AppArmor, directory.
    const removal = [...PARTS].reverse();
    const first = runOperation(host, commands[removal[0]], "delete");
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(first.result.changed, [`removed ${PATH_UNIT}`, `removed ${SERVICE}`, `removed ${HEAL}`, `removed ${RECORD}`]);
    for (const part of removal.slice(1)) assert.equal(runOperation(host, commands[part], "delete").status, 0, part);
    assert.deepEqual(FOLDERS.slice(0, 4).map((f) => host.snapshot(f)), initial);
    assert.equal(host.must(`find / -xdev -name 'snap-shm-heal-*' 2>/dev/null`), "");
  });

  it("native mode installs nothing, and takes away what managed mode had installed", async () => {
    applyAll(host, await commandsFor());
    const native = await commandsFor({ mode: "native" });
    const run = runOperation(host, native["self-heal-command"]);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.result.changed, [`removed ${PATH_UNIT}`, `removed ${SERVICE}`, `removed ${HEAL}`]);
    assert.ok(run.result.notes.includes("native mode: snapd keeps its own rules and entry across its rewrites, so self-heal is not installed"));
    assert.equal(host.exists(PATH_UNIT) || host.exists(SERVICE) || host.exists(HEAL), false);
    assert.deepEqual(runOperation(host, native["self-heal-command"]).result.changed, []);
  });

  it("the probe says what is missing, and nothing when self-heal is not wanted", async () => {
    applyAll(host, await commandsFor());
    host.must(`rm ${SERVICE}`);
    assert.deepEqual(probe(host, true).part.differs, ["units=missing"]);
    assert.deepEqual(probe(host, false).part.differs, []);
  });
});

describe("self-heal where systemd runs (a recording stand-in for systemctl)", function () {
  this.timeout(180_000);
  let host: TestHost;
  const calls = () => (host.readFile("/run/systemctl-calls") ?? "").split("\n").filter(Boolean);
  const changing = () => calls().filter((c) => !/^is-(enabled|active) /.test(c));

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true });
    host.must("mkdir -p /run/systemd/system");
    host.writeFile("/usr/local/bin/systemctl", readFileSync(join(__dirname, "..", "support", "systemctl-stand-in.sh"), "utf8"), "0755");
  });
  afterEach(async () => host.stop());

  it("enables both units and starts the .path unit once; a second apply only asks", async () => {
    const commands = await commandsFor();
    const install = applyAll(host, commands)[3];
    assert.deepEqual(changing(), [
      "daemon-reload",
      `enable snap-shm-heal-${I}.service`,
      `enable snap-shm-heal-${I}.path`,
      `reset-failed snap-shm-heal-${I}.path snap-shm-heal-${I}.service`,
      `start snap-shm-heal-${I}.path`,
    ]);
    assert.equal(install.found.active, true);
    assert.equal(install.found.systemd, "running");
    assert.ok(install.changed.includes(`started snap-shm-heal-${I}.path (it was inactive)`));
    assert.equal(host.must(`readlink ${UNITS}/paths.target.wants/snap-shm-heal-${I}.path`).trim(), PATH_UNIT);
    assert.equal(host.must(`readlink ${UNITS}/multi-user.target.wants/snap-shm-heal-${I}.service`).trim(), SERVICE);
    host.must("rm /run/systemctl-calls");
    assert.deepEqual(runOperation(host, commands["self-heal-command"]).result.changed, []);
    assert.deepEqual(changing(), [], "nothing but is-enabled and is-active");
    assert.deepEqual(probe(host, true).heal, { inSync: true, differs: [], systemd: true, lastSelfHeal: null, repairs: 0 });
  });

  it("a .path unit that hit its trigger limit shows as drift, and the next apply starts it again", async () => {
    const commands = await commandsFor();
    applyAll(host, commands);
    host.must(`echo failed > /run/systemctl-stand-in/snap-shm-heal-${I}.path.state`);
    assert.deepEqual(probe(host, true).part.differs, ["path=failed"]);
    const again = runOperation(host, commands["self-heal-command"]);
    assert.deepEqual(again.result.changed, [`started snap-shm-heal-${I}.path (it was failed)`]);
    assert.deepEqual(probe(host, true).part.differs, []);
  });

  it("a new watch list (an app added) reloads systemd and restarts the .path unit", async () => {
    const narrow = await commandsFor({ apps: ["app"] });
    applyAll(host, narrow);
    host.must("rm /run/systemctl-calls");
    host.writeFile(`${PROFILES}/snap.${I}.other`, appProfile(I, "other"));
    const wider = await commandsFor({ apps: ["app", "other"] });
    assert.notEqual(wider["self-heal-command"].create, narrow["self-heal-command"].create, "a change of inputs updates the part");
    applyAll(host, wider);
    assert.deepEqual(changing(), ["daemon-reload", `restart snap-shm-heal-${I}.path`]);
    assert.ok(host.readFile(PATH_UNIT)!.includes(`\nPathChanged=${PROFILES}/snap.${I}.other\n`));
  });

  it("removal disables and stops both units, reloads systemd and leaves no link behind", async () => {
    const before = host.snapshot(UNITS);
    const commands = await commandsFor();
    applyAll(host, commands);
    host.must("rm /run/systemctl-calls");
    const removed = runOperation(host, commands["self-heal-command"], "delete");
    assert.equal(removed.status, 0, removed.stderr);
    assert.deepEqual(changing(), [
      `disable snap-shm-heal-${I}.path`,
      `stop snap-shm-heal-${I}.path`,
      `disable snap-shm-heal-${I}.service`,
      "daemon-reload",
      `reset-failed snap-shm-heal-${I}.path snap-shm-heal-${I}.service`,
    ]);
    assert.deepEqual(host.snapshot(UNITS), before);
  });
});

describe("the heal's AppArmor load comes after snapd's (a recording stand-in for the kernel side)", function () {
  // snapd loads the profiles it has just rewritten; a heal started by that rewrite must load
  // its own after snapd's, or the kernel keeps snapd's rules while the files hold the blocks.
  this.timeout(180_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true });
    host.enableAppArmorStandIn({ timed: true });
  });
  afterEach(async () => host.stop());

  it("waits for a running apparmor_parser to finish, then loads the repaired profiles in one call", async () => {
    applyAll(host, await commandsFor());
    snapdRewrite(host);
    // snapd's load of its rewritten profiles, still running: a process named apparmor_parser for 1.5 s.
    host.must("mkdir -p /run/snapd-load && cp /bin/sleep /run/snapd-load/apparmor_parser");
    const started = Number(host.must("date +%s.%N"));
    host.must("/run/snapd-load/apparmor_parser 1.5 >/dev/null 2>&1 &");
    const run = heal(host);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.result.notes.includes("waited for another apparmor_parser to finish before loading"));
    const loads = host.readFile("/run/loads")!.trim().split("\n");
    const last = loads[loads.length - 1];
    assert.ok(Number(last.split(" ")[0]) >= started + 1.5, `loaded at ${last.split(" ")[0]}, snapd's load ended after ${started + 1.5}`);
    assert.ok(last.endsWith(SNAP_PROFILES.map((p) => `${PROFILES}/${p}`).join(" ")), last);
    assert.ok(run.result.changed.includes("loaded 3 profile(s) into the kernel"));
  });
});
