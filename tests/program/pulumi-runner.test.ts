/**
 * The project's Pulumi programs loaded by @pulumi/pulumi's own program runner (cmd/run), as
 * the Pulumi CLI's Node.js language host starts them: in the folder of Pulumi.yaml's `main`,
 * TypeScript through the runner's ts-node registration, the stack config in the environment.
 * Only the engine is a stand-in: the registrations go to mocks
 * (tests/support/pulumi-runner-mocks.js).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { makeKeyPair } from "../support/ssh-keys";

const ROOT = resolve(__dirname, "..", "..");
const RUNNER = require.resolve("@pulumi/pulumi/cmd/run");
const MOCKS = join(ROOT, "tests", "support", "pulumi-runner-mocks.js");
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

interface RunnerRun {
  status: number | null;
  output: string;
  registered: Array<{ type: string; name: string }>;
}

describe("the Pulumi projects under Pulumi's own Node.js program runner", function () {
  this.timeout(120_000);
  const key = makeKeyPair();
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "snap-shm-runner-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /**
   * Runs the project in `projectFolder` as the language host does: the program's folder and
   * entry from Pulumi.yaml's `main` (`.` without one), `--root-directory` unless `olderCli`.
   */
  function runProject(projectFolder: string, config: Record<string, string>, secretKeys: string[], olderCli = false): RunnerRun {
    const project = parse(readFileSync(join(projectFolder, "Pulumi.yaml"), "utf8")) as { name: string; main?: string };
    const main = project.main === undefined ? undefined : join(projectFolder, project.main);
    const programFolder = main === undefined ? projectFolder : dirname(main);
    const entry = main === undefined ? "." : main.slice(programFolder.length + 1);
    const record = join(work, "registered.jsonl");
    const args = ["-r", MOCKS, RUNNER, "--monitor", "127.0.0.1:1", "--engine", "127.0.0.1:1", "--project", project.name, "--stack", "dev"];
    if (!olderCli) args.push("--root-directory", projectFolder);
    args.push("--pwd", programFolder, entry);
    const run = spawnSync(process.execPath, args, {
      cwd: programFolder,
      encoding: "utf8",
      timeout: 90_000,
      killSignal: "SIGKILL",
      env: {
        ...process.env,
        PULUMI_NODEJS_TYPESCRIPT: "true",
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
        SNAP_SHM_RUNNER_RECORD: record,
        SSH_AUTH_SOCK: "",
      },
    });
    const lines = readFileSync(record, { encoding: "utf8", flag: "a+" }).split("\n").filter(Boolean);
    return { status: run.status, output: `${run.stdout}\n${run.stderr}`, registered: lines.map((line) => JSON.parse(line) as RunnerRun["registered"][number]) };
  }
  const names = (run: RunnerRun, type: string) => run.registered.filter((r) => r.type === type).map((r) => r.name).sort();

  for (const [cli, olderCli] of [
    ["a CLI that names the project folder (--root-directory)", false],
    ["an older CLI that does not (the nearest Pulumi.yaml up from main's folder)", true],
  ] as const) {
    it(`the root project compiles and reads a relative inventory path from the project folder, with ${cli}`, () => {
      const config = { "snap-shm:inventory": "examples/fleet/inventory.yaml", "snap-shm:privateKey": key.privateKey };
      const run = runProject(ROOT, config, ["snap-shm:privateKey"], olderCli);
      assert.equal(run.status, 0, run.output);
      assert.deepEqual(names(run, "snap-shm:index:SnapShmHost"), ["fleet-ci-runner-01", "fleet-kiosk-01", "fleet-kiosk-02"]);
    });
  }

  it("examples/single-host runs its own program and registers the kiosk's parts", () => {
    const p = "snap-shm-single-host";
    const config = { [`${p}:host`]: "10.20.0.11", [`${p}:hostKey`]: HOST_KEY, [`${p}:user`]: "ops", [`${p}:privateKey`]: key.privateKey };
    const run = runProject(join(ROOT, "examples", "single-host"), config, [`${p}:privateKey`]);
    assert.equal(run.status, 0, run.output);
    assert.deepEqual(names(run, "command:remote:Command"), ["apparmor", "directory", "mount", "self-heal"].map((part) => `kiosk-01-chromium-${part}-command`));
  });

  it("examples/readme-fleet runs its own program and registers the fleet's host", () => {
    const p = "snap-shm-readme-fleet";
    const run = runProject(join(ROOT, "examples", "readme-fleet"), { [`${p}:hostKey`]: HOST_KEY, [`${p}:privateKey`]: key.privateKey }, [`${p}:privateKey`]);
    assert.equal(run.status, 0, run.output);
    assert.deepEqual(names(run, "snap-shm:index:SnapShmHost"), ["kiosks-kiosk-01"]);
  });
});
