/** The host scripts as files: shellcheck on each, as shipped, and their own refusals of bad arguments. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HOST_SCRIPT_DIR, hostCommand, HostPart, hostScript, HostScript } from "../../src/render/host-command";
import { TestHost } from "../support/test-host";

const PARTS: HostScript[] = ["directory", "apparmor", "mount", "self-heal", "heal", "host"];

function shellcheck(args: string[]) {
  return spawnSync("shellcheck", ["--shell=sh", ...args], { encoding: "utf8" });
}

describe("host scripts", function () {
  this.timeout(120_000);

  it("pass shellcheck: every file, all of them together, and each part's script as sent", () => {
    const files = readdirSync(HOST_SCRIPT_DIR).filter((f) => f.endsWith(".sh")).sort();
    assert.deepEqual(files, ["apparmor.sh", "directory.sh", "lib.sh", "main.sh", "mount.sh", "native.sh", "prerequisites.sh", "self-heal.sh", "snapd-version.sh"]);
    // One file alone uses what another defines: only those two checks are off for it.
    for (const file of files) {
      const result = shellcheck(["--exclude=SC2034,SC2154", join(HOST_SCRIPT_DIR, file)]);
      assert.equal(result.status, 0, `${file}\n${result.stdout}`);
    }
    const work = mkdtempSync(join(tmpdir(), "snap-shm-sc-"));
    try {
      const all = join(work, "all.sh");
      writeFileSync(all, ["lib.sh", "snapd-version.sh", "directory.sh", "apparmor.sh", "mount.sh", "native.sh", "prerequisites.sh", "self-heal.sh", "main.sh"].map((f) => spawnSync("cat", [join(HOST_SCRIPT_DIR, f)]).stdout).join("\n"));
      const strict = shellcheck([all]);
      assert.equal(strict.status, 0, strict.stdout);
      for (const part of PARTS) {
        const sent = join(work, `${part}.sh`);
        writeFileSync(sent, hostScript(part));
        // A part sent alone carries helpers for the other parts too; the whole set is checked strictly above.
        const result = shellcheck(["--exclude=SC2034,SC2154", sent]);
        assert.equal(result.status, 0, `${part}\n${result.stdout}`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("the test scripts pass shellcheck too", () => {
    for (const file of ["test-host.sh", "snap-stand-in.sh", "systemctl-stand-in.sh"]) {
      const result = shellcheck([join(__dirname, "..", "support", file)]);
      assert.equal(result.status, 0, `${file}\n${result.stdout}`);
    }
  });

  it("are sent without blank lines or comments but shellcheck's, and parse with sh -n", () => {
    for (const part of PARTS) {
      const script = hostScript(part);
      const lines = script.split("\n").slice(0, -1);
      assert.ok(!lines.some((line) => line.trim() === "" || (/^\s*#/.test(line) && !/^\s*# shellcheck /.test(line))), part);
      assert.equal(spawnSync("sh", ["-n"], { input: script }).status, 0, part);
    }
  });

  it("new_temp makes a file of its own with the shell: mode 0644, a name taken before (a file or a symlink) skipped and never opened", () => {
    // lib.sh's functions in a folder of the test's own: new_temp writes only there.
    const work = mkdtempSync(join(tmpdir(), "snap-shm-temp-"));
    try {
      const driver = [
        spawnSync("cat", [join(HOST_SCRIPT_DIR, "lib.sh")]).stdout.toString(),
        'dir=$1',
        // What a killed run with this process ID left: a file, and a symlink to a file that does not exist.
        'printf left >"$dir/.snap-shm.x.conf.$$.1"',
        'ln -s "$dir/followed" "$dir/.snap-shm.x.conf.$$.2"',
        'new_temp "$dir/x.conf"',
        'first=$temp',
        'new_temp "$dir/x.conf"',
        'printf "%s %s %s\\n" "${first#"$dir/"}" "${temp#"$dir/"}" "$(stat -c %a "$first")"',
        'case $- in *C*) echo "noclobber still on" ;; esac',
        '[ ! -e "$dir/followed" ] || echo "the symlink was followed"',
        'printf new >"$dir/.snap-shm.x.conf.$$.1" && cat "$dir/.snap-shm.x.conf.$$.1"',
      ].join("\n");
      const run = spawnSync("sh", ["-s", "--", work], { input: driver, encoding: "utf8" });
      assert.equal(run.stderr, "");
      const [names, rest] = [run.stdout.split("\n")[0], run.stdout.split("\n").slice(1).join("\n")];
      assert.match(names, /^\.snap-shm\.x\.conf\.(\d+)\.3 \.snap-shm\.x\.conf\.\1\.4 644$/);
      assert.equal(rest, "new", "no noclobber left on, no symlink followed, and the shell's redirections still overwrite");
      // Where it cannot: the shell's reason, as mktemp's was given.
      const lib = spawnSync("cat", [join(HOST_SCRIPT_DIR, "lib.sh")]).stdout.toString();
      const unwritable = spawnSync("sh", ["-s", "--", join(work, "missing")], { input: `${lib}\nnew_temp "$1/x.conf"\necho "not reached"\n`, encoding: "utf8" });
      assert.equal(unwritable.status, 1);
      assert.equal(unwritable.stdout, "");
      assert.equal(unwritable.stderr, `snap-shm: cannot create a temporary file in ${join(work, "missing")}: Directory nonexistent\n`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  describe("refuse bad arguments before touching anything", () => {
    let host: TestHost;
    before(async () => {
      host = await TestHost.start();
    });
    after(async () => host.stop());

    const cases: Array<[HostPart, string, Record<string, string>, string]> = [
      ["directory", "apply", { instance: "../etc", path: "/dev/shm/snap.../etc" }, 'invalid snap name: "../etc"'],
      ["directory", "apply", { instance: "shm_BAD" }, 'invalid instance key: "BAD"'],
      ["directory", "apply", { instance: "shm", path: "/etc", mode: "1777", owner: "root", group: "root" }, 'argument path is "/etc"; for instance shm it must be "/dev/shm/snap.shm"'],
      ["directory", "apply", { instance: "shm", path: "/dev/shm/snap.shm", mode: "0777", owner: "root", group: "root" }, 'argument mode is "0777"; for instance shm it must be "1777"'],
      ["directory", "remove", { instance: "shm", path: "/dev/shm/snap.shm", mode: "1777", owner: "root", group: "root", purge: "maybe" }, 'argument purge is "maybe"; it must be yes or no'],
      ["mount", "apply", { instance: "shm", profile: "/var/lib/snapd/mount/snap.shm.fstab", entry: "/ /dev/shm none bind,rw 0 0" }, 'argument entry is "/ /dev/shm none bind,rw 0 0"; for instance shm it must be "/dev/shm/snap.shm /dev/shm none bind,rw 0 0"'],
      ["apparmor", "apply", { instance: "shm", profiles: "snap.other.app", "app-snippet": "x\n", "update-ns-snippet": "y\n" }, 'profile "snap.other.app" does not belong to snap instance shm'],
      ["apparmor", "apply", { instance: "shm", profiles: "snap.shm.a/../../x", "app-snippet": "x\n", "update-ns-snippet": "y\n" }, 'invalid profile name "snap.shm.a/../../x"'],
      ["apparmor", "remove", { instance: "shm" }, "missing argument profiles="],
    ];
    for (const [part, action, args, message] of cases) {
      it(`${part} ${action}: ${message}`, () => {
        const before = host.snapshot("/var/lib/snapd");
        const { command, stdin } = hostCommand(part, action as "apply", args, false);
        const run = host.sh(command, stdin);
        assert.equal(run.status, 1);
        assert.equal(run.stderr, `snap-shm: ${message}\n`);
        const result = JSON.parse(run.stdout);
        assert.equal(result.ok, false);
        assert.equal(result.error, message);
        assert.deepEqual(host.snapshot("/var/lib/snapd"), before);
      });
    }

    it("an unknown argument or operation", () => {
      const unknown = host.sh("sh -s -- directory apply instance=shm colour=red", hostScript("directory"));
      assert.equal(unknown.stderr, 'snap-shm: unknown argument "colour"\n');
      const operation = host.sh("sh -s -- directory delete instance=shm", hostScript("directory"));
      assert.equal(operation.stderr, 'snap-shm: unknown operation "directory delete"\n');
    });
  });
});
