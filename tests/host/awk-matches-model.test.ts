/**
 * The host scripts' awk edits against the model they implement: for generated profiles,
 * mount profiles and versions, the shell functions in src/host/ (run with the machine's
 * dash and mawk, as on Debian and Ubuntu hosts) give exactly what src/render/ and
 * src/model/ give, byte for byte, refusals included.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { appSnippet, updateNsSnippet } from "../../src/model/desired-state";
import { compareVersions } from "../../src/model/snapd-version";
import { findBlock, insertBlock, ProfileShapeError, removeBlock } from "../../src/render/apparmor-profile";
import { addMountEntry, FstabConflictError, removeMountEntry } from "../../src/render/fstab";
import { HOST_SCRIPT_DIR } from "../../src/render/host-command";

const work = mkdtempSync(join(tmpdir(), "snap-shm-awk-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs a function of the host scripts with `sh` (dash here), the text in a file. */
function hostFunction(files: string[], call: string, text: string | null, env: Record<string, string> = {}) {
  const file = join(work, "input");
  if (text === null) rmSync(file, { force: true });
  else writeFileSync(file, text);
  const sources = files.map((f) => `. ${join(HOST_SCRIPT_DIR, f)}`).join("; ");
  const result = spawnSync("sh", ["-c", `${sources}; ${call}`, "sh", file], { encoding: "utf8", env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function shapeOf(run: () => string): { ok: true; text: string } | { ok: false; reason: string } {
  try {
    return { ok: true, text: run() };
  } catch (error) {
    if (error instanceof ProfileShapeError || error instanceof FstabConflictError) return { ok: false, reason: error.message };
    throw error;
  }
}

const ruleLine = fc.constantFrom(
  "  #include <abstractions/base>",
  "  /dev/shm/{,**} rw,",
  '  "/var/lib/{a,b}/ x" r,',
  "  # a { comment",
  "  owner @{HOME}/#[0-9]* rw,",
  "",
  "  ^hat {",
  "  }",
  "\t/usr/bin/{,x}* ixr,",
  "  # BEGIN snap-shm private-shm",
  "  # END snap-shm private-shm",
  "}",
  "  /x r, }",
  'profile "b" {',
);
const profile = fc
  .tuple(fc.constantFrom("", "#include <tunables/global>\n", '@{N}="{"\n'), fc.array(ruleLine, { maxLength: 10 }), fc.constantFrom("}", "  }", "} # end", ""), fc.boolean())
  .map(([pre, body, close, newline]) => `${pre}profile "snap.a.b" {\n${body.join("\n")}${body.length ? "\n" : ""}${close}${newline ? "\n" : ""}`);
const body = fc.constantFrom(appSnippet("recursive"), appSnippet("single-level"), updateNsSnippet("shm_x"), "x\n", "a {\n", "# END snap-shm private-shm\n");

describe("host awk edits match the model", function () {
  this.timeout(300_000);

  it("AppArmor block insert, over generated profiles (refusals included)", () => {
    fc.assert(
      fc.property(profile, body, fc.constantFrom("", "  "), (text, snippet, indent) => {
        const model = shapeOf(() => insertBlock(text, snippet, indent));
        const host = hostFunction(["lib.sh", "apparmor.sh"], 'apparmor_edit insert "$1" "$INDENT" "$BODY"', text, { INDENT: indent, BODY: snippet });
        if (model.ok) {
          assert.equal(host.status, 0, host.stderr);
          assert.equal(host.stdout, model.text);
        } else {
          assert.equal(host.status, 2);
          assert.equal(host.stderr, `${model.reason}\n`);
        }
      }),
      { numRuns: 250 },
    );
  });

  it("AppArmor apply's reads, several profiles in one run: the check's states, then, for those not in sync, the inserted texts", () => {
    const withOrWithoutBlock = fc.tuple(profile, fc.option(body, { nil: undefined })).map(([text, old]) => {
      if (old === undefined) return text;
      const inserted = shapeOf(() => insertBlock(text, old));
      return inserted.ok ? inserted.text : text;
    });
    const kinds = { app: "", "update-ns": "  " } as const;
    const profiles = fc.array(fc.tuple(withOrWithoutBlock, fc.constantFrom("app", "update-ns") as fc.Arbitrary<keyof typeof kinds>), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(profiles, body, body, (files, appBody, updateNsBody) => {
        const path = (i: number) => join(work, `profile-${i}`);
        const output = (i: number) => join(work, `new-${i}`);
        files.forEach(([text], i) => {
          writeFileSync(path(i), text);
          rmSync(output(i), { force: true });
        });
        const snippet = (kind: keyof typeof kinds) => (kind === "app" ? appBody : updateNsBody);
        const env = { APP: appBody, UPDATE_NS: updateNsBody };
        const run = (jobs: string[]) =>
          spawnSync("sh", ["-c", `. ${join(HOST_SCRIPT_DIR, "lib.sh")}; . ${join(HOST_SCRIPT_DIR, "apparmor.sh")}; arg_app_snippet=$APP; arg_update_ns_snippet=$UPDATE_NS; jobs=$JOBS; apparmor_edits`], {
            encoding: "utf8",
            env: { ...process.env, ...env, JOBS: jobs.join("\n") },
          });
        // The first read: every profile's state, in one run.
        const checked = run(files.map(([, kind], i) => `check ${kind} ${path(i)} -`));
        assert.equal(checked.status, 0, checked.stderr);
        const models = files.map(([text, kind]) => ({ text, model: shapeOf(() => insertBlock(text, snippet(kind), kinds[kind])) }));
        const states = models.map(({ text, model }) => (!model.ok ? `error ${model.reason}` : model.text === text ? "in-sync" : findBlock(text) ? "stale" : "missing"));
        assert.equal(checked.stdout, states.map((state) => `${state}\n`).join(""));
        // The second: the new texts of those to change, each into its own file, in one run.
        const toChange = files.map((_, i) => i).filter((i) => states[i] === "missing" || states[i] === "stale");
        if (toChange.length === 0) return;
        for (const i of toChange) writeFileSync(output(i), "");
        const edited = run(toChange.map((i) => `insert ${files[i][1]} ${path(i)} ${output(i)}`));
        assert.equal(edited.status, 0, edited.stderr);
        assert.equal(edited.stdout, "written\n".repeat(toChange.length));
        for (const i of toChange) {
          const model = models[i].model;
          assert.ok(model.ok);
          assert.equal(readFileSync(output(i), "utf8"), model.text);
        }
      }),
      { numRuns: 200 },
    );
    // A text that is not one profile stops the edits there, saying why; the shell names the file by the count of "written".
    writeFileSync(join(work, "good"), 'profile "snap.a.b" {\n}\n');
    writeFileSync(join(work, "bad"), "no profile here\n");
    const stopped = spawnSync("sh", ["-c", `. ${join(HOST_SCRIPT_DIR, "lib.sh")}; . ${join(HOST_SCRIPT_DIR, "apparmor.sh")}; arg_app_snippet=$APP; jobs=$JOBS; apparmor_edits`], {
      encoding: "utf8",
      env: { ...process.env, APP: appSnippet("recursive"), JOBS: ["good", "bad", "good"].map((name, i) => `insert app ${join(work, name)} ${join(work, `out-${i}`)}`).join("\n") },
    });
    assert.deepEqual([stopped.status, stopped.stdout], [2, "written\nerror the text has no profile (no opening brace)\n"]);
    // A job that is not four words (a path with a blank) has its line too, and stops the run.
    const blank = spawnSync("sh", ["-c", `. ${join(HOST_SCRIPT_DIR, "lib.sh")}; . ${join(HOST_SCRIPT_DIR, "apparmor.sh")}; arg_app_snippet=$APP; jobs=$JOBS; apparmor_edits`], {
      encoding: "utf8",
      env: { ...process.env, APP: appSnippet("recursive"), JOBS: `\ncheck app ${join(work, "good")} -\ncheck app /a b -` },
    });
    assert.deepEqual([blank.status, blank.stdout], [2, "missing\nerror not a job of four words: check app /a b -\n"]);
  });

  it("AppArmor block remove and check, over generated profiles with the block", () => {
    fc.assert(
      fc.property(profile, body, (text, snippet) => {
        const inserted = shapeOf(() => insertBlock(text, snippet));
        if (!inserted.ok) return;
        const removed = hostFunction(["lib.sh", "apparmor.sh"], 'apparmor_edit remove "$1" "" ""', inserted.text);
        assert.equal(removed.status, 0, removed.stderr);
        assert.equal(removed.stdout, removeBlock(inserted.text));
        const check = (t: string, b: string) => hostFunction(["lib.sh", "apparmor.sh"], 'apparmor_edit check "$1" "" "$BODY"', t, { BODY: b }).stdout;
        assert.equal(check(inserted.text, snippet), "in-sync\n");
        assert.equal(check(removeBlock(inserted.text), snippet), "missing\n");
        if (snippet !== appSnippet("recursive")) assert.equal(check(inserted.text, appSnippet("recursive")), "stale\n");
      }),
      { numRuns: 150 },
    );
  });

  const ENTRY = "/dev/shm/snap.shm_x /dev/shm none bind,rw 0 0";
  const fstabLine = fc.constantFrom(
    ENTRY,
    "/dev/shm/snap.shm_x  /dev/shm\tnone bind,rw",
    "/snap/a_b /snap/a none rbind,x-snapd.origin=overname 0 0",
    "/dev/shm/other /dev/shm none bind,rw 0 0",
    "# comment",
    "",
    "  ",
    "a b c d e f g",
    "x\r",
  );
  const fstab = fc.tuple(fc.array(fstabLine, { maxLength: 7 }), fc.boolean()).map(([lines, newline]) => lines.join("\n") + (newline && lines.length ? "\n" : ""));

  it("mount profile add, remove and check, over generated fstab files", () => {
    fc.assert(
      fc.property(fstab, (text) => {
        const added = shapeOf(() => addMountEntry(text, ENTRY).text);
        const add = hostFunction(["lib.sh", "mount.sh"], 'fstab_edit add "$1" "$ENTRY"', text, { ENTRY });
        if (added.ok) {
          assert.equal(add.status, 0, add.stderr);
          assert.equal(add.stdout, added.text);
        } else {
          assert.equal(add.status, 2);
          assert.equal(add.stderr.trim(), added.reason.replace(/"(.*)"$/, "$1"));
        }
        const remove = hostFunction(["lib.sh", "mount.sh"], 'fstab_edit remove "$1" "$ENTRY"', text, { ENTRY });
        assert.equal(remove.status, 0, remove.stderr);
        assert.equal(remove.stdout, removeMountEntry(text, ENTRY).text);
      }),
      { numRuns: 300 },
    );
    assert.equal(hostFunction(["lib.sh", "mount.sh"], 'fstab_edit add "$1" "$ENTRY"', null, { ENTRY }).stdout, `${ENTRY}\n`);
    assert.equal(hostFunction(["lib.sh", "mount.sh"], 'fstab_edit check "$1" "$ENTRY"', `${ENTRY}\n${ENTRY}\n`, { ENTRY }).stdout, "duplicated\n");
  });

  const version = fc
    .tuple(
      fc.option(fc.constantFrom("1:", "0:"), { nil: undefined }),
      fc.array(fc.constantFrom("0", "2", "55", "60", "3", "02", "10"), { minLength: 1, maxLength: 4 }),
      fc.array(fc.constantFrom("~rc1", "+git", "a", "+deb12u1", "~", "+b2", "-1", "-1ubuntu2", ".0"), { maxLength: 3 }),
    )
    .map(([epoch, numbers, suffixes]) => `${epoch ?? ""}${numbers.join(".")}${suffixes.join("")}`);

  it("version order, over generated snapd versions", () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const host = hostFunction(["lib.sh", "snapd-version.sh"], 'version_compare "$A" "$B"', "", { A: a, B: b });
        assert.equal(host.status, 0, host.stderr);
        assert.equal(Number(host.stdout), Math.sign(compareVersions(a, b)), `${a} vs ${b}`);
      }),
      { numRuns: 300 },
    );
  });

  const below = (v: string, threshold: string, override = "") =>
    hostFunction(["lib.sh", "snapd-version.sh"], `${override}host_snapd_version=$V; if version_below "$T"; then echo below; else echo not; fi`, "", { V: v, T: threshold });

  it("the shell's own test against snapd's thresholds, over generated snapd versions", () => {
    fc.assert(
      fc.property(version, fc.constantFrom("2.55.3", "2.60.2"), (v, threshold) => {
        const host = below(v, threshold);
        assert.equal(host.status, 0, host.stderr);
        assert.equal(host.stdout, compareVersions(v, threshold) < 0 ? "below\n" : "not\n", `${v} vs ${threshold}`);
      }),
      { numRuns: 300 },
    );
  });

  // Two versions, often the same numbers with different tails (a distribution's snapd and the
  // snapd snap it re-executes into are often that close), where the shell decides most.
  const numbers = fc.array(fc.constantFrom("0", "2", "55", "60", "3", "10"), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("."));
  const tail = fc.array(fc.constantFrom("~rc1", "~", "+git", "+22.04", "a", "b1", ".1", ".0", "-1", "-0", "-1ubuntu2", "0", "02"), { maxLength: 2 }).map((parts) => parts.join(""));
  const versionPair = fc.oneof(
    fc.tuple(version, version),
    fc.tuple(numbers, tail, tail).map(([v, x, y]) => [`${v}${x}`, `${v}${y}`] as [string, string]),
  );

  it("the shell's own order of two versions (which snapd runs), over generated snapd versions", () => {
    fc.assert(
      fc.property(versionPair, ([a, b]) => {
        const host = hostFunction(["lib.sh"], 'version_order "$A" "$B"; echo "$order"', "", { A: a, B: b });
        assert.equal(host.status, 0, host.stderr);
        assert.equal(Number(host.stdout), Math.sign(compareVersions(a, b)), `${a} vs ${b}`);
      }),
      { numRuns: 300 },
    );
  });

  it("decides the usual versions without awk, and leaves the rest to it", () => {
    const noAwk = "version_compare() { echo awk >&2; exit 99; }; ";
    for (const [v, threshold, expected] of [
      ["2.57.6-1+deb12u1+b2", "2.60.2", "below"],
      ["2.61.3", "2.60.2", "not"],
      ["2.60.1+git", "2.60.2", "below"],
      ["2.54.3-1", "2.55.3", "below"],
      ["2.66~rc1", "2.55.3", "not"],
      ["2.60.2", "2.60.2", "not"],
      ["2.60.2~rc1", "2.60.2", "below"],
      ["2.60.2+git", "2.60.2", "not"],
      ["2.60", "2.60.2", "below"],
      ["2.60.2-1", "2.60.2", "not"],
    ]) {
      assert.deepEqual(below(v, threshold, noAwk), { status: 0, stdout: `${expected}\n`, stderr: "" }, `${v} vs ${threshold}`);
    }
    for (const v of ["2.60.2-0", "2.60.2-~1", "1:2.50", "2.060.1", "2.60.x"]) {
      assert.ok(below(v, "2.60.2", noAwk).stderr.startsWith("awk\n"), `${v} needs dpkg's every rule`);
    }
    // Which snapd runs: a distribution's snapd against the snapd snap's, as they usually are.
    const order = (a: string, b: string) => hostFunction(["lib.sh"], `${noAwk}version_order "$A" "$B"; echo "$order"`, "", { A: a, B: b });
    for (const [a, b, expected] of [
      ["2.57.6-1+deb12u1+b2", "2.61.3", "-1"],
      ["2.63+24.04", "2.63", "1"],
      ["2.63+24.04", "2.63.1", "-1"],
      ["2.61.3", "2.61.3", "0"],
      ["2.57.6-1+deb12u1+b2", "2.57.6", "1"],
    ]) {
      assert.deepEqual(order(a, b), { status: 0, stdout: `${expected}\n`, stderr: "" }, `${a} vs ${b}`);
    }
  });

  it("quotes text as JSON exactly, printable text (quotes and backslashes too) without awk", () => {
    const noAwk = "awk() { echo awk >&2; return 99; }; ";
    const character = fc.constantFrom("a", " ", '"', "\\", "*", "[", "]", "?", "'", "$", "#", "}", "~", "-");
    const printable = fc.string({ unit: character, maxLength: 12 });
    fc.assert(
      fc.property(printable, (text) => {
        const host = hostFunction(["lib.sh"], `${noAwk}json_quote "$T"; printf '%s' "$json"`, "", { T: text });
        assert.deepEqual({ status: host.status, stderr: host.stderr }, { status: 0, stderr: "" }, JSON.stringify(text));
        assert.equal(host.stdout, JSON.stringify(text));
      }),
      { numRuns: 300 },
    );
    // Newlines and tabs inside the text take awk's way, with the same escapes.
    const withControl = fc
      .tuple(printable, fc.constantFrom("\n", "\t", "\r"), fc.string({ unit: character, minLength: 1, maxLength: 6 }))
      .map(([a, c, b]) => a + c + b);
    fc.assert(
      fc.property(withControl, (text) => {
        const host = hostFunction(["lib.sh"], `json_quote "$T"; printf '%s' "$json"`, "", { T: text });
        assert.equal(host.stdout, JSON.stringify(text), JSON.stringify(text));
      }),
      { numRuns: 100 },
    );
  });
});
