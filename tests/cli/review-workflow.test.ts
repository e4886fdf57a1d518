/**
 * The CI review workflow's check and summary steps, run as bash runs them in the job, with the
 * CLI as built: whatever became of the preview or the check, the pull request gets a summary
 * that says what happened.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..", "..");
type Step = { name?: string; id?: string; if?: string; run?: string; env?: Record<string, string> };
const steps = (parse(readFileSync(join(ROOT, "examples", "ci", "snap-shm-review.yml"), "utf8")) as { jobs: { review: { steps: Step[] } } }).jobs.review.steps;
const step = (name: string) => steps.find((s) => s.name === name)!;

describe("the CI review workflow's check and summary", function () {
  this.timeout(60_000);
  let work: string;
  before(() => assert.ok(existsSync(join(ROOT, "dist", "cli", "main.js")), "run npm run build first"));
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "snap-shm-workflow-run-"));
    symlinkSync(join(ROOT, "dist"), join(work, "dist"));
    writeFileSync(join(work, "GITHUB_OUTPUT"), "");
    writeFileSync(join(work, "GITHUB_STEP_SUMMARY"), "");
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** Runs a step's script in the work folder; `env` stands for what its `env:` expressions give. */
  function run(name: string, env: Record<string, string> = {}) {
    const result = spawnSync("bash", ["-e", "-c", step(name).run!], {
      cwd: work,
      encoding: "utf8",
      env: { ...process.env, SSH_AUTH_SOCK: "", GITHUB_OUTPUT: join(work, "GITHUB_OUTPUT"), GITHUB_STEP_SUMMARY: join(work, "GITHUB_STEP_SUMMARY"), ...env },
    });
    return result.status;
  }
  const output = () => readFileSync(join(work, "GITHUB_OUTPUT"), "utf8");
  const summary = () => readFileSync(join(work, "summary.md"), "utf8");

  it("runs the check and the summary even when the preview failed", () => {
    assert.equal(step("Check the hosts for drift").if, "always()");
    assert.equal(step("Summary").if, "always()");
    assert.equal(step("Comment on the pull request").if, "always()");
  });

  it("says why when the check could not run (an invalid inventory), with the preview's output", () => {
    writeFileSync(join(work, "inventory.yaml"), "# no hosts yet\n");
    writeFileSync(join(work, "preview.txt"), "error: preview failed: no stack\n");
    assert.equal(run("Check the hosts for drift"), 1, "exit 2 of check fails the step");
    assert.equal(output(), "status=2\n");
    assert.equal(run("Summary", { PREVIEW_OUTCOME: "failure", CHECK_STATUS: "2" }), 0);
    const text = summary();
    assert.match(text, /^\*\*pulumi preview did not succeed\*\* \(failure\)/);
    assert.match(text, /\*\*The drift check could not run\*\* \(snap-shm check exit status: 2\)/);
    assert.match(text, /inventory\.yaml:1:1: hosts: no hosts: give at least one host/);
    assert.match(text, /error: preview failed: no stack/);
    assert.equal(readFileSync(join(work, "GITHUB_STEP_SUMMARY"), "utf8"), text);
  });

  it("says so when neither the preview nor the check ran", () => {
    assert.equal(run("Summary", { PREVIEW_OUTCOME: "skipped", CHECK_STATUS: "" }), 0);
    assert.match(summary(), /\*\*The drift check could not run\*\* \(snap-shm check exit status: none, the step did not run\)/);
  });

  it("sums up a check that ran, after a preview that failed", () => {
    const host = { name: "kiosk-01", address: "10.0.0.1", reachable: false, error: "refused", instances: [] };
    writeFileSync(join(work, "check.json"), JSON.stringify({ inSync: false, hosts: [host] }));
    writeFileSync(join(work, "preview.txt"), "error: preview failed\n");
    assert.equal(run("Summary", { PREVIEW_OUTCOME: "failure", CHECK_STATUS: "1" }), 0);
    assert.match(summary(), /^\*\*pulumi preview did not succeed\*\* \(failure\)[^]*## snap-shm review[^]*\| kiosk-01 \| — \| — \| ❌ unreachable: refused \|/);
  });

  it("sums up as before when both succeeded", () => {
    const inSync = { inSync: true, differs: [] };
    const heal = { enabled: true, inSync: true, differs: [], systemd: true, lastSelfHeal: null, repairs: 0 };
    const host = { name: "kiosk-01", address: "10.0.0.1", reachable: true, instances: [{ instance: "chromium", mode: "managed", parts: { directory: inSync, apparmor: inSync, mount: inSync }, selfHeal: heal }] };
    writeFileSync(join(work, "check.json"), JSON.stringify({ inSync: true, hosts: [host] }));
    writeFileSync(join(work, "preview.txt"), "Resources: 3 unchanged\n");
    assert.equal(run("Summary", { PREVIEW_OUTCOME: "success", CHECK_STATUS: "0" }), 0);
    assert.match(summary(), /^## snap-shm review\n\n\*\*In sync\*\*/);
  });
});
