/**
 * The self-heal part as text: its arguments (the other parts' apply arguments, one set), its
 * command lines, and its script, which carries the heal program the host installs as a
 * quoted here-document that gives the program back byte for byte.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { desiredState } from "../../src/model/desired-state";
import { hostCommand, hostScript } from "../../src/render/host-command";
import {
  appArmorArguments,
  directoryArguments,
  mountArguments,
  probeArguments,
  profileList,
  selfHealArguments,
  selfHealRemoveArguments,
} from "../../src/render/part-arguments";

const I = "shmtest_foo";

describe("the self-heal part as text", () => {
  const state = desiredState(I, { apps: ["app"], hooks: ["configure"] });
  const profiles = profileList(state, false);

  it("gives the heal exactly the directory, AppArmor and mount apply arguments, and removal only the instance", () => {
    const args = selfHealArguments(state, profiles, "single-level");
    assert.deepEqual(args, { ...directoryArguments(state), ...appArmorArguments(state, profiles, "single-level"), ...mountArguments(state) });
    assert.deepEqual(Object.keys(args).sort(), ["app-snippet", "entry", "group", "instance", "mode", "operation-mode", "owner", "path", "profile", "profiles", "update-ns-snippet"]);
    assert.equal(args["app-snippet"], '\n# Description: Allow access to everything in private /dev/shm\n"/dev/shm/*" mrwlkix,\n');
    assert.equal(selfHealArguments(state, profiles, "recursive", "native")["operation-mode"], "native");
    assert.equal("plug" in selfHealArguments(state, profiles, "recursive", "native"), false, "native mode connects no plug here");
    assert.deepEqual(selfHealRemoveArguments(state), { instance: I });
  });

  it("writes one quoted argument per line, so a changed rule shows as one changed line", () => {
    const before = hostCommand("self-heal", "apply", selfHealArguments(state, profiles, "single-level"), false).command;
    const after = hostCommand("self-heal", "apply", selfHealArguments(state, profiles, "recursive"), false).command;
    assert.match(before, /^sh -s -- 'self-heal' 'apply' \\\n {2}'instance=shmtest_foo' \\\n {2}'operation-mode=managed' \\\n/);
    const removed = before.split("\n").filter((line) => !after.split("\n").includes(line));
    const added = after.split("\n").filter((line) => !before.split("\n").includes(line));
    assert.deepEqual([removed, added], [['"/dev/shm/*" mrwlkix,'], ['"/dev/shm/**" mrwlkix,']]);
    assert.equal(hostCommand("self-heal", "remove", selfHealRemoveArguments(state), false).command, "sh -s -- 'self-heal' 'remove' \\\n  'instance=shmtest_foo'");
    assert.match(hostCommand("self-heal", "apply", selfHealArguments(state, profiles, "recursive"), true).command, /^sudo -n sh -c : 2>\/dev\/null \|\| \{ echo '[^']+' >&2; printf '%s\\n' '[^']+'; exit 1; \}\nsudo -n sh -s -- 'self-heal' 'apply'/);
  });

  it("tells the probe whether self-heal should be there, only when asked", () => {
    assert.equal(probeArguments(state, profiles, "auto", "auto", true)["self-heal"], "yes");
    assert.equal(probeArguments(state, profiles, "auto", "auto", false)["self-heal"], "no");
    assert.equal("self-heal" in probeArguments(state, profiles, "auto"), false);
  });

  it("carries the heal program once, as text, and gives it back byte for byte", () => {
    const script = hostScript("self-heal");
    const program = hostScript("heal");
    // Defined once: the functions travel as text, not a second time as code.
    for (const fn of ["directory_apply() {", "self_heal_run() {", "lock_instance() {"]) assert.equal(script.split(fn).length, 2, fn);
    assert.ok(script.length < program.length * 1.1, `${script.length} characters sent for a ${program.length}-character program`);
    // The script as sh reads it, printing the heal program instead of running the entry point.
    const evals = 'eval "$heal_functions"\neval "$heal_entry"\n';
    assert.ok(script.endsWith(evals));
    const printed = spawnSync("sh", ["-c", `${script.slice(0, -evals.length)}printf '%s%s' "$heal_functions" "$heal_entry"`], { encoding: "utf8" });
    assert.equal(printed.status, 0, printed.stderr);
    assert.equal(printed.stdout, program);
    assert.equal(spawnSync("sh", ["-n"], { input: script }).status, 0, "the whole script parses");
  });

  it("the heal program holds the three applies, the heal and the entry point, nothing of native mode or the probe", () => {
    const program = hostScript("heal");
    for (const fn of ["directory_apply()", "apparmor_apply()", "mount_apply()", "self_heal_run()", "lock_instance()"]) assert.ok(program.includes(`\n${fn} {\n`), fn);
    for (const fn of ["native_apparmor_apply()", "prerequisites_check()"]) assert.ok(!program.includes(fn), fn);
    assert.ok(program.endsWith("  remove) forget_revision ;;\nesac\n"), "main.sh last");
  });
});
