/**
 * The host operations in the cases a review found them wrong, on test hosts, with the exact
 * commands the resources register: a setgid directory, snapd renaming a profile or the mount
 * profile in while snap-shm reads it, a caller that goes away without a hang-up, apps or hooks
 * dropped from the configuration, a namespace nsenter cannot enter, sudo asking for a
 * password, names that need Go's quoting, and a heal waiting for the lock during a removal.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { goQuote } from "../../src/model/go-value";
import { BLOCK_BEGIN } from "../../src/render/apparmor-profile";
import { hostCommand, hostCommandLine, HostPart, SUDO_PASSWORD_MESSAGE } from "../../src/render/host-command";
import { parseOperationResult } from "../../src/render/operation-result";
import { appProfile } from "../fixtures/snapd-profiles";
import { applyParts, registeredCommands, runOperation, snapPartCommands } from "../support/registered-commands";
import { quote, TestHost } from "../support/test-host";

const I = "shmtest_foo";
const PROFILES = "/var/lib/snapd/apparmor/profiles";
const APP = `${PROFILES}/snap.${I}.app`;
const HOOK = `${PROFILES}/snap.${I}.hook.configure`;
const UPDATE_NS = `${PROFILES}/snap-update-ns.${I}`;
const FSTAB = `/var/lib/snapd/mount/snap.${I}.fstab`;
const ENTRY = `/dev/shm/snap.${I} /dev/shm none bind,rw 0 0`;
const DIR = `/dev/shm/snap.${I}`;
const NS = `/run/snapd/ns/${I}.mnt`;
const LAYOUT = "/snap/shmtest_foo/x1/usr/share /usr/share none rbind,rw,x-snapd.origin=layout 0 0";

function temporaryFiles(host: TestHost, folder = PROFILES): string[] {
  return host.must(`ls -A ${folder}`).split("\n").filter((name) => name.startsWith(".snap-shm"));
}

/**
 * A stand-in awk in front of the real one, for timing only: when snap-shm's awk reads
 * TARGET in one of MODES (the mount edit: TARGET an argument, SNAP_SHM_MODE the mode; the
 * AppArmor edit: a job of SNAP_SHM_JOBS, "MODE KIND TARGET OUTPUT"), the real awk reads it
 * first, then "snapd" renames a new TARGET in (/run/race-rewrite, given the count), up to
 * TIMES times.
 */
function snapdRewritesAfterRead(host: TestHost, target: string, modes: string[], times: number, rewrite: string): void {
  host.writeFile("/run/race-rewrite", rewrite, "0755");
  host.writeFile(
    "/usr/local/bin/awk",
    [
      "#!/bin/sh",
      "hit=",
      `for a in "$@"; do [ "$a" != ${quote(target)} ] || hit=yes; done`,
      `case " ${modes.join(" ")} " in *" \${SNAP_SHM_MODE-none} "*) ;; *) hit= ;; esac`,
      `for m in ${modes.join(" ")}; do case "\${SNAP_SHM_JOBS-}" in *"$m "*" "${quote(target)}" "*) hit=yes ;; esac; done`,
      "out=$(mktemp /run/awk-out.XXXXXX)",
      '/usr/bin/awk "$@" > "$out"; rc=$?',
      "n=$(cat /run/race-count 2>/dev/null || echo 0)",
      `if [ -n "$hit" ] && [ "$n" -lt ${times} ]; then echo $((n + 1)) > /run/race-count; sh /run/race-rewrite "$n"; fi`,
      'cat "$out"; rm -f "$out"; exit $rc',
      "",
    ].join("\n"),
    "0755",
  );
}

/** snapd's app profile with a new rule N (a connection's), renamed in as snapd does. */
const APP_REWRITE = `#!/bin/sh\nsed "s|^}\\$|  /dev/snapd-new-rule-$1 rw,\\n}|" ${APP} > ${APP}.new~ && mv -f ${APP}.new~ ${APP}\n`;
/** snapd's mount profile with a layout entry first, renamed in. */
const FSTAB_REWRITE = `#!/bin/sh\n{ echo ${quote(LAYOUT)}; grep -v x-snapd.origin=layout ${FSTAB} 2>/dev/null || true; } > ${FSTAB}.new~ && mv -f ${FSTAB}.new~ ${FSTAB}\n`;

describe("host operations in the cases the review found", function () {
  this.timeout(120_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true });
  });
  afterEach(async () => host.stop());

  describe("a directory with the setuid or setgid bit (GNU chmod keeps them under `chmod 1777`)", () => {
    it("is repaired to 1777 once, and the next apply finds nothing to repair", async () => {
      host.must(`mkdir -m 2755 ${DIR} && chmod u+s ${DIR}`);
      const { "directory-command": directory } = await snapPartCommands(I, ["directory-command"] as const);
      const first = runOperation(host, directory);
      assert.equal(first.status, 0, first.stderr);
      assert.ok(first.result.changed.includes(`repaired mode of ${DIR}: 6755 -> 1777`), first.result.changed.join("\n"));
      assert.equal(host.stat(DIR)?.mode, "1777");
      const second = runOperation(host, directory);
      assert.deepEqual(second.result.changed, [], "converged");
    });

    it("a repair that does not take fails the run, naming the mode it left, instead of being reported", async () => {
      host.must(`mkdir -m 0755 ${DIR}`);
      // A chmod that does nothing to the directory (as a file system that refuses the mode).
      host.writeFile("/usr/local/bin/chmod", `#!/bin/sh\nfor a in "$@"; do [ "$a" != ${DIR} ] || exit 0; done\nexec /bin/chmod "$@"\n`, "0755");
      const { "directory-command": directory } = await snapPartCommands(I, ["directory-command"] as const);
      const run = runOperation(host, directory);
      assert.equal(run.status, 1);
      assert.equal(run.result.error, `${DIR} is still mode 755, owner root:root after repairing it to 1777 root:root`);
      assert.deepEqual(run.result.changed, []);
    });
  });

  describe("snapd renaming a file in while snap-shm reads it", () => {
    /** Every part applied with self-heal, then snapd's app profile (without the block) renamed in, as after a refresh. */
    async function healInstalledAfterSnapdRewrite(): Promise<void> {
      const parts = ["directory-command", "apparmor-command", "mount-command", "self-heal-command"] as const;
      applyParts(host, await snapPartCommands(I, parts, { mode: "managed" }), parts);
      host.writeFile(`${APP}.new~`, appProfile(I, "app"));
      host.must(`mv -f ${APP}.new~ ${APP}`);
    }

    it("an app profile replaced right after snap-shm read it keeps snapd's new rule, with the block", async () => {
      const { "apparmor-command": apparmor } = await snapPartCommands(I, ["apparmor-command"] as const);
      snapdRewritesAfterRead(host, APP, ["check"], 1, APP_REWRITE);
      const run = runOperation(host, apparmor);
      assert.equal(run.status, 0, run.stderr);
      const text = host.readFile(APP)!;
      assert.ok(text.includes("  /dev/snapd-new-rule-0 rw,\n"), "snapd's new rule kept");
      assert.equal(text.split(BLOCK_BEGIN).length, 2, "and the block in");
      assert.deepEqual(temporaryFiles(host), []);
    });

    it("an app profile replaced after each read: nothing replaced, the run fails naming it, snapd's last text kept whole", async () => {
      const { "apparmor-command": apparmor } = await snapPartCommands(I, ["apparmor-command"] as const);
      snapdRewritesAfterRead(host, APP, ["check", "insert"], 2, APP_REWRITE);
      const run = runOperation(host, apparmor);
      assert.equal(run.status, 1);
      assert.equal(run.result.error, `${APP} changed while snap-shm was editing it (snapd rewrote it?): nothing was replaced, so none of the new text is lost; run again to edit the new text`);
      const text = host.readFile(APP)!;
      assert.ok(text.includes("  /dev/snapd-new-rule-0 rw,\n") && text.includes("  /dev/snapd-new-rule-1 rw,\n"), "snapd's texts kept");
      for (const path of [UPDATE_NS, APP, HOOK]) assert.equal(host.readFile(path)!.includes(BLOCK_BEGIN), false, `${path}: nothing replaced`);
      assert.deepEqual(temporaryFiles(host), []);
      const again = runOperation(host, apparmor);
      assert.equal(again.status, 0, again.stderr);
      assert.ok(host.readFile(APP)!.includes("  /dev/snapd-new-rule-1 rw,\n"));
      assert.equal(host.readFile(APP)!.split(BLOCK_BEGIN).length, 2);
    });

    it("in a self-heal, the next round edits the profile snapd replaced after each read", async () => {
      await healInstalledAfterSnapdRewrite();
      snapdRewritesAfterRead(host, APP, ["check", "insert"], 2, APP_REWRITE);
      const run = host.sh(`/bin/sh /var/lib/snap-shm/${I}/heal.sh`);
      assert.equal(run.status, 0, run.stderr);
      const result = parseOperationResult(run.stdout);
      assert.ok(result.notes.includes(`${APP} changed while it was being edited (snapd rewrote it?): nothing was replaced; the next round edits the new text`), result.notes.join("\n"));
      const text = host.readFile(APP)!;
      assert.ok(text.includes("  /dev/snapd-new-rule-1 rw,\n"), "snapd's last rule kept");
      assert.equal(text.split(BLOCK_BEGIN).length, 2, "and the block in");
    });

    it("in a self-heal, the next round finds an app profile snapd added during the round before", async () => {
      await healInstalledAfterSnapdRewrite();
      // A refresh that adds an app: snapd renames the app's profile in while snap-shm reads another.
      const NEW_APP = `${PROFILES}/snap.${I}.newapp`;
      host.writeFile("/run/newapp-profile", appProfile(I, "newapp"));
      snapdRewritesAfterRead(host, APP, ["check", "insert"], 1, `${APP_REWRITE}cp /run/newapp-profile ${NEW_APP}.new~ && mv -f ${NEW_APP}.new~ ${NEW_APP}\n`);
      const run = host.sh(`/bin/sh /var/lib/snap-shm/${I}/heal.sh`);
      assert.equal(run.status, 0, run.stderr);
      assert.ok(parseOperationResult(run.stdout).found.repair !== undefined);
      assert.equal(host.readFile(NEW_APP)!.split(BLOCK_BEGIN).length, 2, "the new app's profile has the block");
      assert.equal(host.readFile(APP)!.split(BLOCK_BEGIN).length, 2);
    });

    it("the mount profile replaced after snap-shm read it for the edit: nothing replaced, snapd's entry kept; the next apply adds ours beside it", async () => {
      const { "mount-command": mount } = await snapPartCommands(I, ["mount-command"] as const);
      host.writeFile(FSTAB, "");
      snapdRewritesAfterRead(host, FSTAB, ["add"], 1, FSTAB_REWRITE);
      const run = runOperation(host, mount);
      assert.equal(run.status, 1);
      assert.equal(run.result.error, `${FSTAB} changed while snap-shm was editing it (snapd rewrote it?): nothing was replaced, so none of the new text is lost; run again to edit the new text`);
      assert.equal(host.readFile(FSTAB), `${LAYOUT}\n`);
      assert.deepEqual(temporaryFiles(host, "/var/lib/snapd/mount"), []);
      const again = runOperation(host, mount);
      assert.equal(again.status, 0, again.stderr);
      assert.equal(host.readFile(FSTAB), `${LAYOUT}\n${ENTRY}\n`);
    });

    it("the mount profile's removal does not delete what snapd renamed in after the read", async () => {
      const { "mount-command": mount } = await snapPartCommands(I, ["mount-command"] as const);
      assert.equal(runOperation(host, mount).status, 0);
      snapdRewritesAfterRead(host, FSTAB, ["remove"], 1, FSTAB_REWRITE);
      const run = runOperation(host, mount, "delete");
      assert.equal(run.status, 1);
      assert.match(run.result.error!, /changed while snap-shm was editing it/);
      assert.equal(host.readFile(FSTAB), `${LAYOUT}\n${ENTRY}\n`, "snapd's text, whole");
    });
  });

  it("a caller gone without a hang-up (a closed pipe, as sshd leaves a session without a terminal): the run still cleans up and ends", async () => {
    const { "apparmor-command": apparmor } = await snapPartCommands(I, ["apparmor-command"] as const);
    // A profile the parser rejects once edited: the run fails after its temporary files exist.
    host.writeFile(HOOK, host.readFile(HOOK)!.replace("  /tmp/ r,\n", "  /tmp/ bogus,\n"));
    const run = host.sh(
      `mkfifo /run/gone; (exec 3</run/gone; exec 3<&-) & exec 4>/run/gone; wait
       ( ${apparmor.create} ) >&4 2>&4; echo "status $?"`,
      apparmor.stdin,
    );
    assert.equal(run.stdout, "status 1\n", "ended through its exit path, not killed by SIGPIPE (141)");
    assert.deepEqual(temporaryFiles(host), [], "no temporary file beside the profiles (snapd-apparmor loads dot-files too)");
  });

  describe("apps or hooks dropped from the configuration", () => {
    it("the probe sees the block left in a profile no longer listed; the apply takes it out; removal with the short list leaves no block", async () => {
      const every = await snapPartCommands(I, ["apparmor-command"] as const);
      assert.equal(runOperation(host, every["apparmor-command"]).status, 0);
      const appOnly = await snapPartCommands(I, ["apparmor-command"] as const, { apps: ["app"] });
      const probe = host.sh(appOnly["apparmor-command"].create.replace("'apparmor' 'apply'", "'apparmor' 'probe'"), appOnly["apparmor-command"].stdin);
      assert.equal(probe.status, 0, probe.stderr);
      assert.deepEqual(parseOperationResult(probe.stdout).differs, [`snap.${I}.hook.configure=unlisted-block`]);

      const apply = runOperation(host, appOnly["apparmor-command"]);
      assert.equal(apply.status, 0, apply.stderr);
      assert.deepEqual(apply.result.changed, [`removed the private-shm block (its app or hook is no longer listed) from ${HOOK}`]);
      assert.equal(host.readFile(HOOK), appProfile(I, "hook.configure"), "the hook's profile back to snapd's bytes");
      assert.deepEqual(runOperation(host, appOnly["apparmor-command"]).result.changed, [], "then in sync");

      // Listed once more, then removed with the short list: every profile loses its block.
      assert.equal(runOperation(host, every["apparmor-command"]).status, 0);
      const removal = runOperation(host, appOnly["apparmor-command"], "delete");
      assert.equal(removal.status, 0, removal.stderr);
      for (const path of [UPDATE_NS, APP, HOOK]) assert.equal(host.readFile(path)!.includes(BLOCK_BEGIN), false, path);
      assert.deepEqual(temporaryFiles(host), []);
    });
  });

  describe("a file in snapd's profile folder that no snapd profile could be named (a copy made by hand)", () => {
    it("is skipped with a note, left as it is, and breaks neither the glob, the explicit list, the probe nor the removal", async () => {
      const stray = `${PROFILES}/snap.${I}.app copy`;
      host.writeFile(stray, appProfile(I, "app"));
      const note = `skipped ${stray}: no snapd profile has that name`;
      const every = await snapPartCommands(I, ["apparmor-command"] as const);
      const appOnly = await snapPartCommands(I, ["apparmor-command"] as const, { apps: ["app"] });
      for (const commands of [appOnly, every]) {
        const apply = runOperation(host, commands["apparmor-command"]);
        assert.equal(apply.status, 0, apply.stderr);
        assert.ok(apply.result.notes.includes(note), JSON.stringify(apply.result.notes));
        const probe = host.sh(commands["apparmor-command"].create.replace("'apparmor' 'apply'", "'apparmor' 'probe'"), commands["apparmor-command"].stdin);
        assert.equal(probe.status, 0, probe.stderr);
        assert.deepEqual(parseOperationResult(probe.stdout).differs, []);
      }
      for (const path of [UPDATE_NS, APP, HOOK]) assert.ok(host.readFile(path)!.includes(BLOCK_BEGIN), path);
      const removal = runOperation(host, appOnly["apparmor-command"], "delete");
      assert.equal(removal.status, 0, removal.stderr);
      for (const path of [UPDATE_NS, APP, HOOK]) assert.equal(host.readFile(path)!.includes(BLOCK_BEGIN), false, path);
      assert.equal(host.readFile(stray), appProfile(I, "app"), "the copy untouched");
    });
  });

  describe("a namespace nsenter cannot enter (a policy refusing setns)", () => {
    it("fails the mount removal and the probe, naming the namespace, and leaves the bind", async () => {
      const commands = await snapPartCommands(I, ["directory-command", "mount-command"] as const);
      applyParts(host, commands, ["directory-command", "mount-command"] as const);
      host.writeFile("/usr/local/sbin/nsenter", "#!/bin/sh\necho \"nsenter: reassociate to namespace 'ns/mnt' failed: Operation not permitted\" >&2\nexit 1\n", "0755");
      const run = runOperation(host, commands["mount-command"], "delete");
      assert.equal(run.status, 1);
      assert.equal(run.result.error, `cannot read the mounts inside the snap's namespace ${NS}: nsenter: reassociate to namespace 'ns/mnt' failed: Operation not permitted`);
      const probe = host.sh(commands["mount-command"].create.replace("'mount' 'apply'", "'mount' 'probe'"), commands["mount-command"].stdin);
      assert.equal(parseOperationResult(probe.stdout).ok, false);
      host.must("rm /usr/local/sbin/nsenter");
      assert.equal(host.shmMounts(I).pop()!.split(" ")[3], `/snap.${I}`, "the bind is still there");
    });
  });

  describe("sudo that would ask for a password", () => {
    it("ends with a result line of the scripts' shape, and says why on standard error", async () => {
      host.must("useradd -m asker && printf 'asker ALL=(ALL) ALL\\n' > /etc/sudoers.d/asker && chmod 440 /etc/sudoers.d/asker");
      const registered = await registeredCommands(async () => {
        const r = await import("../../src/resources");
        return new r.PrivateShmDirectory("d", { instance: I, connection: { host: "h", user: "asker" }, become: true });
      });
      const command = registered.get("d-command")!;
      const run = host.sh(`su -s /bin/sh asker -c ${quote(command.create)}`, command.stdin);
      assert.equal(run.status, 1);
      assert.equal(run.stderr, `${SUDO_PASSWORD_MESSAGE}\n`);
      const lines = run.stdout.split("\n").filter(Boolean);
      assert.equal(lines.length, 1);
      assert.deepEqual(JSON.parse(lines[0]), {
        snapShm: 1,
        part: "directory",
        action: "apply",
        instance: I,
        ok: false,
        found: {},
        changed: [],
        notes: [],
        error: SUDO_PASSWORD_MESSAGE.slice("snap-shm: ".length),
      });
    });
  });

  describe("names refused with Go's quoting, as snapd and the TypeScript quote them", () => {
    const run = (part: HostPart, args: Record<string, string>) => {
      const { command, stdin } = hostCommand(part, "apply", args, false);
      const result = host.sh(command, stdin);
      return { status: result.status, stderr: result.stderr, result: parseOperationResult(result.stdout) };
    };

    for (const name of ['a"b', "a\\b", "ta\tb", "nl\nx", "bell\x07x", "del\x7fx", "caf\u00e9"]) {
      it(`snap name ${JSON.stringify(name)}`, () => {
        const refused = run("directory", { instance: name });
        assert.equal(refused.status, 1);
        assert.equal(refused.result.error, `invalid snap name: ${goQuote(name)}`);
        assert.equal(refused.stderr, `snap-shm: invalid snap name: ${goQuote(name)}\n`);
      });
    }

    it('instance key "a\\"b"', () => {
      assert.equal(run("directory", { instance: 'shm_a"b' }).result.error, `invalid instance key: ${goQuote('a"b')}`);
    });

    for (const plug of ["0abc", "a--b", "a-", "-a", "Abc", "a_b", 'a"b']) {
      it(`plug name ${JSON.stringify(plug)}, by snapd's rule ^[a-z](?:-?[a-z0-9])*$`, () => {
        const refused = run("apparmor", { instance: I, "operation-mode": "native", plug, profiles: `snap-update-ns.${I} snap.${I}.*`, "app-snippet": "x\n", "update-ns-snippet": "y\n" });
        assert.equal(refused.status, 1);
        assert.equal(refused.result.error, `invalid plug name: ${goQuote(plug)}`);
      });
    }

    it("a valid plug name passes the check", () => {
      // A snap command that fails at once: the run goes on past the check, to the connection.
      host.writeFile("/usr/local/bin/snap", "#!/bin/sh\necho 'error: cannot communicate with server' >&2\nexit 1\n", "0755");
      const passed = run("apparmor", { instance: I, "operation-mode": "native", plug: "a-b0-c", profiles: `snap-update-ns.${I} snap.${I}.*`, "app-snippet": "x\n", "update-ns-snippet": "y\n" });
      assert.match(passed.result.error ?? "", /^snap connect shmtest_foo:a-b0-c :shared-memory failed: /);
    });
  });
});

describe("the sudo refusal's result line, whatever the values hold", () => {
  it("is JSON of exactly the part, action and instance, through the login shell", () => {
    const work = mkdtempSync(join(tmpdir(), "snap-shm-sudo-"));
    try {
      // A sudo that refuses, first on PATH; nothing else runs.
      writeFileSync(join(work, "sudo"), "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n", { mode: 0o755 });
      const instance = `we"ird\\na'me%s $(x)`;
      const line = hostCommandLine("mount", "remove", { instance }, true);
      for (const shell of ["sh", "bash"]) {
        const run = spawnSync(shell, ["-c", line], { encoding: "utf8", env: { ...process.env, PATH: `${work}:${process.env.PATH}` } });
        assert.equal(run.status, 1, shell);
        const result = parseOperationResult(run.stdout);
        assert.deepEqual([result.ok, result.part, result.action, result.instance], [false, "mount", "remove", instance], shell);
        assert.equal(result.error, SUDO_PASSWORD_MESSAGE.slice("snap-shm: ".length));
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("self-heal during a removal", function () {
  this.timeout(120_000);
  let host: TestHost;
  const parts = ["directory-command", "apparmor-command", "mount-command", "self-heal-command"] as const;
  const HEAL = `/var/lib/snap-shm/${I}/heal.sh`;
  const SERVICE = `snap-shm-heal-${I}.service`;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true });
  });
  afterEach(async () => host.stop());

  it("removal stops a heal that is running (a oneshot service is 'activating' then, not 'active')", async () => {
    host.must("mkdir -p /run/systemd/system");
    host.writeFile("/usr/local/bin/systemctl", readFileSync(join(__dirname, "..", "support", "systemctl-stand-in.sh"), "utf8"), "0755");
    const commands = await snapPartCommands(I, parts, { mode: "managed" });
    applyParts(host, commands, parts);
    host.writeFile(`/run/systemctl-stand-in/${SERVICE}.state`, "activating");
    const removed = runOperation(host, commands["self-heal-command"], "delete");
    assert.equal(removed.status, 0, removed.stderr);
    assert.ok(removed.result.changed.includes(`stopped ${SERVICE}`), removed.result.changed.join("\n"));
    assert.ok(host.readFile("/run/systemctl-calls")!.split("\n").includes(`stop ${SERVICE}`));
  });

  for (const what of ["removed", "replaced"] as const) {
    it(`a heal waiting for the lock while its script is ${what} puts nothing back`, async () => {
      const commands = await snapPartCommands(I, parts, { mode: "managed" });
      applyParts(host, commands, parts);
      // A removal holds the lock; the heal starts and waits for it.
      host.must(`(flock /run/snap-shm/${I}.lock sh -c 'echo held > /run/held; i=0; while [ ! -e /run/go ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done') >/dev/null 2>&1 &
        i=0; while [ ! -e /run/held ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`);
      const healing = host.shAsync(`/bin/sh ${HEAL}`);
      // Until the heal waits in flock.
      host.must(`waiting() { for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f" 2>/dev/null | grep -q '^flock -w 120 9 $' && return 0; done; return 1; }
        i=0; until waiting; do [ $i -lt 200 ] || exit 1; sleep 0.05; i=$((i+1)); done`);
      // What the removal did meanwhile: the heal script gone (or a new one written), the blocks taken out.
      if (what === "removed") host.must(`rm ${HEAL}`);
      else host.must(`cp ${HEAL} ${HEAL}.new && echo '# new' >> ${HEAL}.new && mv -f ${HEAL}.new ${HEAL}`);
      for (const [path, app] of [[APP, "app"], [HOOK, "hook.configure"]]) {
        host.writeFile(`${path}.new~`, appProfile(I, app));
        host.must(`mv -f ${path}.new~ ${path}`);
      }
      host.must("touch /run/go");
      const run = await healing;
      assert.equal(run.status, 0, run.stderr);
      const result = parseOperationResult(run.stdout);
      assert.deepEqual(result.changed, []);
      for (const path of [APP, HOOK]) assert.equal(host.readFile(path)!.includes(BLOCK_BEGIN), false, `${path}: nothing put back`);
    });
  }
});
