/** The snap-shm command as users run it: the compiled bin, real processes, exit codes, stdout and stderr. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "dist", "cli", "main.js");
const SNAPS = join(ROOT, "tests", "fixtures", "snaps");

function snapShm(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const TWO_PRIVATE_SUMMARY =
  'snap "shmtwopriv" has bad plugs or slots: shm-a, shm-b (shared-memory plug with "private: true" set cannot be used with other shared-memory plugs)';

describe("snap-shm CLI", function () {
  this.timeout(60_000);

  before(() => assert.ok(existsSync(BIN), `${BIN} is missing: run npm run build first`));

  describe("validate", () => {
    it("exits 1 and prints snapd's summary for two private plugs", () => {
      const { status, stdout, stderr } = snapShm("validate", join(SNAPS, "two-private.snap.yaml"));
      assert.equal(status, 1);
      assert.equal(stderr, "");
      assert.equal(
        stdout,
        [
          "shmtwopriv: 2 shared-memory plugs, 0 slots",
          '  plug shm-a: invalid: shared-memory plug with "private: true" set cannot be used with other shared-memory plugs',
          '  plug shm-b: invalid: shared-memory plug with "private: true" set cannot be used with other shared-memory plugs',
          TWO_PRIVATE_SUMMARY,
          "",
        ].join("\n"),
      );
    });

    it("prints the JSON report and nothing else with --json", () => {
      const { status, stdout } = snapShm("validate", "--json", join(SNAPS, "two-private.snap.yaml"));
      assert.equal(status, 1);
      const error = 'shared-memory plug with "private: true" set cannot be used with other shared-memory plugs';
      assert.deepEqual(JSON.parse(stdout), {
        snap: "shmtwopriv",
        valid: false,
        summary: TWO_PRIVATE_SUMMARY,
        plugs: [
          { name: "shm-a", interface: "shared-memory", valid: false, error, attrs: { private: true } },
          { name: "shm-b", interface: "shared-memory", valid: false, error, attrs: { private: true } },
        ],
        slots: [],
      });
    });

    it("exits 0 for a snapcraft.yaml with one private plug (YAML 1.1 yes)", () => {
      const { status, stdout } = snapShm("validate", join(SNAPS, "browser.snapcraft.yaml"));
      assert.equal(status, 0);
      assert.equal(stdout, "browser: 1 shared-memory plug, 0 slots\n  plug shared-memory: valid  private=true\nbrowser asks for a private /dev/shm (plug shared-memory).\n");
      const json = JSON.parse(snapShm("validate", "--json", join(SNAPS, "browser.snapcraft.yaml")).stdout);
      assert.deepEqual(json, {
        snap: "browser",
        valid: true,
        summary: null,
        plugs: [{ name: "shared-memory", interface: "shared-memory", valid: true, attrs: { private: true } }],
        slots: [],
      });
    });

    it("reports a quoted \"true\" as snapd does and keeps the valid slot's sanitized attributes", () => {
      const { status, stdout } = snapShm("validate", "--json", join(SNAPS, "quoted-true.snap.yaml"));
      assert.equal(status, 1);
      const report = JSON.parse(stdout);
      assert.equal(report.summary, 'snap "quotedtrue" has bad plugs or slots: shm (shared-memory "private" attribute must be a bool, not true)');
      assert.deepEqual(report.slots, [{ name: "bus", interface: "shared-memory", valid: true, attrs: { write: ["bus*"], "shared-memory": "bus" } }]);
    });

    it("exits 1 with snapd's message when snapd would refuse the snap outright", () => {
      const file = join(SNAPS, "malformed-plug.snap.yaml");
      const human = snapShm("validate", file);
      assert.equal(human.status, 1);
      // As src/cli/validate-command.ts now prints it (changed by its owner): file:line:column first.
      assert.equal(human.stdout, `${file}:4:3: snapd refuses this snap: plug "shm" has malformed definition (found []interface {})\n`);
      const json = snapShm("validate", "--json", file);
      assert.equal(json.status, 1);
      const report = JSON.parse(json.stdout);
      assert.deepEqual([report.error, report.position], ['plug "shm" has malformed definition (found []interface {})', { line: 4, column: 3 }]);
    });

    it("exits 2 with the line and column for text that is not YAML", () => {
      const file = join(SNAPS, "not-yaml.snap.yaml");
      const { status, stdout, stderr } = snapShm("validate", "--json", file);
      assert.equal(status, 2);
      assert.equal(stdout, "");
      assert.match(stderr, new RegExp(`^snap-shm validate: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not YAML snapd can read: line \\d+, column \\d+: `));
    });

    it("exits 2 for a missing file and for bad usage", () => {
      const missing = snapShm("validate", "/nonexistent/snap.yaml");
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /^snap-shm validate: cannot read \/nonexistent\/snap\.yaml: ENOENT/);
      const none = snapShm("validate");
      assert.equal(none.status, 2);
      assert.match(none.stderr, /^snap-shm validate: validate takes exactly one FILE\n\nUsage: snap-shm validate/);
      const unknown = snapShm("validate", "--yaml", "x");
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /Unknown option '--yaml'/);
    });

    it("prints its help with --help", () => {
      const { status, stdout } = snapShm("validate", "--help");
      assert.equal(status, 0);
      assert.match(stdout, /^Usage: snap-shm validate FILE \[--json\]/);
    });
  });

  describe("render", () => {
    it("reports the entry and update-ns rule of shmtest_foo as JSON", () => {
      const { status, stdout, stderr } = snapShm("render", "shmtest_foo", "--json");
      assert.equal(status, 0);
      assert.equal(stderr, "");
      const json = JSON.parse(stdout);
      assert.deepEqual(Object.keys(json), ["instance", "snap", "instanceKey", "snapdVersion", "directory", "mountProfile", "appArmor"]);
      assert.equal(json.mountProfile.entry, "/dev/shm/snap.shmtest_foo /dev/shm none bind,rw 0 0");
      assert.ok(json.appArmor.updateNsSnippet.split("\n").map((l: string) => l.trim()).includes("mount options=(bind, rw) /dev/shm/snap.shmtest_foo/ -> /dev/shm/,"));
      assert.deepEqual(json.directory, { path: "/dev/shm/snap.shmtest_foo", mode: "1777", owner: "root", group: "root" });
      assert.deepEqual([json.instance, json.snap, json.instanceKey, json.snapdVersion], ["shmtest_foo", "shmtest", "foo", null]);
      assert.deepEqual(Object.keys(json.appArmor), ["appRule", "appSnippet", "updateNsSnippet", "profiles"]);
    });

    it("names the profile files for each app and hook, and follows the snapd version", () => {
      const { stdout } = snapShm("render", "chromium", "--app", "chromium", "--app", "chromedriver", "--hook", "configure", "--snapd-version", "2.58", "--json");
      const json = JSON.parse(stdout);
      assert.deepEqual(json.appArmor.profiles, ["snap-update-ns.chromium", "snap.chromium.chromium", "snap.chromium.chromedriver", "snap.chromium.hook.configure"]);
      assert.equal(json.appArmor.appRule, '"/dev/shm/*" mrwlkix,');
      assert.equal(json.snapdVersion, "2.58");
    });

    it("prints each artifact where it goes in human form", () => {
      const { status, stdout } = snapShm("render", "shmtest_foo", "--app", "app");
      assert.equal(status, 0);
      assert.match(stdout, /^instance {7}shmtest_foo \(snap shmtest, instance key foo\)\n/);
      assert.match(stdout, /\ndirectory {6}\/dev\/shm\/snap\.shmtest_foo {2}mode 1777 {2}owner root:root\n/);
      assert.match(stdout, /\n {15}\/dev\/shm\/snap\.shmtest_foo \/dev\/shm none bind,rw 0 0\n/);
      assert.match(stdout, /--- \/var\/lib\/snapd\/apparmor\/profiles\/snap-update-ns\.shmtest_foo \(before the closing brace\)\n {2}# BEGIN snap-shm private-shm\n {2}# Private \/dev\/shm\n/);
      assert.match(stdout, /--- \/var\/lib\/snapd\/apparmor\/profiles\/snap\.shmtest_foo\.app \(before the closing brace\)\n# BEGIN snap-shm private-shm\n\n# Description: Allow access to everything in private \/dev\/shm\n"\/dev\/shm\/\*\*" mrwlkix,\n# END snap-shm private-shm\n/);
    });

    it("without --app and --hook, shows the app rule for every app and hook profile (snap.I.*), as resources and check write it", () => {
      const json = JSON.parse(snapShm("render", "shmtest_foo", "--json").stdout);
      assert.deepEqual(json.appArmor.profiles, ["snap-update-ns.shmtest_foo", "snap.shmtest_foo.*"]);
      const { status, stdout } = snapShm("render", "shmtest_foo");
      assert.equal(status, 0);
      assert.match(
        stdout,
        /\n--- \/var\/lib\/snapd\/apparmor\/profiles\/snap\.shmtest_foo\.\* \(every app and hook profile of the instance, before the closing brace\)\n# BEGIN snap-shm private-shm\n\n# Description: Allow access to everything in private \/dev\/shm\n"\/dev\/shm\/\*\*" mrwlkix,\n# END snap-shm private-shm\n$/,
      );
    });

    it("exits 2 with snapd's message for a bad instance, app or version", () => {
      const cases: Array<[string[], string]> = [
        [["Shm"], 'snap-shm render: instance: invalid snap name: "Shm"\n'],
        [["shm_toolongkey1"], 'snap-shm render: instance: invalid instance key: "toolongkey1"\n'],
        [["shm", "--app", "a b"], 'snap-shm render: --app: invalid app name: "a b"\n'],
        [["shm", "--hook", "ok", "--hook", "ok"], 'snap-shm render: --hook: "ok" is listed twice\n'],
        [["shm", "--snapd-version", "2.54"], "snap-shm render: --snapd-version: snapd 2.54 has no private shared memory: it needs snapd 2.55.3 or newer\n"],
        [["shm", "--snapd-version", "banana"], 'snap-shm render: --snapd-version: invalid snapd version: "banana" (expected a version such as 2.61.3 or 2.57.6-1+deb12u1)\n'],
      ];
      for (const [args, stderr] of cases) {
        const result = snapShm("render", ...args, "--json");
        assert.deepEqual([result.status, result.stdout, result.stderr], [2, "", stderr], args.join(" "));
      }
    });
  });

  it("works as `npx snap-shm` in the project after npm ci", () => {
    const result = spawnSync("npx", ["--no-install", "snap-shm", "render", "shmtest_foo", "--json"], { encoding: "utf8", cwd: ROOT });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).mountProfile.entry, "/dev/shm/snap.shmtest_foo /dev/shm none bind,rw 0 0");
  });

  it("lists its commands, and refuses an unknown one", () => {
    assert.match(snapShm("--help").stdout, /^Usage: snap-shm COMMAND/);
    const none = snapShm();
    assert.deepEqual([none.status, none.stdout], [2, ""]);
    assert.match(none.stderr, /^snap-shm: no command given\n\nUsage: snap-shm COMMAND/);
    const unknown = snapShm("deploy");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^snap-shm: unknown command "deploy"/);
  });
});
