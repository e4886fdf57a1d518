/**
 * The blocks compile: profiles in snapd's shape, with the block inserted, go through
 * Debian's real apparmor_parser in check mode (-Q: no kernel load, -K: no cache).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desiredState } from "../../src/model/desired-state";
import { insertBlock } from "../../src/render/apparmor-profile";
import { appProfile, updateNsProfile } from "../fixtures/snapd-profiles";

const PARSER = "/usr/sbin/apparmor_parser";

function compile(text: string): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "snap-shm-aa-"));
  try {
    const file = join(dir, "profile");
    writeFileSync(file, text);
    const result = spawnSync(PARSER, ["-QK", file], { encoding: "utf8" });
    return { status: result.status, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("apparmor_parser -QK on profiles with the snap-shm block", function () {
  this.timeout(120_000);

  for (const snapdVersion of ["2.57.6-1+deb12u1", "2.61.3"]) {
    for (const instance of ["shmtest", "shmtest_foo"]) {
      it(`compiles app, hook and update-ns profiles of ${instance} for snapd ${snapdVersion}`, () => {
        const state = desiredState(instance, { apps: ["app"], hooks: ["configure"], snapdVersion });
        const profiles = [
          insertBlock(appProfile(instance, "app"), state.appArmor.appSnippet),
          insertBlock(appProfile(instance, "hook.configure"), state.appArmor.appSnippet),
          insertBlock(updateNsProfile(instance), state.appArmor.updateNsSnippet, "  "),
        ];
        for (const profile of profiles) {
          const { status, stderr } = compile(profile);
          assert.equal(status, 0, stderr);
        }
      });
    }
  }

  it("compiles the fixtures without the block too", () => {
    assert.equal(compile(appProfile("shmtest", "app")).status, 0);
    assert.equal(compile(updateNsProfile("shmtest")).status, 0);
  });

  it("rejects a broken block, so the checks above can fail", () => {
    const broken = insertBlock(appProfile("shmtest", "app"), '"/dev/shm/**" mrwlkix\n');
    const { status, stderr } = compile(broken);
    assert.notEqual(status, 0);
    assert.match(stderr, /syntax error|AppArmor parser error/);
  });
});
