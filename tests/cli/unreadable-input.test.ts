/**
 * Input the CLI cannot use: a file that cannot be read, JSON that is not check output, a
 * failure no command foresaw. Each is one line on stderr and exit 2, never a stack trace and
 * never exit 1 (which says the input was read and has findings).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main";
import { EXIT_USAGE } from "../../src/cli/io";

const BIN = join(__dirname, "..", "..", "dist", "cli", "main.js");
const inSync = { inSync: true, differs: [] };
const HEAL = { enabled: true, inSync: true, differs: [], systemd: true, lastSelfHeal: null, repairs: 0 };
const INSTANCE = { instance: "chromium", mode: "managed", parts: { directory: inSync, apparmor: inSync, mount: null }, selfHeal: HEAL };
const HOST = { name: "kiosk-01", address: "10.20.0.11", reachable: true, instances: [INSTANCE] };

/** Runs the command in-process with real files; what it wrote and its exit status. */
async function run(argv: string[], stdout: (text: string) => void = () => undefined) {
  let err = "";
  let out = "";
  const status = await main(argv, {
    stdout: (text) => {
      stdout(text);
      out += text;
    },
    stderr: (text) => (err += text),
    readFile: (path) => readFileSync(path, "utf8"),
  });
  return { status, stdout: out, stderr: err };
}

describe("input the CLI cannot use", () => {
  let work: string;
  const file = (name: string, value: unknown) => {
    const path = join(work, name);
    writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
    return path;
  };
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), "snap-shm-unreadable-"))));
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  describe("summary", () => {
    it("names a check JSON file it cannot read, and exits 2", async () => {
      assert.deepEqual(await run(["summary", "/nonexistent/check.json"]), {
        status: EXIT_USAGE,
        stdout: "",
        stderr: "snap-shm summary: cannot read /nonexistent/check.json: ENOENT: no such file or directory, open '/nonexistent/check.json'\n",
      });
    });

    it("names a preview file it cannot read, and prints no summary", async () => {
      const ok = file("ok.json", { inSync: true, hosts: [HOST] });
      assert.deepEqual(await run(["summary", ok, "--preview", work]), {
        status: EXIT_USAGE,
        stdout: "",
        stderr: `snap-shm summary: cannot read ${work}: EISDIR: illegal operation on a directory, read\n`,
      });
    });

    const wrong: Array<[string, unknown, string]> = [
      ["an instance without parts", { ...HOST, instances: [{ instance: "chromium", mode: "managed" }] }, "hosts[0].instances[0] must have required property 'parts'"],
      ["a host that is not an object", "kiosk-01", "hosts[0] must be object"],
      ["a file without hosts", undefined, "the top level must have required property 'hosts'"],
      ["a host without a name", { ...HOST, name: undefined }, "hosts[0] must have required property 'name'"],
      ["a reachable that is not a bool", { ...HOST, reachable: "yes" }, "hosts[0].reachable must be boolean"],
      ["instances that are not an array", { ...HOST, instances: {} }, "hosts[0].instances must be array"],
      ["an instance that is not an object", { ...HOST, instances: [null] }, "hosts[0].instances[0] must be object"],
      ["a part left out", { ...HOST, instances: [{ ...INSTANCE, parts: { directory: inSync, apparmor: inSync } }] }, "hosts[0].instances[0].parts must have required property 'mount'"],
      ["differs that are not strings", { ...HOST, instances: [{ ...INSTANCE, parts: { ...INSTANCE.parts, apparmor: { inSync: false, differs: "x" } } }] }, "hosts[0].instances[0].parts.apparmor.differs must be array"],
      ["a self-heal without its repairs", { ...HOST, instances: [{ ...INSTANCE, selfHeal: { ...HEAL, repairs: undefined } }] }, "hosts[0].instances[0].selfHeal must have required property 'repairs'"],
    ];
    for (const [what, host, field] of wrong) {
      it(`refuses ${what}, naming the field`, async () => {
        const path = file("check.json", host === undefined ? { inSync: false } : { inSync: false, hosts: [host, HOST] });
        const result = await run(["summary", path]);
        assert.equal(result.status, EXIT_USAGE);
        assert.equal(result.stdout, "");
        assert.ok(
          result.stderr.startsWith(`snap-shm summary: ${path} is not the output of 'snap-shm check --json': ${field}\n\nUsage: snap-shm summary`),
          result.stderr,
        );
      });
    }

    it("still takes what check prints: unreachable hosts, parts not probed, no self-heal", async () => {
      const gone = { name: "kiosk-02", address: "10.20.0.12", reachable: false, error: "refused", instances: [] };
      const path = file("check.json", { inSync: false, hosts: [HOST, gone, { ...HOST, instances: [{ ...INSTANCE, selfHeal: null }] }] });
      const result = await run(["summary", path]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /\| kiosk-02 \| — \| — \| ❌ unreachable: refused \|/);
    });
  });

  it("check names the alias of an alias bomb in the inventory, and the rule", async () => {
    const bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) bomb.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]`);
    const path = file("inventory.yaml", `${bomb.join("\n")}\nhosts: {}\n`);
    assert.deepEqual(await run(["check", path]), {
      status: EXIT_USAGE,
      stdout: "",
      stderr: `snap-shm check: the inventory is not valid:\n${path}:3:50: a2[8]: alias *a1 is refused: aliases would repeat too much of the document (a guard against YAML alias bombs)\n`,
    });
  });

  it("turns a failure no command foresaw into one line and exit 2", async () => {
    const path = file("check.json", { inSync: true, hosts: [HOST] });
    const result = await run(["summary", path], () => {
      throw new Error("write EPIPE\n    at the pipe");
    });
    assert.deepEqual(result, { status: EXIT_USAGE, stdout: "", stderr: "snap-shm summary: unexpected error: write EPIPE at the pipe\n" });
  });

  it("as the bin: no stack trace, exit 2, for each input it cannot use", function () {
    // Three node processes: more than mocha's default 2 s on a busy machine.
    this.timeout(60_000);
    assert.ok(existsSync(BIN), `${BIN} is missing: run npm run build first`);
    const ok = file("ok.json", { inSync: true, hosts: [HOST] });
    const noParts = file("no-parts.json", { inSync: false, hosts: [{ ...HOST, instances: [{ instance: "chromium", mode: "managed" }] }] });
    for (const args of [["/nonexistent.json"], [ok, "--preview", "/nonexistent"], [noParts]]) {
      const result = spawnSync(process.execPath, [BIN, "summary", ...args], { encoding: "utf8" });
      assert.equal(result.status, EXIT_USAGE, `${args.join(" ")}: ${result.stderr}`);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^snap-shm summary: [^\n]+\n/, args.join(" "));
      assert.doesNotMatch(result.stderr, /\n\s+at /, args.join(" "));
    }
  });
});
