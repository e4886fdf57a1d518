/**
 * The host operations, run for real: the exact command strings the resources register
 * (taken from the mocked registrations), executed with `sh -c` as root on a test host (its
 * own mount namespace, tmpfs /dev/shm and copy-on-write root), with snapd's real
 * snap-update-ns and Debian's real apparmor_parser. Assertions read the kernel's mount
 * tables and the files themselves.
 */
import { strict as assert } from "node:assert";
import { readdirSync } from "node:fs";
import { desiredState, SHM_SYMLINK_MESSAGE } from "../../src/model/desired-state";
import { BLOCK_BEGIN } from "../../src/render/apparmor-profile";
import { hostCommand, hostProbeCommandLine, hostScript } from "../../src/render/host-command";
import { appArmorArguments, directoryArguments, directoryRemoveArguments, mountArguments, probeArguments, profileList } from "../../src/render/part-arguments";
import { parseHostProbe } from "../../src/resources/host-probe";
import { parseOperationResult } from "../../src/render/operation-result";
import { appProfile } from "../fixtures/snapd-profiles";
import { applyParts, registeredCommands, RegisteredCommand, runOperation, runOperationAsync, snapPartCommands } from "../support/registered-commands";
import { quote, TestHost } from "../support/test-host";

const I = "shmtest_foo";
const PROFILES = "/var/lib/snapd/apparmor/profiles";
const FSTAB = `/var/lib/snapd/mount/snap.${I}.fstab`;
const ENTRY = `/dev/shm/snap.${I} /dev/shm none bind,rw 0 0`;
const TMPFILES = `/etc/tmpfiles.d/snap-shm-${I}.conf`;
const PARTS = ["directory-command", "apparmor-command", "mount-command"] as const;

type Commands = Record<(typeof PARTS)[number], RegisteredCommand>;

function commandsFor(options: { purge?: boolean; apps?: string[]; snapdVersion?: string } = {}): Promise<Commands> {
  return snapPartCommands(I, PARTS, options);
}

function applyAll(host: TestHost, commands: Commands) {
  return applyParts(host, commands, PARTS);
}

function removeAll(host: TestHost, commands: Commands) {
  return (["mount-command", "apparmor-command", "directory-command"] as const).map((part) => {
    const run = runOperation(host, commands[part], "delete");
    assert.equal(run.status, 0, `${part}: ${run.stderr}`);
    return run.result;
  });
}

function machineShm(): string[] {
  return readdirSync("/dev/shm").filter((name) => name.startsWith("snap.shmtest"));
}

describe("host operations on a test host", function () {
  this.timeout(120_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true });
  });
  afterEach(async () => host.stop());

  it("applies every part: directory 01777 root:root, blocks that compile, the entry once, the bind only in the snap's namespace", async () => {
    const commands = await commandsFor();
    const [directory, appArmor, mount] = applyAll(host, commands);
    assert.equal(directory.host?.snapdVersion, "2.57.6-1+deb12u1+b2", "the directory apply runs the prerequisite check first");
    assert.equal(directory.host?.ruleGeneration, "single-level");
    assert.equal(directory.host?.namespace, "preserved");
    assert.equal(directory.found.type, "missing", "the directory's own facts stay in found");
    assert.equal(directory.found.snapdVersion, undefined);
    assert.deepEqual(directory.changed, [`created /dev/shm/snap.${I} (mode 1777, root:root)`, `wrote ${TMPFILES}`]);
    assert.equal(appArmor.changed.length, 3);
    assert.equal(mount.found.namespace, "unbound");

    assert.deepEqual(host.stat(`/dev/shm/snap.${I}`), { type: "directory", mode: "1777", owner: "root", group: "root" });
    assert.equal(host.readFile(TMPFILES), `# snap-shm: the private /dev/shm of snap ${I}, recreated at boot.\nd /dev/shm/snap.${I} 1777 root root -\n`);
    assert.equal(host.readFile(FSTAB), `${ENTRY}\n`);
    for (const profile of [`snap.${I}.app`, `snap.${I}.hook.configure`, `snap-update-ns.${I}`]) {
      const text = host.readFile(`${PROFILES}/${profile}`)!;
      assert.equal(text.split(BLOCK_BEGIN).length, 2, profile);
      assert.equal(host.sh(`apparmor_parser -QK ${PROFILES}/${profile}`).status, 0, `${profile} compiles`);
    }
    assert.ok(host.readFile(`${PROFILES}/snap.${I}.app`)!.includes('\n"/dev/shm/*" mrwlkix,\n# END snap-shm private-shm\n}\n'));
    assert.ok(host.readFile(`${PROFILES}/snap-update-ns.${I}`)!.includes(`  mount options=(bind, rw) /dev/shm/snap.${I}/ -> /dev/shm/,\n`));

    const inside = host.shmMounts(I);
    assert.equal(inside[inside.length - 1].split(" ")[3], `/snap.${I}`, "the snap's /dev/shm is the private directory");
    assert.ok(host.shmMounts().every((line) => line.split(" ")[3] === "/"), "the host's /dev/shm is untouched");
    assert.deepEqual(machineShm(), [], "this machine's /dev/shm is untouched");
    // A running app switches at once: what it writes lands in the private directory.
    host.must(`nsenter --mount=/run/snapd/ns/${I}.mnt sh -c 'echo data > /dev/shm/segment'`);
    assert.equal(host.readFile(`/dev/shm/snap.${I}/segment`), "data\n");
    assert.equal(host.exists("/dev/shm/segment"), false);
  });

  it("changes nothing on a second apply, and says so", async () => {
    const commands = await commandsFor();
    applyAll(host, commands);
    const before = host.snapshot("/var/lib/snapd");
    const again = applyAll(host, commands);
    for (const result of again) assert.deepEqual(result.changed, [], `${result.part} changed nothing`);
    assert.deepEqual(again[1].found.profiles, { [`snap-update-ns.${I}`]: "in-sync", [`snap.${I}.app`]: "in-sync", [`snap.${I}.hook.configure`]: "in-sync" });
    assert.deepEqual(again[2].found, { entry: "present", namespace: "bound" });
    assert.deepEqual(host.snapshot("/var/lib/snapd"), before);
    assert.equal(host.shmMounts(I).length, 2, "no second bind stacked on the first");
  });

  it("removes in reverse order back to the original bytes, keeping a directory that holds segments", async () => {
    const original = { snapd: host.snapshot("/var/lib/snapd"), tmpfiles: host.snapshot("/etc/tmpfiles.d") };
    const commands = await commandsFor();
    applyAll(host, commands);
    host.must(`nsenter --mount=/run/snapd/ns/${I}.mnt sh -c 'echo data > /dev/shm/segment'`);
    const [mount, , directory] = removeAll(host, commands);
    assert.ok(mount.changed.some((c) => c.startsWith(`unbound /dev/shm/snap.${I}`)));
    assert.deepEqual(host.snapshot("/var/lib/snapd"), original.snapd);
    assert.deepEqual(host.snapshot("/etc/tmpfiles.d"), original.tmpfiles);
    assert.equal(host.exists(FSTAB), false);
    assert.deepEqual(directory.notes, [`kept /dev/shm/snap.${I}: it holds 1 entries (shared-memory segments are data; purge was not asked for)`]);
    assert.equal(host.readFile(`/dev/shm/snap.${I}/segment`), "data\n");
    assert.equal(host.shmMounts(I).length, 1, "the snap's own /dev/shm is back");
    // The removal of a removed part changes nothing.
    for (const result of removeAll(host, commands)) assert.deepEqual(result.changed, [], result.part);
  });

  it("writes its files without a process per temporary file: no mktemp, and no chmod where the mode is 0644", async () => {
    const commands = await commandsFor();
    const programs: string[] = [];
    for (const part of PARTS) {
      host.writeFile("/tmp/operation.sh", commands[part].create);
      const run = host.sh("strace -f -qq -e trace=execve -o /tmp/operation.trace sh /tmp/operation.sh", commands[part].stdin);
      assert.equal(run.status, 0, run.stderr);
      assert.ok(parseOperationResult(run.stdout).changed.length > 0, `${part} wrote files`);
      const trace = host.must(`awk '/execve\\(/ && !/ENOENT/ { split($0, word, "\\""); n = split(word[2], path, "/"); print path[n] }' /tmp/operation.trace`);
      programs.push(...trace.trim().split("\n"));
    }
    assert.ok(programs.includes("mv"), `the trace holds the programs run: ${programs.join(" ")}`);
    assert.deepEqual(programs.filter((program) => program === "mktemp" || program === "chmod"), [], programs.join(" "));
    for (const file of [TMPFILES, FSTAB, `${PROFILES}/snap.${I}.app`, `${PROFILES}/snap-update-ns.${I}`]) assert.equal(host.stat(file)?.mode, "644", file);
    assert.equal(host.must(`ls -A ${PROFILES} /var/lib/snapd/mount /etc/tmpfiles.d | grep -c '^\\.snap-shm' || true`).trim(), "0", "no temporary file left");
  });

  it("keeps each profile's own mode through apply and removal, and leaves no temporary file", async () => {
    const modes = { [`snap.${I}.app`]: "600", [`snap.${I}.hook.configure`]: "640", [`snap-update-ns.${I}`]: "644" };
    for (const [name, mode] of Object.entries(modes)) host.must(`chmod ${mode} ${PROFILES}/${name}`);
    const original = host.snapshot(PROFILES);
    const commands = await commandsFor();
    const [, appArmor] = applyAll(host, commands);
    assert.deepEqual(appArmor.changed, Object.keys(modes).sort().map((name) => `put the private-shm block into ${PROFILES}/${name}`));
    for (const [name, mode] of Object.entries(modes)) {
      assert.equal(host.stat(`${PROFILES}/${name}`)?.mode, mode, name);
      assert.equal(host.readFile(`${PROFILES}/${name}`)!.split(BLOCK_BEGIN).length, 2, name);
    }
    assert.deepEqual(Object.keys(host.snapshot(PROFILES)), Object.keys(original), "no temporary file left beside the profiles");
    const removed = runOperation(host, commands["apparmor-command"], "delete");
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(removed.result.changed.length, 3);
    assert.deepEqual(host.snapshot(PROFILES), original, "the original bytes and modes");
  });

  it("refuses a user that is not root, naming its id, before anything is made", async () => {
    host.must("useradd -m plain");
    const uid = host.must("id -u plain").trim();
    const commands = await commandsFor();
    const run = host.sh(`su -s /bin/sh plain -c ${quote(commands["directory-command"].create)}`, commands["directory-command"].stdin);
    assert.equal(run.status, 1);
    assert.equal(run.stderr, `snap-shm: must run as root (id ${uid}): set become to run through sudo -n\n`);
    assert.equal(host.exists(`/dev/shm/snap.${I}`), false);
  });

  it("purges the directory with its segments only when asked", async () => {
    const commands = await commandsFor({ purge: true });
    applyAll(host, commands);
    host.must(`touch /dev/shm/snap.${I}/a /dev/shm/snap.${I}/.b`);
    const [, , directory] = removeAll(host, commands);
    assert.ok(directory.changed.includes(`purged /dev/shm/snap.${I} and the 2 entries it held`));
    assert.equal(host.exists(`/dev/shm/snap.${I}`), false);
  });

  it("repairs a directory snapd left with the wrong mode and owner (LP #1969777)", async () => {
    host.must(`mkdir -m 0755 /dev/shm/snap.${I} && chown nobody:nogroup /dev/shm/snap.${I} && touch /dev/shm/snap.${I}/kept`);
    const commands = await commandsFor();
    const run = runOperation(host, commands["directory-command"]);
    assert.deepEqual(run.result.changed.slice(0, 2), [
      `repaired mode of /dev/shm/snap.${I}: 755 -> 1777`,
      `repaired owner of /dev/shm/snap.${I}: nobody:nogroup -> root:root`,
    ]);
    assert.deepEqual(host.stat(`/dev/shm/snap.${I}`), { type: "directory", mode: "1777", owner: "root", group: "root" });
    assert.ok(host.exists(`/dev/shm/snap.${I}/kept`));
  });

  it("creates the directory 01777 whatever the umask", async () => {
    const commands = await commandsFor();
    const run = host.sh(`umask 077; ${commands["directory-command"].create}`, commands["directory-command"].stdin);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(host.stat(`/dev/shm/snap.${I}`)?.mode, "1777");
    assert.equal(host.stat(TMPFILES)?.mode, "644");
  });

  describe("refusals", () => {
    it("a host whose /dev/shm is a symlink, with snapd's message, touching nothing", async () => {
      const commands = await commandsFor();
      host.must("umount /dev/shm && rmdir /dev/shm && mkdir -p /run/shm && ln -s /run/shm /dev/shm");
      const before = host.snapshot("/var/lib/snapd");
      for (const part of PARTS.filter((p) => p !== "apparmor-command")) {
        const run = runOperation(host, commands[part]);
        assert.equal(run.status, 1, part);
        assert.equal(run.stderr, `snap-shm: ${SHM_SYMLINK_MESSAGE}\n`);
        assert.equal(run.result.error, 'shared-memory plug with "private: true" cannot be connected if "/dev/shm" is a symlink');
      }
      assert.deepEqual(host.snapshot("/var/lib/snapd"), before);
      assert.equal(host.exists(`/run/shm/snap.${I}`), false);
    });

    for (const [what, make] of [
      ["a file", `echo precious > /dev/shm/snap.${I}`],
      ["a symlink", `ln -s /tmp /dev/shm/snap.${I}`],
    ] as const) {
      it(`${what} where the directory should be, left as it is`, async () => {
        host.must(make);
        const commands = await commandsFor();
        const run = runOperation(host, commands["directory-command"]);
        assert.equal(run.status, 1);
        assert.match(run.stderr, new RegExp(`^snap-shm: refusing /dev/shm/snap\\.${I}: it is a (file|symlink), not a directory \\(snapd would silently fall back to the shared /dev/shm\\); move it away and apply again\\n$`));
        assert.equal(host.exists(TMPFILES), false);
        if (what === "a file") assert.equal(host.readFile(`/dev/shm/snap.${I}`), "precious\n");
        else assert.equal(host.must(`readlink /dev/shm/snap.${I}`), "/tmp\n");
      });
    }

    it("a profile the parser rejects: the old profile is kept whole", async () => {
      const path = `${PROFILES}/snap.${I}.app`;
      const broken = host.readFile(path)!.replace("  /tmp/ r,\n", "  /tmp/ bogus-permission,\n");
      host.writeFile(path, broken);
      const commands = await commandsFor();
      const run = runOperation(host, commands["apparmor-command"]);
      assert.equal(run.status, 1);
      assert.match(run.stderr, new RegExp(`^snap-shm: apparmor_parser rejects the new ${path}: .+; the old profile is kept\\n$`, "s"));
      assert.equal(host.readFile(path), broken);
      assert.equal(host.readFile(`${PROFILES}/snap-update-ns.${I}`)!.includes(BLOCK_BEGIN), false, "no profile changed when one is rejected");
      assert.equal(host.must(`ls -A ${PROFILES} | grep -c snap-shm || true`).trim(), "0", "no temporary file left");
    });

    it("a text that is not one profile: refused, the file kept", async () => {
      const path = `${PROFILES}/snap.${I}.app`;
      host.writeFile(path, "profile a {\n}\nprofile b {\n}\n");
      const commands = await commandsFor();
      const run = runOperation(host, commands["apparmor-command"]);
      assert.equal(run.status, 1);
      assert.equal(run.stderr, `snap-shm: cannot edit ${path}: the text has 2 profiles, not one; the file is left as it is\n`);
      assert.equal(host.readFile(path), "profile a {\n}\nprofile b {\n}\n");
    });

    it("native mode: a profile whose block it cannot take out leaves every profile as it was", async () => {
      // The plug connected by snapd, then snap-shm's blocks added by a managed apply, as on a
      // host moving from managed to native mode.
      const P = "shmpriv";
      host.addSnap({ instance: P, apps: ["browser", "tool"], privatePlug: "shmem" });
      host.must(`snap connect ${P}:shmem :shared-memory`);
      const managed = await snapPartCommands(P, ["directory-command", "apparmor-command"] as const, { apps: ["browser", "tool"], mode: "managed", plugName: "shmem" });
      applyParts(host, managed, ["directory-command", "apparmor-command"] as const);
      // The last profile edited gets a block that begins twice.
      const last = `${PROFILES}/snap.${P}.tool`;
      host.writeFile(last, host.readFile(last)!.replace(`${BLOCK_BEGIN}\n`, `${BLOCK_BEGIN}\n${BLOCK_BEGIN}\n`));
      for (const name of [`snap-update-ns.${P}`, `snap.${P}.browser`]) assert.ok(host.readFile(`${PROFILES}/${name}`)!.includes(BLOCK_BEGIN), name);
      const before = host.snapshot(PROFILES);

      const native = await snapPartCommands(P, ["apparmor-command"] as const, { apps: ["browser", "tool"], mode: "native", plugName: "shmem" });
      const run = runOperation(host, native["apparmor-command"]);
      assert.equal(run.status, 1);
      assert.equal(run.stderr, `snap-shm: cannot edit ${last}: the snap-shm block begins twice; the file is left as it is\n`);
      assert.deepEqual(host.snapshot(PROFILES), before, "no profile changed, no temporary file left");
    });

    it("another mount on /dev/shm in the mount profile", async () => {
      host.writeFile(FSTAB, "/dev/shm/elsewhere /dev/shm none bind,rw 0 0\n");
      const commands = await commandsFor();
      const run = runOperation(host, commands["mount-command"]);
      assert.equal(run.status, 1);
      assert.equal(run.stderr, `snap-shm: cannot add the entry to ${FSTAB}: another entry already mounts on /dev/shm: /dev/shm/elsewhere /dev/shm none bind,rw 0 0; the file is left as it is\n`);
      assert.equal(host.readFile(FSTAB), "/dev/shm/elsewhere /dev/shm none bind,rw 0 0\n");
    });

    it("a snap that is not installed, or an app it does not have, before the directory is made", async () => {
      const missing = await commandsFor({ apps: ["app", "nope"] });
      const run = runOperation(host, missing["directory-command"]);
      assert.equal(run.status, 1);
      assert.equal(run.stderr, `snap-shm: snap ${I} has no profile snap.${I}.nope in ${PROFILES}: check its app and hook names\n`);
      assert.equal(host.stat(`/dev/shm/snap.${I}`), null, "nothing made");
      host.must(`rm ${PROFILES}/snap.${I}.*`);
      const gone = runOperation(host, (await commandsFor())["directory-command"]);
      assert.equal(gone.stderr, `snap-shm: snap ${I} is not installed on this host: no profiles ${PROFILES}/snap.${I}.*\n`);
      assert.equal(host.stat(`/dev/shm/snap.${I}`), null, "nothing made");
    });

    it("a snapd without private shared memory, before the directory is made", async () => {
      host.must("mount --bind /dev/null /usr/lib/snapd/info 2>/dev/null || true; printf 'VERSION=2.54.3-1\\n' > /tmp/info && mount --bind /tmp/info /usr/lib/snapd/info");
      const run = runOperation(host, (await commandsFor())["directory-command"]);
      assert.equal(run.status, 1);
      assert.equal(run.stderr, "snap-shm: snapd 2.54.3-1 has no private shared memory: it needs snapd 2.55.3 or newer\n");
      assert.equal(host.stat(`/dev/shm/snap.${I}`), null, "nothing made");
      assert.equal(host.readFile(TMPFILES), null);
    });

    it("sudo that would ask for a password, with a message saying what to do", async () => {
      host.must(
        "useradd -m asker && useradd -m trusted && printf 'asker ALL=(ALL) ALL\\ntrusted ALL=(ALL) NOPASSWD: ALL\\n' > /etc/sudoers.d/test && chmod 440 /etc/sudoers.d/test",
      );
      const registered = await registeredCommands(async () => {
        const r = await import("../../src/resources");
        return new r.PrivateShmDirectory("d", { instance: I, connection: { host: "h", user: "asker" }, become: true });
      });
      const command = registered.get("d-command")!;
      const asker = host.sh(`su -s /bin/sh asker -c ${quote(command.create)}`, command.stdin);
      assert.equal(asker.status, 1);
      assert.match(asker.stderr, /^snap-shm: sudo -n failed: sudo on this host asks for a password/);
      assert.equal(host.exists(`/dev/shm/snap.${I}`), false);
      const trusted = host.sh(`su -s /bin/sh trusted -c ${quote(command.create)}`, command.stdin);
      assert.equal(trusted.status, 0, trusted.stderr);
      assert.equal(host.stat(`/dev/shm/snap.${I}`)?.owner, "root");
    });
  });

  describe("failed writes leave the old file whole", () => {
    it("a full file system under the profiles", async () => {
      const path = `${PROFILES}/snap.${I}.app`;
      const original = host.readFile(path)!;
      // The profiles on a small tmpfs, filled up.
      host.must(`mkdir /tmp/p && cp -a ${PROFILES}/. /tmp/p/ && mount -t tmpfs -o size=64k full ${PROFILES} && cp -a /tmp/p/. ${PROFILES}/ && (head -c 1M /dev/zero > ${PROFILES}/.filler || true)`);
      const commands = await commandsFor();
      const run = runOperation(host, commands["apparmor-command"]);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /^snap-shm: cannot edit [^:]*: write error: No space left on device; the file is left as it is\n$/);
      assert.equal(host.readFile(path), original);
      assert.equal(host.must(`ls -A ${PROFILES} | grep -c '^\\.snap-shm' || true`).trim(), "0");
    });

    it("a read-only mount profile folder", async () => {
      host.writeFile(FSTAB, "/snap/a /snap/b none rbind 0 0\n");
      host.must("mount --bind /var/lib/snapd/mount /var/lib/snapd/mount && mount -o remount,bind,ro /var/lib/snapd/mount");
      const commands = await commandsFor();
      const run = runOperation(host, commands["mount-command"]);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /^snap-shm: cannot create a temporary file in \/var\/lib\/snapd\/mount: Read-only file system\n$/);
      assert.equal(host.readFile(FSTAB), "/snap/a /snap/b none rbind 0 0\n");
    });

    it("a full tmpfiles.d keeps a hand-edited entry file whole", async () => {
      host.writeFile(TMPFILES, "d /dev/shm/snap.shmtest_foo 0755 root root -\n");
      host.must(`mount -t tmpfs -o size=16k full /etc/tmpfiles.d && printf 'd /dev/shm/snap.shmtest_foo 0755 root root -\\n' > ${TMPFILES} && (head -c 1M /dev/zero > /etc/tmpfiles.d/.filler || true)`);
      const commands = await commandsFor();
      const run = runOperation(host, commands["directory-command"]);
      assert.equal(run.status, 1);
      assert.equal(host.readFile(TMPFILES), "d /dev/shm/snap.shmtest_foo 0755 root root -\n");
    });
  });

  it("two applies at once on one instance: one writes, the other finds it done", async () => {
    const commands = await commandsFor();
    runOperation(host, commands["directory-command"]);
    const runs = await Promise.all([runOperationAsync(host, commands["apparmor-command"]), runOperationAsync(host, commands["apparmor-command"])]);
    for (const run of runs) assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(runs.map((run) => run.result.changed.length).sort(), [0, 3]);
    assert.equal(host.readFile(`${PROFILES}/snap.${I}.app`)!.split(BLOCK_BEGIN).length, 2);
    const mounts = await Promise.all([runOperationAsync(host, commands["mount-command"]), runOperationAsync(host, commands["mount-command"])]);
    for (const run of mounts) assert.equal(run.status, 0, run.stderr);
    assert.equal(host.readFile(FSTAB), `${ENTRY}\n`);
    assert.equal(host.shmMounts(I).length, 2, "one bind, not two");
  });

  it("binds by hand and records it where there is no snap-update-ns, and undoes exactly that", async () => {
    host.must("mount --bind /dev/null /usr/lib/snapd/snap-update-ns");
    const commands = await commandsFor();
    const [directory, , mount] = applyAll(host, commands);
    assert.equal(directory.host?.snapUpdateNs, null);
    assert.ok(mount.changed.some((c) => c.includes("by hand (no snap-update-ns), recorded in /run/snapd/ns/snap.shmtest_foo.fstab")));
    assert.equal(host.readFile(`/run/snapd/ns/snap.${I}.fstab`), `${ENTRY}\n`);
    assert.equal(host.shmMounts(I).pop()!.split(" ")[3], `/snap.${I}`);
    assert.deepEqual(applyAll(host, commands)[2].changed, []);
    removeAll(host, commands);
    assert.equal(host.shmMounts(I).length, 1);
    assert.equal(host.readFile(`/run/snapd/ns/snap.${I}.fstab`), "");
  });

  it("refuses a namespace whose snapd record claims a bind it does not have, leaving the host's /dev/shm alone", async () => {
    host.writeFile(`/run/snapd/ns/snap.${I}.fstab`, `${ENTRY}\n`);
    const commands = await commandsFor();
    const run = runOperation(host, commands["mount-command"]);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /the namespace and its record disagree; let snapd rebuild it \(snap-discard-ns shmtest_foo\) and apply again\n$/);
    assert.equal(host.shmMounts().length, 1);
    assert.ok(host.exists("/dev/shm"));
  });

  it("follows the snapd version it is given for the rule", async () => {
    const commands = await commandsFor({ snapdVersion: "2.61.3" });
    applyAll(host, commands);
    assert.ok(host.readFile(`${PROFILES}/snap.${I}.app`)!.includes('\n"/dev/shm/**" mrwlkix,\n'));
  });
});

describe("probes on a test host", function () {
  this.timeout(120_000);
  let host: TestHost;
  const state = desiredState(I, { snapdVersion: "2.57.6" });
  const profiles = profileList(state, true);
  const probes = {
    directory: hostCommand("directory", "probe", directoryArguments(state), false),
    apparmor: hostCommand("apparmor", "probe", appArmorArguments(state, profiles, "single-level"), false),
    mount: hostCommand("mount", "probe", mountArguments(state), false),
  };
  const probe = (part: keyof typeof probes) => {
    const run = host.sh(probes[part].command, probes[part].stdin);
    assert.equal(run.status, 0, run.stderr);
    return parseOperationResult(run.stdout);
  };
  const applied = async () => applyAll(host, await commandsFor());

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], running: true });
  });
  afterEach(async () => host.stop());

  it("find every part missing before the first apply, and in sync after it", async () => {
    assert.deepEqual(probe("directory").differs, ["type=missing", "tmpfiles=missing"]);
    assert.deepEqual(probe("apparmor").differs, [`snap-update-ns.${I}=missing`, `snap.${I}.app=missing`]);
    assert.deepEqual(probe("mount").differs, ["entry=missing", "namespace=unbound"]);
    await applied();
    for (const part of ["directory", "apparmor", "mount"] as const) {
      const result = probe(part);
      assert.equal(result.inSync, true, part);
      assert.deepEqual(result.differs, [], part);
    }
  });

  it("read the tmpfiles entry as systemd-tmpfiles does: comments and blank lines aside, the one line or a difference", async () => {
    await applied();
    const entry = `d /dev/shm/snap.${I} 1777 root root -`;
    for (const [text, differs] of [
      [`# a comment\n\n${entry}\n\n`, []],
      [`${entry}`, []],
      [`${entry}\n${entry}\n`, ["tmpfiles=different"]],
      [`${entry}\nd /tmp/x 1777 root root -\n`, ["tmpfiles=different"]],
      [`d /dev/shm/snap.${I} 0755 root root -\n`, ["tmpfiles=different"]],
      [`  ${entry}\n`, ["tmpfiles=different"]],
    ] as const) {
      host.writeFile(TMPFILES, text);
      assert.deepEqual(probe("directory").differs, differs, JSON.stringify(text));
    }
  });

  it("see drift: a reboot's fresh /dev/shm, snapd rewriting profiles and the mount profile, a wrong mode", async () => {
    await applied();
    host.must(`chmod 0755 /dev/shm/snap.${I}`);
    assert.deepEqual(probe("directory").differs, ["mode=755"]);
    host.writeFile(`${PROFILES}/snap.${I}.app`, appProfile(I, "app"));
    assert.deepEqual(probe("apparmor").differs, [`snap.${I}.app=missing`]);
    host.must(`rm ${FSTAB} && /usr/lib/snapd/snap-update-ns ${I}`);
    assert.deepEqual(probe("mount").differs, ["entry=missing", "namespace=unbound"]);
    host.must(`rmdir /dev/shm/snap.${I}`);
    assert.deepEqual(probe("directory").differs, ["type=missing"]);
  });

  it("see a profile they cannot read as unreadable, with the reason", async () => {
    await applied();
    host.writeFile(`${PROFILES}/snap.${I}.app`, "no profile here\n");
    const result = probe("apparmor");
    assert.equal(result.inSync, false);
    assert.deepEqual(result.differs, [`snap.${I}.app=unreadable`]);
    assert.deepEqual(result.found.profiles, {
      [`snap-update-ns.${I}`]: "in-sync",
      [`snap.${I}.app`]: "unreadable: the text has no profile (no opening brace)",
    });
  });

  it("see a stale rule generation", async () => {
    await applied();
    const newer = hostCommand("apparmor", "probe", appArmorArguments(state, profiles, "recursive"), false);
    const result = parseOperationResult(host.sh(newer.command, newer.stdin).stdout);
    assert.deepEqual(result.differs, [`snap.${I}.app=stale`]);
  });

  it("change nothing and take no lock", async () => {
    await applied();
    host.must(`chmod 0700 /dev/shm/snap.${I} && rm -r /run/snap-shm`);
    const before = [host.snapshot("/var/lib/snapd"), host.snapshot("/etc/tmpfiles.d"), host.snapshot("/run"), host.snapshot("/dev/shm")];
    for (const part of ["directory", "apparmor", "mount"] as const) probe(part);
    assert.deepEqual([host.snapshot("/var/lib/snapd"), host.snapshot("/etc/tmpfiles.d"), host.snapshot("/run"), host.snapshot("/dev/shm")], before);
  });
});

describe("loading profiles where AppArmor is enabled (a recording stand-in for the kernel side)", function () {
  // This machine's kernel has no AppArmor, so the load itself cannot run here. The stand-in
  // apparmor_parser (TestHost.enableAppArmorStandIn) records --replace calls and hands every other call (the -QK
  // checks) to Debian's real parser.
  this.timeout(120_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"] });
    host.enableAppArmorStandIn();
  });
  afterEach(async () => host.stop());

  it("loads only the changed profiles, in one call as snapd does, and nothing when nothing changed", async () => {
    const commands = await commandsFor({ apps: ["app"] });
    const first = runOperation(host, commands["apparmor-command"]);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(first.result.changed.includes("loaded 2 profile(s) into the kernel"));
    assert.equal(first.result.found.apparmor, "enabled");
    assert.equal(
      host.readFile("/run/loads"),
      `--replace --write-cache --cache-loc=/var/cache/apparmor --skip-read-cache ${PROFILES}/snap-update-ns.${I} ${PROFILES}/snap.${I}.app\n`,
    );
    runOperation(host, commands["apparmor-command"]);
    assert.equal(host.readFile("/run/loads")!.split("\n").length, 2, "no second load");
  });

  it("says a failed load loudly, and loads again on the next apply even with the files in sync", async () => {
    const commands = await commandsFor({ apps: ["app"] });
    host.must("touch /run/fail-load");
    const failed = runOperation(host, commands["apparmor-command"]);
    assert.equal(failed.status, 1);
    assert.equal(failed.stderr, "snap-shm: apparmor_parser --replace failed: kernel says no (the files hold the new rules; the next apply loads them again)\n");
    host.must("rm /run/fail-load");
    const retried = runOperation(host, commands["apparmor-command"]);
    assert.equal(retried.status, 0, retried.stderr);
    assert.deepEqual(retried.result.changed, ["loaded 2 profile(s) into the kernel"]);
    assert.deepEqual(runOperation(host, commands["apparmor-command"]).result.changed, []);
  });
  it("finds the parser through a sudo without secure_path, which keeps a user's PATH without sbin", async () => {
    host.must("useradd -m deploy && printf 'deploy ALL=(ALL) NOPASSWD: ALL\\n' > /etc/sudoers.d/deploy && chmod 440 /etc/sudoers.d/deploy && sed -i '/secure_path/d' /etc/sudoers");
    const registered = await registeredCommands(async () => {
      const r = await import("../../src/resources");
      return new r.PrivateShmAppArmor("a", { instance: I, apps: ["app"], connection: { host: "h", user: "deploy" }, become: true });
    });
    const command = registered.get("a-command")!;
    // sshd's PATH for a user other than root: no sbin folder, where apparmor_parser lives.
    const userPath = "PATH=/usr/local/bin:/usr/bin:/bin; export PATH; ";
    assert.notEqual(host.sh(`su -s /bin/sh deploy -c ${quote(`${userPath}sudo -n sh -c 'command -v apparmor_parser'`)}`).status, 0, "sudo keeps the user's PATH");
    const run = host.sh(`su -s /bin/sh deploy -c ${quote(userPath + command.create)}`, command.stdin);
    assert.equal(run.status, 0, run.stderr);
    const result = parseOperationResult(run.stdout);
    assert.equal(result.found.apparmor, "enabled");
    assert.deepEqual(result.changed.slice(-1), ["loaded 2 profile(s) into the kernel"]);
    assert.match(host.readFile("/run/loads")!, /^--replace /);
  });
});

describe("the host probe of several instances in one run", function () {
  this.timeout(120_000);
  let host: TestHost;
  before(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], running: true });
    host.addSnap({ instance: "shmother", apps: ["app"] });
  });
  after(async () => host.stop());

  it("reports every part of every instance, picking the rule for the host's snapd where asked, with the recorded revisions", async () => {
    const foo = desiredState(I, { apps: ["app"] });
    const other = desiredState("shmother", { snapdVersion: "2.61.3" });
    const command = () =>
      hostProbeCommandLine([probeArguments(foo, profileList(foo, true), "auto"), probeArguments(other, profileList(other, true), "recursive")], false);
    const before = parseHostProbe(host.must(command(), hostScript("host")));
    assert.equal(before.ok, true, before.error);
    assert.deepEqual(Object.keys(before.instances).sort(), ["shmother", I].sort());
    assert.equal(before.instances[I].parts.managed?.directory?.revision, 0);
    assert.deepEqual(before.instances.shmother.parts.managed?.mount?.differs, ["entry=missing"]);
    assert.equal(before.instances[I].snapYaml, null, "no snap.yaml installed for the fixture");
    // Apply both, the first with revision 4 recorded; then the probe sees them in sync.
    for (const [state, generation, revision] of [[foo, "single-level", "4"], [other, "recursive", undefined]] as const) {
      for (const [part, args] of [
        ["directory", directoryArguments(state)],
        ["apparmor", appArmorArguments(state, profileList(state, true), generation)],
        ["mount", mountArguments(state)],
      ] as const) {
        const { command: text, stdin } = hostCommand(part, "apply", revision ? { ...args, revision } : args, false);
        assert.equal(host.sh(text, stdin).status, 0, `${state.instance} ${part}`);
      }
    }
    const after = parseHostProbe(host.must(command(), hostScript("host")));
    for (const instance of [I, "shmother"]) {
      for (const part of ["directory", "apparmor", "mount"] as const) {
        const found = after.instances[instance].parts.managed?.[part];
        assert.equal(found?.inSync, true, `${instance} ${part}: ${found?.differs}`);
      }
    }
    assert.equal(after.instances[I].parts.managed?.apparmor?.revision, 4);
    assert.equal(after.instances.shmother.parts.managed?.apparmor?.revision, 0);
    assert.equal(host.readFile(`/var/lib/snap-shm/${I}/mount.revision`), "4\nown\n");
    assert.equal(host.readFile("/var/lib/snap-shm/shmother/mount.revision"), null, "no revision and the default kind: no record, as before kinds were recorded");
  });

  it("leaves a part to the kind of command that applied it last, and removes it where no kind is recorded", () => {
    const state = desiredState("shmother");
    const run = (action: "apply" | "remove", args: Record<string, string>) => {
      const { command: text, stdin } = hostCommand("directory", action, { ...(action === "apply" ? directoryArguments(state) : directoryRemoveArguments(state, false)), ...args }, false);
      const result = host.sh(text, stdin);
      assert.equal(result.status, 0, result.stderr);
      return parseOperationResult(result.stdout.trim().split("\n").pop()!);
    };
    const record = "/var/lib/snap-shm/shmother/directory.revision";
    run("apply", { via: "shared" });
    assert.equal(host.readFile(record), "0\nshared\n");
    // A removal by a command of the default kind, left over from a switch, leaves it alone.
    const left = run("remove", {});
    assert.deepEqual(left.changed, []);
    assert.match(left.notes.join("\n"), /left in place: a command of the other kind \(via=shared\)/);
    assert.equal(host.stat("/dev/shm/snap.shmother")?.mode, "1777");
    // Applied by the default kind since: its record says so, and the shared command's removal is left undone.
    run("apply", { revision: "2" });
    assert.equal(host.readFile(record), "2\nown\n");
    assert.match(run("remove", { via: "shared" }).notes.join("\n"), /left in place: a command of the other kind \(via=own\)/);
    // A record an older version wrote has no kind: any removal removes.
    host.writeFile(record, "2\n");
    run("remove", { via: "shared" });
    assert.equal(host.stat("/dev/shm/snap.shmother"), null);
    assert.equal(host.readFile(record), null);
  });

  it("writes a first record in place, with no process, and replaces one that is there by a rename", () => {
    const state = desiredState("shmother");
    const record = "/var/lib/snap-shm/shmother/directory.revision";
    // mv, as the scripts find it first in their PATH, says when it runs.
    host.writeFile("/usr/local/bin/mv", '#!/bin/sh\necho "$@" >> /run/mv-calls\nexec /bin/mv "$@"\n', "0755");
    const apply = (revision: string) => {
      const { command: text, stdin } = hostCommand("directory", "apply", { ...directoryArguments(state), revision }, false);
      const result = host.sh(text, stdin);
      assert.equal(result.status, 0, result.stderr);
    };
    apply("3");
    assert.equal(host.readFile(record), "3\nown\n");
    const renamed = () => (host.readFile("/run/mv-calls") ?? "").split("\n").filter((line) => line.endsWith(` ${record}`));
    assert.deepEqual(renamed(), [], "the first record is not renamed into place");
    const inode = host.must(`stat -c %i ${record}`);
    apply("4");
    assert.equal(host.readFile(record), "4\nown\n");
    assert.equal(renamed().length, 1, "a record that is there is replaced by a rename");
    assert.notEqual(host.must(`stat -c %i ${record}`), inode, "a new file, not the old one rewritten");
    // One a crash cut short (empty) reads as no record, and the next apply replaces it.
    host.writeFile(record, "");
    apply("5");
    assert.equal(host.readFile(record), "5\nown\n");
  });

  it("refuses a kind of command it does not know", () => {
    const state = desiredState("shmother");
    const { command: text, stdin } = hostCommand("directory", "apply", { ...directoryArguments(state), via: "carrier-pigeon" }, false);
    const result = host.sh(text, stdin);
    assert.equal(result.status, 1);
    assert.equal(parseOperationResult(result.stdout.trim().split("\n").pop()!).error, 'argument via is "carrier-pigeon"; it must be own or shared');
  });

  it("says when it cannot read an instance, and still reports the others", () => {
    const foo = desiredState(I, { apps: ["app"] });
    const other = desiredState("shmother");
    const run = host.sh(
      hostProbeCommandLine([{ ...probeArguments(foo, profileList(foo, true), "auto"), generation: "newest" }, { instance: "Bad" }, probeArguments(other, profileList(other, true), "auto")], false),
      hostScript("host"),
    );
    const report = parseHostProbe(run.stdout);
    assert.equal(report.ok, true);
    assert.deepEqual(Object.keys(report.instances), ["shmother"]);
    const last = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.deepEqual(last.notes, [`could not probe instance ${I}`, "could not probe instance Bad"]);
    assert.match(run.stderr, /argument generation is "newest"; it must be auto, single-level or recursive/);
  });
});
