/**
 * Host operations in the hard cases, on test hosts: values that need escaping in the result
 * line, a run killed halfway, a replacement failing halfway where AppArmor is enabled, snapd
 * rewriting a profile while the parser checks ours, and a snapd that re-executes into the
 * snapd (or core) snap. The commands are the exact ones the resources register.
 */
import { strict as assert } from "node:assert";
import { desiredState } from "../../src/model/desired-state";
import { BLOCK_BEGIN } from "../../src/render/apparmor-profile";
import { hostProbeCommandLine, hostScript } from "../../src/render/host-command";
import { probeArguments, profileList } from "../../src/render/part-arguments";
import { parseOperationResult } from "../../src/render/operation-result";
import { appProfile } from "../fixtures/snapd-profiles";
import { runOperation, runOperationAsync, snapPartCommands } from "../support/registered-commands";
import { TestHost } from "../support/test-host";

const I = "shmtest_foo";
const PROFILES = "/var/lib/snapd/apparmor/profiles";
const APP = `${PROFILES}/snap.${I}.app`;
const HOOK = `${PROFILES}/snap.${I}.hook.configure`;
const UPDATE_NS = `${PROFILES}/snap-update-ns.${I}`;
const NOT_LOADED = `/run/snap-shm/${I}.apparmor-not-loaded`;

/** The temporary files snap-shm leaves beside the profiles, if any. */
function temporaryFiles(host: TestHost): string[] {
  return host.must(`ls -A ${PROFILES}`).split("\n").filter((name) => name.startsWith(".snap-shm"));
}

/** snapd's app profile after it gained a rule (say, of a camera connection). */
function rewrittenAppProfile(): string {
  return appProfile(I, "app").replace(/\n}\n$/, "\n  /dev/video[0-9]* rw,\n}\n");
}

/** Replaces a profile the way snapd does: a new file renamed over it. */
function snapdWrites(host: TestHost, path: string, text: string): void {
  host.writeFile(`${path}.new~`, text);
  host.must(`mv -f ${path}.new~ ${path}`);
}

/**
 * A stand-in apparmor_parser in front of Debian's real one: its profile checks (-QK) write the
 * calling shell's pid to /run/parser-pid, then wait until /run/parser-go exists (at most 10 s),
 * as a check of several profiles can take seconds. --replace calls (the kernel side, which this
 * machine lacks) are recorded in /run/loads.
 */
function slowParser(host: TestHost): void {
  host.writeFile(
    "/usr/local/sbin/apparmor_parser",
    [
      "#!/bin/sh",
      'case "$1" in',
      '  --replace) echo "$*" >> /run/loads; exit 0 ;;',
      "  -QK)",
      "    echo $PPID > /run/parser-pid.new && mv /run/parser-pid.new /run/parser-pid",
      "    i=0; while [ ! -e /run/parser-go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done ;;",
      "esac",
      'exec /usr/sbin/apparmor_parser "$@"',
      "",
    ].join("\n"),
    "0755",
  );
}

/** Waits until the stand-in parser is checking; returns the pid of the shell that called it. */
function parserChecking(host: TestHost): string {
  return host.must("i=0; while [ ! -s /run/parser-pid ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; cat /run/parser-pid").trim();
}

describe("host operations in the hard cases", function () {
  this.timeout(120_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], privatePlug: "shm" });
  });
  afterEach(async () => host.stop());

  it("the host probe gives a snap.yaml with backslashes and quotes as JSON of exactly its text", () => {
    const yaml = `${host.readFile(`/snap/${I}/current/meta/snap.yaml`)}description: versions like 1\\.2 (regex \\d+\\.\\d+), C:\\\\snap "quoted"\\\n`;
    host.writeFile(`/snap/${I}/current/meta/snap.yaml`, yaml);
    const state = desiredState(I, { apps: ["app"] });
    const run = host.sh(hostProbeCommandLine([probeArguments(state, profileList(state, true), "auto")], false), hostScript("host"));
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
    const snap = lines.map((line) => JSON.parse(line)).find((result) => result.part === "snap");
    // The shell's command substitution drops the final newline.
    assert.equal(snap.found.snapYaml, yaml.replace(/\n$/, ""));
  });

  for (const [signal, status] of [["TERM", 143], ["HUP", 129], ["INT", 130]] as const) {
    it(`an apply killed by SIG${signal} while the parser checks leaves no temporary file, changes nothing, and says so`, async () => {
      slowParser(host);
      const commands = await snapPartCommands(I, ["apparmor-command"] as const);
      const before = host.snapshot(PROFILES);
      const running = runOperationAsync(host, commands["apparmor-command"]);
      const pid = parserChecking(host);
      host.must(`kill -${signal} ${pid}; touch /run/parser-go`);
      const run = await running;
      assert.deepEqual(temporaryFiles(host), [], "no temporary file beside the profiles (snapd-apparmor loads dot-files too)");
      assert.deepEqual(host.snapshot(PROFILES), before, "no profile changed");
      assert.equal(run.status, status);
      assert.equal(run.result.ok, false);
      assert.equal(run.result.error, `apparmor apply was interrupted by SIG${signal}`);
    });
  }

  describe("snapd rewrites a profile while the parser checks the new text", () => {
    it("nothing is replaced, snapd's new text is kept whole, the run fails naming the file; the next apply edits the new text", async () => {
      slowParser(host);
      const commands = await snapPartCommands(I, ["apparmor-command"] as const);
      const running = runOperationAsync(host, commands["apparmor-command"]);
      parserChecking(host);
      snapdWrites(host, APP, rewrittenAppProfile());
      host.must("touch /run/parser-go");
      const run = await running;
      assert.equal(run.status, 1);
      assert.equal(
        run.stderr,
        `snap-shm: ${APP} changed while snap-shm was editing it (snapd rewrote it?): nothing was replaced, so none of the new text is lost; run again to edit the new text\n`,
      );
      assert.equal(host.readFile(APP), rewrittenAppProfile(), "snapd's text, whole");
      for (const path of [UPDATE_NS, HOOK]) assert.equal(host.readFile(path)!.includes(BLOCK_BEGIN), false, `${path}: nothing replaced`);
      assert.deepEqual(temporaryFiles(host), []);

      const again = runOperation(host, commands["apparmor-command"]);
      assert.equal(again.status, 0, again.stderr);
      const text = host.readFile(APP)!;
      assert.ok(text.includes("  /dev/video[0-9]* rw,\n"), "snapd's new rule kept");
      assert.equal(text.split(BLOCK_BEGIN).length, 2, "and the block in");
    });

    it("in a self-heal, the next round edits snapd's new text", async () => {
      const parts = ["directory-command", "apparmor-command", "mount-command", "self-heal-command"] as const;
      const commands = await snapPartCommands(I, parts, { mode: "managed" });
      for (const part of parts) assert.equal(runOperation(host, commands[part]).status, 0, part);
      // snapd drops the block from the app profile; the heal starts while it goes on writing.
      snapdWrites(host, APP, appProfile(I, "app"));
      slowParser(host);
      const running = host.shAsync(execStart(host));
      parserChecking(host);
      snapdWrites(host, APP, rewrittenAppProfile());
      host.must("touch /run/parser-go");
      const run = await running;
      assert.equal(run.status, 0, run.stderr);
      const text = host.readFile(APP)!;
      assert.ok(text.includes("  /dev/video[0-9]* rw,\n"), "snapd's new rule kept");
      assert.equal(text.split(BLOCK_BEGIN).length, 2, "and the block in");
      const result = parseOperationResult(run.stdout);
      assert.ok(result.notes.includes(`${APP} changed while it was being edited (snapd rewrote it?): nothing was replaced; the next round edits the new text`), result.notes.join("\n"));
      assert.deepEqual(result.changed, [`put the private-shm block into ${APP}`]);
      assert.deepEqual(temporaryFiles(host), []);
    });

    it("in a self-heal, a profile rewritten in every round fails the heal after the last one, keeping snapd's text", async () => {
      const parts = ["directory-command", "apparmor-command", "mount-command", "self-heal-command"] as const;
      const commands = await snapPartCommands(I, parts, { mode: "managed" });
      for (const part of parts) assert.equal(runOperation(host, commands[part]).status, 0, part);
      snapdWrites(host, APP, appProfile(I, "app"));
      // Every check of the parser sees snapd write the profile again.
      host.writeFile(
        "/usr/local/sbin/apparmor_parser",
        `#!/bin/sh\nn=$(cat /run/writes 2>/dev/null || echo 0); echo $((n + 1)) > /run/writes\nsed "s|^}$|  /dev/video$n rw,\\n}|" /run/plain > ${APP}.new~ && mv -f ${APP}.new~ ${APP}\nexec /usr/sbin/apparmor_parser "$@"\n`,
        "0755",
      );
      host.writeFile("/run/plain", appProfile(I, "app"));
      const run = host.sh(execStart(host));
      assert.equal(run.status, 1);
      assert.match(run.stderr, new RegExp(`snap-shm: ${APP.replace(/\./g, "\\.")} changed while it was being edited, in round after round \\(3\\)`));
      assert.equal(host.readFile("/run/writes"), "3\n", "one check per round");
      assert.equal(host.readFile(APP)!.includes(BLOCK_BEGIN), false);
      assert.ok(host.readFile(APP)!.includes("  /dev/video2 rw,\n"), "snapd's last text, whole");
      assert.deepEqual(temporaryFiles(host), []);
    });
  });
});

describe("a replacement failing halfway where AppArmor is enabled (a recording stand-in for the kernel side)", function () {
  this.timeout(120_000);
  let host: TestHost;

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"] });
    host.enableAppArmorStandIn();
  });
  afterEach(async () => host.stop());

  it("leaves the not-loaded mark, and the next apply loads the profiles replaced before the failure too", async () => {
    const commands = await snapPartCommands(I, ["apparmor-command"] as const);
    // The last profile cannot be replaced this time (a mount point: EBUSY; any failed mv does).
    host.must(`mount --bind ${HOOK} ${HOOK}`);
    const failed = runOperation(host, commands["apparmor-command"]);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, new RegExp(`^snap-shm: cannot replace ${HOOK.replace(/\./g, "\\.")}\\n$`, "m"));
    assert.ok(host.readFile(APP)!.includes(BLOCK_BEGIN), "the profiles before it were replaced");
    assert.equal(host.readFile("/run/loads"), null, "nothing loaded");
    assert.ok(host.exists(NOT_LOADED), "the not-loaded mark");
    host.must(`umount ${HOOK}`);

    const again = runOperation(host, commands["apparmor-command"]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(host.readFile("/run/loads"), `--replace --write-cache --cache-loc=/var/cache/apparmor --skip-read-cache ${UPDATE_NS} ${APP} ${HOOK}\n`);
    assert.equal(host.exists(NOT_LOADED), false);
    assert.deepEqual(runOperation(host, commands["apparmor-command"]).result.changed, [], "then in sync, loaded");
  });
});

describe("a snapd that re-executes into the snapd or core snap, as it does on Debian and Ubuntu", function () {
  this.timeout(120_000);
  let host: TestHost;
  const SNAPD_SNAP = "/snap/snapd/current/usr/lib/snapd";
  const CORE_SNAP = "/snap/core/current/usr/lib/snapd";

  /** The distribution's snapd says VERSION (its info file, bound over). */
  function distroSnapd(version: string): void {
    host.writeFile("/run/distro-info", `VERSION=${version}\nSNAPD_APPARMOR_REEXEC=1\n`);
    host.must("mount --bind /run/distro-info /usr/lib/snapd/info");
  }

  /** A snapd (or core) snap with snapd VERSION, whose snap-update-ns records its runs and hands them to the real one. */
  function snapSnapd(dir: string, version: string): void {
    host.writeFile(`${dir}/info`, `VERSION=${version}\n`);
    host.writeFile(`${dir}/snapd`, "#!/bin/sh\nexit 1\n", "0755");
    host.writeFile(`${dir}/snap-update-ns`, `#!/bin/sh\necho "$0 $*" >> /run/snap-update-ns.log\nexec /usr/lib/snapd/snap-update-ns "$@"\n`, "0755");
  }

  beforeEach(async () => {
    host = await TestHost.start();
    host.addSnap({ instance: I, apps: ["app"], hooks: ["configure"], running: true, privatePlug: "shm" });
  });
  afterEach(async () => host.stop());

  it("a distribution snapd without private shared memory, re-executing into a snapd snap that has it: its version, its rule, its snap-update-ns", async () => {
    distroSnapd("2.49.2-1");
    snapSnapd(SNAPD_SNAP, "2.61.3");
    const commands = await snapPartCommands(I, ["directory-command", "apparmor-command", "mount-command"] as const);
    const directory = runOperation(host, commands["directory-command"]);
    assert.equal(directory.status, 0, directory.stderr);
    assert.equal(directory.result.host?.snapdVersion, "2.61.3");
    assert.equal(directory.result.host?.ruleGeneration, "recursive");
    assert.equal(directory.result.host?.snapUpdateNs, `${SNAPD_SNAP}/snap-update-ns`);
    assert.equal(runOperation(host, commands["apparmor-command"]).status, 0);
    assert.ok(host.readFile(APP)!.includes('\n"/dev/shm/**" mrwlkix,\n'), "the rule of snapd 2.61.3");
    const mount = runOperation(host, commands["mount-command"]);
    assert.equal(mount.status, 0, mount.stderr);
    assert.equal(host.readFile("/run/snap-update-ns.log"), `${SNAPD_SNAP}/snap-update-ns ${I}\n`, "the snap's own snap-update-ns applied the profile");
    assert.ok(mount.result.changed.includes(`bound /dev/shm/snap.${I} over /dev/shm in /run/snapd/ns/${I}.mnt by ${SNAPD_SNAP}/snap-update-ns`), mount.result.changed.join("\n"));
  });

  it("a core snap where there is no snapd snap; an equal version re-executes too", async () => {
    distroSnapd("2.61.3");
    snapSnapd(CORE_SNAP, "2.61.3");
    const commands = await snapPartCommands(I, ["directory-command"] as const);
    const directory = runOperation(host, commands["directory-command"]);
    assert.equal(directory.status, 0, directory.stderr);
    assert.equal(directory.result.host?.snapdVersion, "2.61.3");
    assert.equal(directory.result.host?.snapUpdateNs, `${CORE_SNAP}/snap-update-ns`);
  });

  it("a snapd snap older than the distribution's snapd: the distribution's runs, with its snap-update-ns", async () => {
    snapSnapd(SNAPD_SNAP, "2.61.3");
    distroSnapd("2.62+git1-1");
    snapSnapd(CORE_SNAP, "2.63");
    const commands = await snapPartCommands(I, ["directory-command"] as const);
    const directory = runOperation(host, commands["directory-command"]);
    assert.equal(directory.status, 0, directory.stderr);
    assert.equal(directory.result.host?.snapdVersion, "2.62+git1-1", "the snapd snap decides: snapd does not look at the core snap then");
    assert.equal(directory.result.host?.snapUpdateNs, "/usr/lib/snapd/snap-update-ns");
  });

  it("native mode checks the rule the snapd snap wrote, not the one of the distribution's older snapd", async () => {
    snapSnapd(SNAPD_SNAP, "2.61.3");
    host.must(`snap connect ${I}:shm :shared-memory`);
    // snapd 2.61.3 writes the recursive rule.
    host.must(`sed -i 's|"/dev/shm/\\*" mrwlkix,|"/dev/shm/**" mrwlkix,|' ${APP} ${HOOK}`);
    assert.ok(host.readFile(APP)!.includes('"/dev/shm/**" mrwlkix,'));
    const commands = await snapPartCommands(I, ["apparmor-command"] as const, { mode: "native", plugName: "shm" });
    const run = runOperation(host, commands["apparmor-command"]);
    assert.equal(run.status, 0, run.stderr);
  });
});

/** The self-heal service's ExecStart line (two plain words). */
function execStart(host: TestHost): string {
  const service = host.readFile(`/etc/systemd/system/snap-shm-heal-${I}.service`)!;
  return service.split("\n").find((line) => line.startsWith("ExecStart="))!.slice("ExecStart=".length);
}
