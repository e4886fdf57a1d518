import { strict as assert } from "node:assert";
import { desiredState } from "../../src/model/desired-state";
import { InputError } from "../../src/model/input-error";

describe("desired state of an instance", () => {
  it("is exactly what snapd writes for a connected private plug", () => {
    const state = desiredState("shmtest_foo", { apps: ["app"], hooks: ["configure"] });
    assert.deepEqual(state, {
      instance: "shmtest_foo",
      snap: "shmtest",
      instanceKey: "foo",
      snapdVersion: null,
      ruleGeneration: "recursive",
      directory: { path: "/dev/shm/snap.shmtest_foo", mode: "1777", owner: "root", group: "root" },
      mountProfile: {
        path: "/var/lib/snapd/mount/snap.shmtest_foo.fstab",
        entry: "/dev/shm/snap.shmtest_foo /dev/shm none bind,rw 0 0",
      },
      appArmor: {
        appRule: '"/dev/shm/**" mrwlkix,',
        appSnippet: '\n# Description: Allow access to everything in private /dev/shm\n"/dev/shm/**" mrwlkix,\n',
        updateNsSnippet:
          "  # Private /dev/shm\n" +
          "  /dev/ r,\n" +
          "  /dev/shm/{,**} rw,\n" +
          "  mount options=(bind, rw) /dev/shm/snap.shmtest_foo/ -> /dev/shm/,\n" +
          "  umount /dev/shm/,\n",
        profiles: ["snap-update-ns.shmtest_foo", "snap.shmtest_foo.app", "snap.shmtest_foo.hook.configure"],
      },
    });
  });

  it("uses the single-level rule before snapd 2.60.2", () => {
    const state = desiredState("chromium", { snapdVersion: "2.58.3" });
    assert.equal(state.appArmor.appRule, '"/dev/shm/*" mrwlkix,');
    assert.equal(state.snapdVersion, "2.58.3");
    assert.equal(state.instanceKey, null);
    assert.deepEqual(state.appArmor.profiles, ["snap-update-ns.chromium"]);
  });

  const refusals: Array<[string, Parameters<typeof desiredState>[1], string]> = [
    ["Chromium", {}, 'instance: invalid snap name: "Chromium"'],
    ["chromium_", {}, 'instance: invalid instance key: ""'],
    ["chromium", { apps: ["ok", "bad app"] }, 'apps[1]: invalid app name: "bad app"'],
    ["chromium", { hooks: ["Configure"] }, 'hooks[0]: invalid hook name: "Configure"'],
    ["chromium", { apps: ["a", "a"] }, 'apps: "a" is listed twice'],
    ["chromium", { snapdVersion: "2.54.3" }, "snapdVersion: snapd 2.54.3 has no private shared memory: it needs snapd 2.55.3 or newer"],
  ];
  for (const [instance, options, message] of refusals) {
    it(`refuses ${message}`, () => {
      assert.throws(() => desiredState(instance, options), (error: unknown) => error instanceof InputError && error.message === message);
    });
  }
});
