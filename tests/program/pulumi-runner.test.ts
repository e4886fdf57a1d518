/**
 * The root project's program loaded by @pulumi/pulumi's own program runner (cmd/run), as the
 * Pulumi CLI's Node.js language host starts it: in the folder of Pulumi.yaml's `main`
 * (src/program), TypeScript through the runner's ts-node registration, the stack config in
 * the environment. Only the engine is a stand-in: the registrations go to mocks
 * (tests/support/pulumi-runner-mocks.js).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { makeKeyPair } from "../support/ssh-keys";

const ROOT = resolve(__dirname, "..", "..");
const RUNNER = require.resolve("@pulumi/pulumi/cmd/run");
const MOCKS = join(ROOT, "tests", "support", "pulumi-runner-mocks.js");

describe("the root program under Pulumi's own Node.js program runner", function () {
  this.timeout(120_000);
  const key = makeKeyPair();
  let work: string;
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "snap-shm-runner-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** Runs the program as the language host does, `--root-directory` given when `rootDirectory` is. */
  function runProgram(rootDirectory: string | undefined) {
    const record = join(work, "registered.jsonl");
    const programFolder = join(ROOT, "src", "program");
    const args = ["-r", MOCKS, RUNNER, "--monitor", "127.0.0.1:1", "--engine", "127.0.0.1:1", "--project", "snap-shm", "--stack", "dev"];
    if (rootDirectory !== undefined) args.push("--root-directory", rootDirectory);
    args.push("--pwd", programFolder, "index.ts");
    const run = spawnSync(process.execPath, args, {
      cwd: programFolder,
      encoding: "utf8",
      timeout: 90_000,
      killSignal: "SIGKILL",
      env: {
        ...process.env,
        PULUMI_NODEJS_TYPESCRIPT: "true",
        PULUMI_CONFIG: JSON.stringify({ "snap-shm:inventory": "examples/fleet/inventory.yaml", "snap-shm:privateKey": key.privateKey }),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(["snap-shm:privateKey"]),
        SNAP_SHM_RUNNER_RECORD: record,
        SSH_AUTH_SOCK: "",
        TS_NODE_TRANSPILE_ONLY: "",
      },
    });
    const registered = (readFileSync(record, { encoding: "utf8", flag: "a+" }).trim().split("\n").filter(Boolean) as string[]).map(
      (line) => JSON.parse(line) as { type: string; name: string },
    );
    return { ...run, registered };
  }

  for (const [engine, rootDirectory] of [
    ["a CLI that names the project folder (--root-directory)", ROOT],
    ["an older CLI that does not (the nearest Pulumi.yaml up from main's folder)", undefined],
  ] as const) {
    it(`compiles with the project's TypeScript settings and reads the inventory from the project folder: ${engine}`, () => {
      const run = runProgram(rootDirectory);
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      const hosts = run.registered.filter((r) => r.type === "snap-shm:index:SnapShmHost").map((r) => r.name);
      assert.deepEqual(hosts.sort(), ["fleet-ci-runner-01", "fleet-kiosk-01", "fleet-kiosk-02"]);
    });
  }
});
