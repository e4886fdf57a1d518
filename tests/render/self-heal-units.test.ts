/**
 * The files a self-heal install writes, rendered by the host script's own functions with
 * the arguments the resources send (no host touched: the profile list is explicit), and
 * checked by Debian's `systemd-analyze verify` (systemd 252). The check is held to catch
 * broken units: each broken variant below must fail it.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desiredState } from "../../src/model/desired-state";
import { HOST_SCRIPT_DIR, HostArguments, shellQuote } from "../../src/render/host-command";
import { profileList, selfHealArguments } from "../../src/render/part-arguments";

const FUNCTIONS = ["lib.sh", "snapd-version.sh", "directory.sh", "apparmor.sh", "mount.sh", "self-heal.sh"].map((f) => readFileSync(join(HOST_SCRIPT_DIR, f), "utf8")).join("\n");

/** Runs the host's self-heal functions with these apply arguments, then `body`. */
function withHealArguments(args: HostArguments, body: string): string {
  const words = Object.entries(args).map(([key, value]) => shellQuote(`${key}=${value}`));
  const run = spawnSync("sh", ["-c", `${FUNCTIONS}\nparse_args ${words.join(" ")}\ninstance=$arg_instance\naction=apply\nself_heal_args\nself_heal_names\n${body}`], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

interface Rendered {
  path: string;
  service: string;
  script: string;
}

function render(instance: string, apps: string[]): Rendered {
  const state = desiredState(instance, { apps });
  const args = selfHealArguments(state, profileList(state, false), "recursive");
  return {
    path: withHealArguments(args, `self_heal_path_text\nprintf '%s' "$path_text"`),
    service: withHealArguments(args, `self_heal_service_text\nprintf '%s' "$service_text"`),
    // A stand-in program that prints the arguments the heal script's `set --` line gives it.
    script: withHealArguments(args, `heal_functions='for a in "$@"; do printf "%s\\\\0" "$a"; done'\nheal_entry='\n'\nself_heal_script_text\nprintf '%s' "$script_text"`),
  };
}

/** `systemd-analyze verify` on units in a folder of their own: its exit status and what it said. */
function verify(units: Record<string, string>): { status: number | null; said: string } {
  const dir = mkdtempSync(join(tmpdir(), "snap-shm-units-"));
  try {
    for (const [name, text] of Object.entries(units)) writeFileSync(join(dir, name), text);
    const run = spawnSync("systemd-analyze", ["verify", ...Object.keys(units).map((name) => join(dir, name))], { encoding: "utf8", cwd: dir });
    return { status: run.status, said: `${run.stdout}${run.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the self-heal units and heal script as written on a host", function () {
  this.timeout(60_000);
  const I = "shmtest_foo";
  const rendered = render(I, ["app"]);
  const units = { [`snap-shm-heal-${I}.path`]: rendered.path, [`snap-shm-heal-${I}.service`]: rendered.service };

  it("a .path unit watching snapd's mount profile and each profile the blocks go into, with trigger limits", () => {
    assert.equal(
      rendered.path,
      [
        "# Written by snap-shm; removed with the instance. Do not edit.",
        "[Unit]",
        `Description=snap-shm: watch what snapd rewrites for snap ${I}`,
        "",
        "[Path]",
        "# Each file itself: snapd replaces it by a rename, or deletes it (the mount profile).",
        `PathChanged=/var/lib/snapd/mount/snap.${I}.fstab`,
        `PathChanged=/var/lib/snapd/apparmor/profiles/snap-update-ns.${I}`,
        `PathChanged=/var/lib/snapd/apparmor/profiles/snap.${I}.app`,
        `Unit=snap-shm-heal-${I}.service`,
        "TriggerLimitIntervalSec=10min",
        "TriggerLimitBurst=60",
        "",
        "[Install]",
        "WantedBy=paths.target",
        "",
      ].join("\n"),
    );
  });

  it("a oneshot .service running the heal script, after snapd at boot, with start limits, inactive after each run", () => {
    const lines = rendered.service.split("\n");
    for (const line of [
      "After=snapd.apparmor.service snapd.service",
      "StartLimitIntervalSec=10min",
      "StartLimitBurst=60",
      "Type=oneshot",
      `ExecStart=/bin/sh /var/lib/snap-shm/${I}/heal.sh`,
      `SyslogIdentifier=snap-shm-heal-${I}`,
      "WantedBy=multi-user.target",
    ]) {
      assert.ok(lines.includes(line), line);
    }
    assert.ok(!rendered.service.includes("RemainAfterExit=yes"), "a unit that stays active could never be started again by the .path unit");
  });

  it("pass systemd-analyze verify without a word", () => {
    assert.deepEqual(verify(units), { status: 0, said: "" });
  });

  it("systemd-analyze verify catches broken units, so its silence above means something", () => {
    const service = `snap-shm-heal-${I}.service`;
    const path = `snap-shm-heal-${I}.path`;
    const broken: Array<[string, Record<string, string>]> = [
      ["a misspelt key", { ...units, [path]: rendered.path.replace("TriggerLimitBurst=", "TriggerLimitBurts=") }],
      ["a bad service type", { ...units, [service]: rendered.service.replace("Type=oneshot", "Type=oneshoot") }],
      ["a start limit that is not a number", { ...units, [service]: rendered.service.replace("StartLimitBurst=60", "StartLimitBurst=lots") }],
      ["a relative watched path", { ...units, [path]: rendered.path.replace(/PathChanged=\//g, "PathChanged=") }],
      ["a program that is not there", { ...units, [service]: rendered.service.replace("ExecStart=/bin/sh", "ExecStart=/bin/no-such-shell") }],
      ["a unit name systemd refuses", { [`snap-shm-heal-${I} x.service`]: rendered.service }],
    ];
    for (const [what, variant] of broken) assert.notEqual(verify(variant).said, "", what);
  });

  it("instance names are unit names as they are: a snap name with '-' and an instance key with '_'", () => {
    // systemd-escape would write "\x2d" for "-": that is for names made from paths. These names
    // are not; systemd takes them literally, as verify shows.
    const other = "shm-test_k1";
    const r = render(other, ["app"]);
    assert.deepEqual(verify({ [`snap-shm-heal-${other}.path`]: r.path, [`snap-shm-heal-${other}.service`]: r.service }), { status: 0, said: "" });
    assert.ok(r.path.includes(`Unit=snap-shm-heal-${other}.service\n`));
  });

  it("the heal script gives the heal exactly the apply arguments, quoted", () => {
    const header = rendered.script.slice(0, rendered.script.indexOf("\nfor a in"));
    assert.match(header, /^#!\/bin\/sh\n# snap-shm self-heal of the private \/dev\/shm of snap shmtest_foo, run by snap-shm-heal-shmtest_foo\.service\.\n/);
    const run = spawnSync("sh", ["-c", rendered.script], { encoding: "utf8" });
    const given = run.stdout.split("\0").slice(0, -1);
    const state = desiredState(I, { apps: ["app"] });
    const expected = selfHealArguments(state, profileList(state, false), "recursive");
    assert.deepEqual(given.slice(0, 2), ["self-heal", "run"]);
    assert.deepEqual(given.slice(2).sort(), Object.entries(expected).map(([key, value]) => `${key}=${value}`).sort());
  });

  it("shell_quote gives back any word through sh", () => {
    for (const word of ["", "'", "''", "a'b", "it's 'quoted'", "$(id) `id` \\ \"", "line\nbreak\n", "\n\n", "tab\there"]) {
      const run = spawnSync("sh", ["-c", `${FUNCTIONS}\nshell_quote "$1"\neval "set -- $quoted"\nprintf '%s' "$1"`, "sh", word], { encoding: "utf8" });
      assert.equal(run.stdout, word, JSON.stringify(word));
    }
  });
});
