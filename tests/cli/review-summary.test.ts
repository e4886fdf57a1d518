/** `snap-shm summary`: check JSON (and a preview's diff) to a pull request's Markdown. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckOutcome } from "../../src/cli/check-command";
import { reviewSummary } from "../../src/cli/review-summary";

const BIN = join(__dirname, "..", "..", "dist", "cli", "main.js");
const inSync = { inSync: true, differs: [] };

const OUTCOME: CheckOutcome = {
  inSync: false,
  hosts: [
    {
      name: "kiosk-01",
      address: "10.20.0.11",
      reachable: true,
      instances: [
        {
          instance: "chromium",
          mode: "managed",
          parts: { directory: { inSync: false, differs: ["mode=755"] }, apparmor: inSync, mount: { inSync: false, differs: ["entry=missing", "a|b"] } },
          selfHeal: { enabled: true, inSync: true, differs: [], systemd: true, lastSelfHeal: "2026-12-04T23:49:17Z", repairs: 3 },
        },
        { instance: "shmpriv", mode: "native", parts: { directory: inSync, apparmor: inSync, mount: null } },
      ],
    },
    { name: "kiosk-02", address: "10.20.0.12", reachable: false, error: "ssh: connect to host 10.20.0.12 port 22: Connection refused\nretrying", instances: [] },
    {
      name: "kiosk-03",
      address: "10.20.0.13",
      reachable: true,
      instances: [
        {
          instance: "chromium",
          mode: "managed",
          parts: { directory: inSync, apparmor: inSync, mount: inSync },
          selfHeal: { enabled: true, inSync: false, differs: ["units=missing"], systemd: true, lastSelfHeal: null, repairs: 0 },
        },
      ],
    },
  ],
};

const TABLE = `## snap-shm review

**Drift found, or a host could not be checked**: 0 of 3 host(s) in sync, 1 unreachable.

| Host | Snap | Mode | Directory | AppArmor | Mount | Self-heal |
|---|---|---|---|---|---|---|
| kiosk-01 | chromium | managed | ⚠️ drifted: mode=755 | ✅ in sync | ⚠️ drifted: entry=missing, a\\|b | active, last repair 2026-12-04T23:49:17Z (3 in all) |
| kiosk-01 | shmpriv | native | ✅ in sync | ✅ in sync | not probed | not probed |
| kiosk-02 | — | — | ❌ unreachable: ssh: connect to host 10.20.0.12 port 22: Connection refused<br>retrying |  |  |  |
| kiosk-03 | chromium | managed | ✅ in sync | ✅ in sync | ✅ in sync | ⚠️ drifted: units=missing |
`;

describe("snap-shm summary", () => {
  it("renders the verdict and one row per host and snap, escaping what would break the table", () => {
    assert.equal(reviewSummary(OUTCOME), TABLE);
    const converged = { ...OUTCOME.hosts[2], instances: [{ ...OUTCOME.hosts[2].instances[0], selfHeal: null }] };
    assert.match(reviewSummary({ inSync: true, hosts: [converged] }), /^\*\*In sync\*\*: every part of every host \(1 host\(s\)\)\.$/m);
  });

  it("adds the preview in a collapsed diff block, colours stripped, fenced past any backticks in it", () => {
    const preview = "\u001b[32m+ fleet-kiosk-01\u001b[0m\n  ~ create: ```x```\n";
    assert.equal(
      reviewSummary(OUTCOME, preview),
      `${TABLE}\n<details><summary>pulumi preview --diff</summary>\n\n\`\`\`\`diff\n+ fleet-kiosk-01\n  ~ create: \`\`\`x\`\`\`\n\`\`\`\`\n\n</details>\n`,
    );
  });

  it("runs as the bin: JSON on standard input, the preview from a file; refuses what is not check output", () => {
    const work = mkdtempSync(join(tmpdir(), "snap-shm-summary-"));
    try {
      writeFileSync(join(work, "preview.txt"), "Resources:\n    3 unchanged\n");
      const ok = spawnSync(process.execPath, [BIN, "summary", "-", "--preview", join(work, "preview.txt")], { input: JSON.stringify(OUTCOME), encoding: "utf8" });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stdout, reviewSummary(OUTCOME, "Resources:\n    3 unchanged\n"));
      const bad = spawnSync(process.execPath, [BIN, "summary", "-"], { input: '{"hosts": 3}', encoding: "utf8" });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^snap-shm summary: - is not the output of 'snap-shm check --json': the top level must have required property 'inSync'\n/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
