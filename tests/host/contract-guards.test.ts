/**
 * Contracts of the host operations that a test audit found unguarded: each test here fails
 * when the host scripts break the contract it names. On test hosts (tests/support/test-host.ts),
 * with the exact command strings the resources register where there is one (the part probes
 * and the argument checks go through the rendered host command, as the other host tests do).
 */
import { strict as assert } from "node:assert";
import { desiredState } from "../../src/model/desired-state";
import { checkInstanceName } from "../../src/model/names";
import { BLOCK_BEGIN } from "../../src/render/apparmor-profile";
import { hostCommand, hostProbeCommandLine, hostScript } from "../../src/render/host-command";
import { directoryArguments, probeArguments, profileList } from "../../src/render/part-arguments";
import { parseOperationResult } from "../../src/render/operation-result";
import { parseHostProbe } from "../../src/resources/host-probe";
import { appProfile } from "../fixtures/snapd-profiles";
import { applyParts, runOperation, snapPartCommands } from "../support/registered-commands";
import { TestHost } from "../support/test-host";

const I = "shmtest_foo";
const PROFILES = "/var/lib/snapd/apparmor/profiles";
const FSTAB = `/var/lib/snapd/mount/snap.${I}.fstab`;
const ENTRY = `/dev/shm/snap.${I} /dev/shm none bind,rw 0 0`;
const TMPFILES = `/etc/tmpfiles.d/snap-shm-${I}.conf`;
const PARTS = ["directory-command", "apparmor-command", "mount-command"] as const;
const SINGLE_LEVEL_RULE = '\n"/dev/shm/*" mrwlkix,\n';
const RECURSIVE_RULE = '\n"/dev/shm/**" mrwlkix,\n';

/** The mountinfo roots of the host's own /dev/shm mounts ("/": its own tmpfs, nothing bound over it). */
function hostShmRoots(host: TestHost): string[] {
  return host.shmMounts().map((line) => line.split(" ")[3]);
}

describe("host contracts the audit found unguarded", function () {
  this.timeout(120_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true });
  });
  afterEach(async () => host.stop());

  it("the host's own /dev/shm is never bound over: a by-hand bind (no snap-update-ns) and its removal happen only in the snap's namespace", async () => {
    host.must("mount --bind /dev/null /usr/lib/snapd/snap-update-ns");
    const commands = await snapPartCommands(I, PARTS);
    assert.deepEqual(hostShmRoots(host), ["/"], "the host's /dev/shm before");
    const [directory, , mount] = applyParts(host, commands, PARTS);
    assert.equal(directory.host?.snapUpdateNs, null, "the fallback path: no snap-update-ns");
    assert.ok(mount.changed.some((c) => c.includes("by hand (no snap-update-ns)")), mount.changed.join("\n"));
    assert.deepEqual(hostShmRoots(host), ["/"], "the host's /dev/shm after apply");
    assert.equal(host.shmMounts(I).pop()!.split(" ")[3], `/snap.${I}`, "the bind is in the snap's namespace");
    // What lands in the host's /dev/shm stays there, not in the private directory.
    host.must("echo host > /dev/shm/host-segment");
    assert.equal(host.exists(`/dev/shm/snap.${I}/host-segment`), false);
    for (const part of [...PARTS].reverse()) {
      const run = runOperation(host, commands[part], "delete");
      assert.equal(run.status, 0, `${part}: ${run.stderr}`);
    }
    assert.deepEqual(hostShmRoots(host), ["/"], "the host's /dev/shm after removal");
    assert.equal(host.shmMounts(I).length, 1, "the snap's own /dev/shm is back");
  });

  it("replaces files by rename, never by rewriting them: the old inode of the tmpfiles entry, the mount profile and a profile keeps its old bytes", async () => {
    const oldTmpfiles = `d /dev/shm/snap.${I} 0755 root root -\n`;
    const oldFstab = "/snap/a /snap/b none rbind 0 0\n";
    const app = `${PROFILES}/snap.${I}.app`;
    const oldApp = host.readFile(app)!;
    host.writeFile(TMPFILES, oldTmpfiles);
    host.writeFile(FSTAB, oldFstab);
    // Second names for the same inodes (all on the host's one root file system), away from
    // the folders snapd and systemd read.
    host.must(`mkdir /root/old && ln ${TMPFILES} /root/old/tmpfiles && ln ${FSTAB} /root/old/fstab && ln ${app} /root/old/app`);
    const commands = await snapPartCommands(I, PARTS);
    const [directory, appArmor, mount] = applyParts(host, commands, PARTS);
    assert.ok(directory.changed.includes(`wrote ${TMPFILES}`), directory.changed.join("\n"));
    assert.ok(appArmor.changed.includes(`put the private-shm block into ${app}`), appArmor.changed.join("\n"));
    assert.ok(mount.changed.includes(`added "${ENTRY}" to ${FSTAB}`), mount.changed.join("\n"));

    assert.equal(host.readFile("/root/old/tmpfiles"), oldTmpfiles, "tmpfiles entry: the old inode untouched");
    assert.equal(host.readFile("/root/old/fstab"), oldFstab, "mount profile: the old inode untouched");
    assert.equal(host.readFile("/root/old/app"), oldApp, "app profile: the old inode untouched");
    assert.equal(host.must("stat -c %h /root/old/tmpfiles /root/old/fstab /root/old/app"), "1\n1\n1\n", "the new files are other inodes");
    // The names hold the new texts.
    assert.equal(host.readFile(TMPFILES), `# snap-shm: the private /dev/shm of snap ${I}, recreated at boot.\nd /dev/shm/snap.${I} 1777 root root -\n`);
    assert.equal(host.readFile(FSTAB), `${oldFstab}${ENTRY}\n`);
    assert.equal(host.readFile(app)!.split(BLOCK_BEGIN).length, 2);
  });

  it("writes the mount profile mode 0644, as snapd does, whatever the umask", async () => {
    const commands = await snapPartCommands(I, PARTS);
    applyParts(host, commands, ["directory-command", "apparmor-command"] as const);
    const run = host.sh(`umask 077; ${commands["mount-command"].create}`, commands["mount-command"].stdin);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(host.readFile(FSTAB), `${ENTRY}\n`);
    assert.deepEqual(host.stat(FSTAB), { type: "regular file", mode: "644", owner: "root", group: "root" });
  });

  it("the directory probe reports a wrong owner or group, in its own words", async () => {
    const commands = await snapPartCommands(I, PARTS);
    applyParts(host, commands, PARTS);
    const state = desiredState(I);
    const part = hostCommand("directory", "probe", directoryArguments(state), false);
    const partProbe = () => {
      const run = host.sh(part.command, part.stdin);
      assert.equal(run.status, 0, run.stderr);
      return parseOperationResult(run.stdout);
    };
    const hostProbe = () => {
      const report = parseHostProbe(host.must(hostProbeCommandLine([probeArguments(state, profileList(state, true), "auto")], false), hostScript("host")));
      assert.equal(report.ok, true, report.error);
      return report.instances[I].parts.managed!.directory!;
    };
    assert.equal(partProbe().inSync, true);
    assert.equal(hostProbe().inSync, true);
    for (const [owner, difference] of [
      ["nobody:nogroup", "owner=nobody:nogroup"],
      ["root:nogroup", "owner=root:nogroup"],
      ["nobody:root", "owner=nobody:root"],
    ] as const) {
      host.must(`chown ${owner} /dev/shm/snap.${I}`);
      for (const result of [partProbe(), hostProbe()]) {
        assert.equal(result.inSync, false, owner);
        assert.deepEqual(result.differs, [difference], owner);
        assert.equal(result.found.owner, owner.split(":")[0]);
        assert.equal(result.found.group, owner.split(":")[1]);
      }
    }
  });

  it("never edits or loads snapd's temporary NAME.XXXX~ files beside the profiles", async () => {
    host.enableAppArmorStandIn();
    const temporary = `${PROFILES}/snap.${I}.app.Ab12~`;
    host.writeFile(temporary, appProfile(I, "app"), "0600");
    const before = host.snapshot(PROFILES)[`./snap.${I}.app.Ab12~`];
    const commands = await snapPartCommands(I, PARTS);
    assert.ok(commands["apparmor-command"].create.includes(`snap.${I}.*`), "the registered apparmor command lists the profiles by glob");
    const [, appArmor] = applyParts(host, commands, PARTS);
    assert.deepEqual(Object.keys(appArmor.found.profiles as Record<string, string>).sort(), [`snap-update-ns.${I}`, `snap.${I}.app`, `snap.${I}.hook.configure`]);
    assert.ok(!appArmor.changed.some((c) => c.includes("~")), appArmor.changed.join("\n"));
    assert.equal(host.readFile(temporary), appProfile(I, "app"), "byte for byte unchanged");
    assert.equal(host.snapshot(PROFILES)[`./snap.${I}.app.Ab12~`], before, "mode and content unchanged");
    assert.ok(!host.readFile("/run/loads")!.includes("~"), `not loaded: ${host.readFile("/run/loads")}`);

    const removed = runOperation(host, commands["apparmor-command"], "delete");
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(host.snapshot(PROFILES)[`./snap.${I}.app.Ab12~`], before, "nor touched by the removal");
    assert.ok(!host.readFile("/run/loads")!.includes("~"), `not loaded: ${host.readFile("/run/loads")}`);
  });
});

describe("the host's instance name check at its limits, with snapd's messages", function () {
  this.timeout(120_000);
  let host: TestHost;
  before(async () => {
    host = await TestHost.start();
  });
  after(async () => host.stop());

  const name40 = `s${"n".repeat(39)}`;
  const name41 = `s${"n".repeat(40)}`;
  const refused: Array<[string, string]> = [
    [name41, `invalid snap name: "${name41}"`],
    [`${name41}_x`, `invalid snap name: "${name41}"`],
    ["a--b", 'invalid snap name: "a--b"'],
    ["-ab", 'invalid snap name: "-ab"'],
    ["ab-", 'invalid snap name: "ab-"'],
    ["1234", 'invalid snap name: "1234"'],
    ["a", 'invalid snap name: "a"'],
    ["shm_01234567890", 'invalid instance key: "01234567890"'],
    ["shm_", 'invalid instance key: ""'],
  ];
  const accepted = [name40, `${name40}_0123456789`, "a1", "1a", "a-b", "shm_0123456789", "1234a"];
  /** A name for a test title: the long ones by their length. */
  const label = (name: string) => name.replace(/^sn{39,}/, (snap) => `(a ${snap.length}-character snap name)`);

  it("the expected messages are snapd's (src/model/names.ts)", () => {
    for (const [name, message] of refused) assert.equal(checkInstanceName(name), message, name);
    for (const name of accepted) assert.equal(checkInstanceName(name), undefined, name);
  });

  for (const [name, message] of refused) {
    it(`refuses ${label(name)}: ${message.length > 60 ? `${message.slice(0, 30)}…"` : message}`, () => {
      const args = { instance: name, path: `/dev/shm/snap.${name}`, mode: "1777", owner: "root", group: "root" };
      const before = [host.snapshot("/dev/shm"), host.snapshot("/etc/tmpfiles.d")];
      for (const action of ["apply", "probe"] as const) {
        const { command, stdin } = hostCommand("directory", action, args, false);
        const run = host.sh(command, stdin);
        assert.equal(run.status, 1, action);
        assert.equal(run.stderr, `snap-shm: ${message}\n`, action);
        const result = parseOperationResult(run.stdout);
        assert.equal(result.ok, false);
        assert.equal(result.error, message);
      }
      assert.deepEqual([host.snapshot("/dev/shm"), host.snapshot("/etc/tmpfiles.d")], before);
    });
  }

  for (const name of accepted) {
    it(`accepts ${label(name)}`, () => {
      const args = { instance: name, path: `/dev/shm/snap.${name}`, mode: "1777", owner: "root", group: "root" };
      const { command, stdin } = hostCommand("directory", "probe", args, false);
      const run = host.sh(command, stdin);
      assert.equal(run.status, 0, run.stderr);
      const result = parseOperationResult(run.stdout);
      assert.equal(result.ok, true);
      assert.deepEqual(result.differs, ["type=missing", "tmpfiles=missing"]);
    });
  }
});

describe("the snapd version thresholds on the host", function () {
  this.timeout(120_000);
  let host: TestHost;
  before(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], running: true });
    // The distribution's snapd says the version in /run/info (bound over its info file).
    host.writeFile("/run/info", "VERSION=2.57.6\n");
    host.must("mount --bind /run/info /usr/lib/snapd/info");
  });
  after(async () => host.stop());

  /** snapd on the host says VERSION (the same inode: the bind stays). */
  const snapdSays = (version: string) => host.writeFile("/run/info", `VERSION=${version}\nSNAPD_APPARMOR_REEXEC=1\n`);

  it("2.55.2 has no private shared memory: the directory apply refuses, changing nothing", async () => {
    snapdSays("2.55.2");
    const commands = await snapPartCommands(I, PARTS);
    const run = runOperation(host, commands["directory-command"]);
    assert.equal(run.status, 1);
    assert.equal(run.stderr, "snap-shm: snapd 2.55.2 has no private shared memory: it needs snapd 2.55.3 or newer\n");
    assert.equal(host.exists(`/dev/shm/snap.${I}`), false);
    assert.equal(host.exists(TMPFILES), false);
  });

  // In turn on one host: each apply moves the profiles to the rule of the snapd it finds.
  for (const [version, generation, rule, when] of [
    ["2.55.3", "single-level", SINGLE_LEVEL_RULE, ""],
    ["2.60.1", "single-level", SINGLE_LEVEL_RULE, ""],
    ["2.60.2", "recursive", RECURSIVE_RULE, ""],
    ["2.55.3", "single-level", SINGLE_LEVEL_RULE, " (snapd downgraded)"],
  ] as const) {
    it(`${version}${when}: the ${generation} rule, in the prerequisite result, the profiles written and the probe`, async () => {
      snapdSays(version);
      const commands = await snapPartCommands(I, PARTS);
      const [directory] = applyParts(host, commands, PARTS);
      assert.equal(directory.host?.snapdVersion, version);
      assert.equal(directory.host?.ruleGeneration, generation);
      const app = host.readFile(`${PROFILES}/snap.${I}.app`)!;
      assert.ok(app.includes(rule), `the ${generation} rule in the app profile`);
      assert.ok(!app.includes(rule === RECURSIVE_RULE ? SINGLE_LEVEL_RULE : RECURSIVE_RULE), "and not the other");
      const state = desiredState(I, { apps: ["app"] });
      const report = parseHostProbe(host.must(hostProbeCommandLine([probeArguments(state, profileList(state, true), "auto")], false), hostScript("host")));
      assert.equal(report.instances[I].snapdVersion, version);
      const appArmor = report.instances[I].parts.managed!.apparmor!;
      assert.equal(appArmor.inSync, true, appArmor.differs?.join(" "));
    });
  }
});
