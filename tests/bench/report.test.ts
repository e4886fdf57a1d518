/**
 * The benchmark's pure parts: percentile math, goal verdicts, the Markdown report, and
 * reading Ansible's recap. Fast, no hosts, no Ansible.
 */
import { strict as assert } from "node:assert";
import { inventoryYaml, parseRecap } from "../../bench/ansible-runner";
import { BenchResults, convergeRatio, evaluateGoals, renderMarkdown } from "../../bench/report";
import { median, percentile, ratio, summarize, verdict } from "../../bench/stats";
import type { BenchHost } from "../../bench/ssh-hosts";
import type { ConvergeRow } from "../../bench/converge";

describe("bench: statistics", () => {
  const oneToTen = [10, 3, 7, 1, 9, 2, 8, 4, 6, 5];

  it("percentiles interpolate between closest ranks, whatever the input order", () => {
    assert.equal(percentile(oneToTen, 0), 1);
    assert.equal(percentile(oneToTen, 100), 10);
    assert.equal(median(oneToTen), 5.5);
    assert.ok(Math.abs(percentile(oneToTen, 95) - 9.55) < 1e-9);
    assert.ok(Math.abs(percentile(oneToTen, 90) - 9.1) < 1e-9);
    assert.equal(median([4, 1, 3]), 3);
    assert.equal(percentile([7], 95), 7);
    assert.deepEqual(oneToTen, [10, 3, 7, 1, 9, 2, 8, 4, 6, 5], "the samples are not reordered");
  });

  it("the p95 of 100 samples 1..100 is 95.05", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    const s = summarize(samples);
    assert.equal(s.n, 100);
    assert.equal(s.median, 50.5);
    assert.ok(Math.abs(s.p95 - 95.05) < 1e-9);
    assert.equal(s.min, 1);
    assert.equal(s.max, 100);
  });

  it("refuses no samples and percentiles out of range", () => {
    assert.throws(() => percentile([], 50), /no samples/);
    assert.throws(() => percentile([1], 101), /not between 0 and 100/);
    assert.ok(Number.isNaN(ratio(1, 0)));
  });

  it("a verdict says met, or missed by how much", () => {
    assert.deepEqual(verdict(1.2, 1.5, "at most", "×"), { met: true, goal: "≤ 1.50×", text: "met (1.20×)" });
    assert.deepEqual(verdict(2, 1.5, "at most", "×"), { met: false, goal: "≤ 1.50×", text: "missed by 0.50× over (2.00×, 1.33× the goal)" });
    assert.deepEqual(verdict(4, 10, "at least", "×", 1), { met: false, goal: "≥ 10.0×", text: "missed by 6.0× short (4.0×, 2.50× the goal)" });
    assert.equal(verdict(10, 10, "at least", "×").met, true);
    assert.equal(verdict(25, 20, "at most", " ms", 1).text, "missed by 5.0 ms over (25.0 ms, 1.25× the goal)");
  });
});

function row(tool: ConvergeRow["tool"], phase: ConvergeRow["phase"], perHostMs: number, connections: number): ConvergeRow {
  return { tool, phase, shape: "one host per run", hosts: 3, perHostMs, runsMs: [perHostMs], connectionsPerHost: connections, sessionsPerHost: connections, changesPerHost: 0 };
}

function results(): Omit<BenchResults, "goals"> {
  return {
    command: "npm run bench",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationS: 600,
    machine: { cpu: "Test CPU", cores: 2, memoryGiB: 24, kernel: "6.1", os: "Debian 12", node: "v20", openssh: "OpenSSH_9.2p1", ansible: "ansible-playbook [core 2.14.18]", git: "commit abc1234, src/ as committed", loadStart: 0.5, loadEnd: 0.7 },
    construction: {
      nodeFlags: ["--max-old-space-size=1000"],
      commandsPerHost: [
        { suffix: "shmother-directory-command", instance: "shmother", part: "directory", create: 200, delete: 210, stdin: 12000 },
        { suffix: "shmother-apparmor-command", instance: "shmother", part: "apparmor", create: 300, delete: 0, stdin: 9000 },
      ],
      rows: [
        {
          hosts: 100,
          snapsPerHost: 2,
          snapShm: { wallMs: 3000, peakRssMb: 480, runs: [{ wallMs: 3000, peakRssMb: 480 }], registered: { components: 903, commands: 800, invokes: 100, total: 1703 }, perHostSnap: 8.515, invokesPerHost: 1, promisesPerHost: 900 },
          baseline: { wallMs: 1500, peakRssMb: 400, runs: [{ wallMs: 1500, peakRssMb: 400 }], registered: { components: 100, commands: 800, invokes: 0, total: 900 }, perHostSnap: 4.5, invokesPerHost: 0, promisesPerHost: 400 },
          timeRatio: 2,
          memoryRatio: 1.2,
          tree: { wallMs: 1950, peakRssMb: 440, runs: [{ wallMs: 1950, peakRssMb: 440 }], registered: { components: 1201, commands: 800, invokes: 0, total: 2001 }, perHostSnap: 10, invokesPerHost: 0, promisesPerHost: 520 },
          treeTimeRatio: 1.3,
          treeMemoryRatio: 1.1,
        },
      ],
    },
    converge: {
      hostsPerGroup: 3,
      sshFloor: { client: "openssh", connections: 20, wallMs: { n: 20, median: 250, p95: 300, min: 200, max: 320 }, clientCpuMs: 70, serverCpuMs: 30 },
      sshFloorProbeDirect: { client: "probe-direct", connections: 20, wallMs: { n: 20, median: 150, p95: 170, min: 140, max: 180 }, clientCpuMs: 20, serverCpuMs: 27 },
      sshFloorProbe: { client: "probe", connections: 20, wallMs: { n: 20, median: 85, p95: 95, min: 80, max: 99 }, clientCpuMs: 33, serverCpuMs: 27 },
      sshFloorProvider: { client: "provider", connections: 20, wallMs: { n: 20, median: 80, p95: 90, min: 75, max: 95 }, clientCpuMs: 12, serverCpuMs: 28 },
      tools: ["snap-shm", "ansible", "ansible+pipelining"],
      sameEndState: true,
      endStateNote: "same state",
      rows: [
        row("snap-shm", "first apply", 500, 9),
        row("ansible", "first apply", 10_000, 1),
        row("ansible+pipelining", "first apply", 4000, 1),
        row("snap-shm", "no-op re-apply", 100, 1),
        row("ansible", "no-op re-apply", 8000, 1),
        row("ansible+pipelining", "no-op re-apply", 3000, 1),
        row("snap-shm", "drift repair", 250, 3),
        row("ansible", "drift repair", 9000, 1),
        row("ansible+pipelining", "drift repair", 3500, 1),
      ],
    },
    hostCost: {
      runs: 100,
      floorMs: { n: 100, median: 1.5, p95: 2, min: 1, max: 3 },
      wholeHostApplyMs: 60,
      firstApplyDirect: [
        { operation: "directory apply (shmother)", ms: 20, processes: 11 },
        { operation: "apparmor apply (shmother)", ms: 45.5, processes: 17 },
      ],
      firstApplyDirectMs: 65.5,
      straceAvailable: true,
      rows: [
        { operation: "directory apply (shmother)", ms: { n: 100, median: 12.5, p95: 15, min: 10, max: 20 }, processes: { forks: 14, execs: 9, programs: { stat: 2, awk: 3 } } },
        { operation: "apparmor apply (shmother)", ms: { n: 100, median: 31, p95: 40, min: 25, max: 50 } },
        { operation: "probe (2 snaps)", ms: { n: 100, median: 90, p95: 100, min: 80, max: 120 } },
      ],
    },
    fleetScale: {
      hosts: 20,
      cores: 2,
      rows: [
        { parallel: 1, hosts: 20, wallMs: 20_000, speedup: 1, efficiency: 1, busyCores: 1, operations: 160 },
        { parallel: 5, hosts: 20, wallMs: 11_000, speedup: 20 / 11, efficiency: 20 / 11 / 2, busyCores: 1.9, operations: 160 },
      ],
    },
  };
}

describe("bench: goals and the Markdown report", () => {
  it("holds every figure to its goal", () => {
    const goals = evaluateGoals(results());
    const find = (section: string, goal: string) => goals.find((g) => g.section === section && g.goal.startsWith(goal))!;
    assert.equal(find("construction, 100 hosts × 2 snaps", "time ÷ baseline").met, false);
    assert.equal(find("construction, 100 hosts × 2 snaps", "time ÷ baseline").verdict, "missed by 0.50× over (2.00×, 1.33× the goal)");
    assert.equal(find("construction, 100 hosts × 2 snaps", "peak memory ÷ baseline").met, true);
    assert.equal(find("converge, first apply, one host per run", "Ansible with pipelining").measured, "8.0×");
    assert.equal(find("converge, first apply, one host per run", "Ansible with pipelining").met, false);
    assert.equal(find("converge, no-op re-apply, one host per run", "Ansible with pipelining").met, true);
    assert.equal(find("converge, drift repair, one host per run", "Ansible with pipelining").measured, "14.0×");
    assert.equal(find("converge, no-op re-apply, one host per run", "snap-shm SSH connections").met, true);
    assert.equal(find("host-side cost, directory apply (shmother)", "median").met, true);
    assert.equal(find("host-side cost, apparmor apply (shmother)", "median").verdict, "missed by 11.0 ms over (31.0 ms, 1.55× the goal)");
    assert.equal(goals.filter((g) => g.section.startsWith("host-side cost")).length, 2, "the probe is reported, not held to the apply goal");
    assert.equal(find("fleet scale, parallel 5", "speed-up").met, true);
    assert.equal(goals.length, 2 + 3 + 1 + 2 + 1, "the all-hosts shape has no rows here, so no goals for it");
  });

  it("ratios compare the same phase and run shape", () => {
    const rows = results().converge!.rows;
    assert.equal(convergeRatio(rows, "ansible", "no-op re-apply", "one host per run"), 80);
    assert.ok(Number.isNaN(convergeRatio(rows, "ansible", "no-op re-apply", "all hosts in one run")));
  });

  it("renders the command, the machine and a table per section with every figure and ratio", () => {
    const partial = results();
    const markdown = renderMarkdown({ ...partial, goals: evaluateGoals(partial) });
    assert.ok(markdown.startsWith("Command: `npm run bench`, started 2026-01-01T00:00:00.000Z, took 600 s.\n"));
    assert.ok(markdown.includes("\nCode: commit abc1234, src/ as committed.\n"));
    assert.ok(markdown.includes("snap-shm registers 2 commands (shmother-directory-command, shmother-apparmor-command)"));
    assert.ok(markdown.includes("Machine: Test CPU, 2 cores, 24.0 GiB; Debian 12, kernel 6.1; Node v20; OpenSSH_9.2p1; ansible-playbook [core 2.14.18]."));
    assert.ok(markdown.includes("| construction, 100 hosts × 2 snaps | time ÷ baseline ≤ 1.50× | 2.00× | ❌ missed by 0.50× over (2.00×, 1.33× the goal) |"));
    assert.ok(markdown.includes("| 100 × 2 | 3000 ms | 1500 ms | 2.00× | 480 MB | 400 MB | 1.20× | 8.5 / 4.5 | 1 | 900 / 400 | 1.30× / 1.10× (520 promises per host) | 1 / 1 / 1 |"));
    assert.ok(markdown.includes("| first apply | one host per run | snap-shm | 500 ms | 9.0 | 9.0 | 0.0 | 20.0× | 8.0× |"));
    assert.ok(markdown.includes("| no-op re-apply | one host per run | ansible+pipelining | 3000 ms | 1.0 | 1.0 | 0.0 |  |  |"));
    assert.ok(markdown.includes("One bare SSH connection running `true`, 20 times, with OpenSSH's client and its default key exchange (sntrup761x25519, as Ansible connects): median 250 ms, p95 300 ms; CPU per connection 70 ms in the client, 30 ms in the server."));
    assert.ok(markdown.includes("With OpenSSH's client as snap-shm's probe runs it where Perl does not run (curve25519-sha256 first, as the command provider's client): median 150 ms, p95 170 ms; CPU per connection 20 ms in the client, 27 ms in the server."));
    assert.ok(markdown.includes("The same through the probe's TCP relay, as the probe runs it here: median 85.0 ms, p95 95.0 ms; CPU per connection 33 ms in the client, 27 ms in the server."));
    assert.ok(markdown.includes("With the command provider's client (golang.org/x/crypto/ssh, as the stand-in runs every operation; curve25519-sha256 with OpenSSH 9.2): median 80.0 ms, p95 90.0 ms; CPU per connection 12 ms in the client, 28 ms in the server."));
    assert.ok(
      markdown.includes(
        "A whole first apply of a fresh host the same way, each operation once in order: 65.5 ms (directory apply (shmother) 20.0 ms, 11 processes; apparmor apply (shmother) 45.5 ms, 17 processes). " +
          "Processes forked by the whole first apply (each operation once more, on another fresh host under strace, the floor's subtracted): 28.",
      ),
    );
    assert.ok(markdown.includes("| directory apply (shmother) | 12.5 ms | 15.0 ms | 10.0 ms | 20.0 ms | 14 | awk 3, stat 2 |"));
    assert.ok(markdown.includes("| apparmor apply (shmother) | 31.0 ms | 40.0 ms | 25.0 ms | 50.0 ms | – | – |"));
    assert.ok(markdown.includes("| 5 | 20 | 11.0 s | 550 ms | 1.82× | 0.91 | 1.90 | 160 |"));
    for (const heading of ["### Goals", "### Construction under mocks", "### Converge over SSH", "### Host-side cost", "### Fleet scale"]) {
      assert.ok(markdown.includes(`\n${heading}\n`), heading);
    }
  });

  it("holds snap-shm with connectionSharing to snap-shm's goals and reports it after snap-shm, with its ratios", () => {
    const partial = results();
    const converge = partial.converge!;
    converge.tools = ["snap-shm", "snap-shm+sharing", "ansible", "ansible+pipelining"];
    const sharing = [row("snap-shm+sharing", "first apply", 200, 1), row("snap-shm+sharing", "no-op re-apply", 50, 1), row("snap-shm+sharing", "drift repair", 125, 2)];
    // Each phase's row right after snap-shm's, in the order the section measures them.
    converge.rows = converge.rows.flatMap((r) => (r.tool === "snap-shm" ? [r, sharing.find((s) => s.phase === r.phase)!] : [r]));
    assert.equal(convergeRatio(converge.rows, "ansible", "no-op re-apply", "one host per run", "snap-shm+sharing"), 160);
    const goals = evaluateGoals(partial);
    assert.deepEqual(
      goals.filter((g) => g.section.startsWith("converge")).map((g) => [g.section, g.goal, g.measured, g.met]),
      [
        ["converge, first apply, one host per run", "Ansible with pipelining ÷ snap-shm, per host ≥ 10.0×", "8.0×", false],
        ["converge, first apply, one host per run", "Ansible with pipelining ÷ snap-shm with connectionSharing, per host ≥ 10.0×", "20.0×", true],
        ["converge, no-op re-apply, one host per run", "Ansible with pipelining ÷ snap-shm, per host ≥ 10.0×", "30.0×", true],
        ["converge, no-op re-apply, one host per run", "Ansible with pipelining ÷ snap-shm with connectionSharing, per host ≥ 10.0×", "60.0×", true],
        ["converge, drift repair, one host per run", "Ansible with pipelining ÷ snap-shm, per host ≥ 10.0×", "14.0×", true],
        ["converge, drift repair, one host per run", "Ansible with pipelining ÷ snap-shm with connectionSharing, per host ≥ 10.0×", "28.0×", true],
        ["converge, no-op re-apply, one host per run", "snap-shm SSH connections per host ≤ 1.0", "1.0", true],
        ["converge, no-op re-apply, one host per run", "snap-shm with connectionSharing SSH connections per host ≤ 1.0", "1.0", true],
      ],
    );
    const markdown = renderMarkdown({ ...partial, goals });
    const lines = markdown.split("\n");
    const at = (line: string) => {
      assert.ok(lines.includes(line), line);
      return lines.indexOf(line);
    };
    const ours = at("| first apply | one host per run | snap-shm | 500 ms | 9.0 | 9.0 | 0.0 | 20.0× | 8.0× |");
    assert.equal(at("| first apply | one host per run | snap-shm with connectionSharing | 200 ms | 1.0 | 1.0 | 0.0 | 50.0× | 20.0× |"), ours + 1);
    assert.equal(at("| first apply | one host per run | ansible | 10.0 s | 1.0 | 1.0 | 0.0 |  |  |"), ours + 2);
    at("| drift repair | one host per run | snap-shm with connectionSharing | 125 ms | 2.0 | 2.0 | 0.0 | 72.0× | 28.0× |");
    at("| converge, no-op re-apply, one host per run | snap-shm with connectionSharing SSH connections per host ≤ 1.0 | 1.0 | ✅ met (1.0) |");
    assert.ok(markdown.includes(" snap-shm with connectionSharing: the same program with `connectionSharing: true` on every host,"));
    const without = results();
    assert.ok(!renderMarkdown({ ...without, goals: evaluateGoals(without) }).includes("connectionSharing"), "a run without it reads as before");
  });

  it("renders the construction breakdown: each step's ratios and what it adds to the step before", () => {
    const partial = results();
    const side = (wallMs: number, peakRssMb: number) => ({
      wallMs,
      peakRssMb,
      runs: [0, 1, 2].map(() => ({ wallMs, peakRssMb })),
      registered: { components: 0, commands: 0, invokes: 0, total: 0 },
      perHostSnap: 0,
      invokesPerHost: 0,
    });
    partial.construction!.breakdown = {
      hosts: 300,
      steps: [
        { impl: "baseline", adds: "the baseline", side: side(4000, 600), timeRatio: 1, memoryRatio: 1 },
        { impl: "tree", adds: "components", side: side(5000, 690), timeRatio: 1.25, memoryRatio: 1.15 },
        { impl: "snap-shm", adds: "the rest", side: side(4800, 720), timeRatio: 1.2, memoryRatio: 1.2 },
      ],
    };
    const markdown = renderMarkdown({ ...partial, goals: evaluateGoals(partial) });
    assert.ok(markdown.includes("at 300 hosts × 2 snaps: from the baseline to snap-shm, each step a program of its own that adds one thing to the step before, measured in turns (medians of 3 runs)."));
    assert.ok(markdown.includes("| baseline | the baseline | 4000 ms | 1.00× | – | 600 MB | 1.00× | – |"));
    assert.ok(markdown.includes("| tree | components | 5000 ms | 1.25× | +0.25× | 690 MB | 1.15× | +0.15× |"));
    assert.ok(markdown.includes("| snap-shm | the rest | 4800 ms | 1.20× | −0.05× | 720 MB | 1.20× | +0.05× |"));
    // The breakdown is a diagnostic: it sets no goal.
    assert.equal(evaluateGoals(partial).filter((g) => g.section.includes("300 hosts")).length, 0);
  });

  it("says what one host stores in the state, and how much of it is the host scripts", () => {
    const partial = results();
    partial.construction!.storedPerHost = { total: 800 * 1024, scripts: 600 * 1024, componentOutputs: 3 * 1024 };
    const markdown = renderMarkdown({ ...partial, goals: evaluateGoals(partial) });
    assert.ok(markdown.includes("URNs and dependencies not counted): 800 KB, of which 600 KB (75%) is the host scripts"), markdown);
    assert.ok(markdown.includes("and 3 KB the components' summaries."));
    delete partial.construction!.storedPerHost;
    assert.ok(!renderMarkdown({ ...partial, goals: evaluateGoals(partial) }).includes("The state for one host"), "only when measured");
  });

  it("a construction run stopped for taking too long gives lower bounds, held to the goal", () => {
    const partial = results();
    partial.construction!.rows.push({
      hosts: 5000,
      snapsPerHost: 2,
      snapShm: { wallMs: NaN, peakRssMb: NaN, runs: [], registered: { components: 0, commands: 0, invokes: 0, total: 0 }, perHostSnap: NaN, invokesPerHost: NaN, error: "did not finish", stoppedAfterS: 600, peakRssMbWhenStopped: 16_000 },
      baseline: { wallMs: 150_000, peakRssMb: 8000, runs: [{ wallMs: 150_000, peakRssMb: 8000 }], registered: { components: 5000, commands: 50_000, invokes: 0, total: 55_000 }, perHostSnap: 5.5, invokesPerHost: 0 },
      timeRatio: NaN,
      memoryRatio: NaN,
    });
    const goals = evaluateGoals(partial).filter((g) => g.section === "construction, 5000 hosts × 2 snaps");
    assert.deepEqual(
      goals.map((g) => [g.goal, g.measured, g.met, g.verdict]),
      [
        ["time ÷ baseline ≤ 1.50×", "> 4.00×", false, "missed: snap-shm did not finish within 600 s, so more than 4.00× (2.67× the goal at least)"],
        ["peak memory ÷ baseline ≤ 1.50×", "> 2.00×", false, "missed: snap-shm did not finish within 600 s, so more than 2.00× (1.33× the goal at least)"],
      ],
    );
    const markdown = renderMarkdown({ ...partial, goals: evaluateGoals(partial) });
    assert.ok(markdown.includes("| 5000 × 2 | > 600 s (stopped) | 150.0 s | > 4.00× | ≥ 16000 MB when stopped | 8000 MB | > 2.00× | – / 5.5 | – | – | – | 0 / 1 |"), markdown);
  });

  it("a construction run out of memory says so", () => {
    const partial = results();
    const baseline = partial.construction!.rows[0].baseline;
    partial.construction!.rows.push({
      hosts: 5000,
      snapsPerHost: 2,
      snapShm: { wallMs: NaN, peakRssMb: NaN, runs: [], registered: { components: 0, commands: 0, invokes: 0, total: 0 }, perHostSnap: NaN, invokesPerHost: NaN, stoppedAfterS: 520.4, peakRssMbWhenStopped: 17_000, stoppedBecause: "out of memory" },
      baseline: { ...baseline, wallMs: 200_000, peakRssMb: 12_000, runs: [{ wallMs: 200_000, peakRssMb: 12_000 }] },
      timeRatio: NaN,
      memoryRatio: NaN,
    });
    const goal = evaluateGoals(partial).find((g) => g.section === "construction, 5000 hosts × 2 snaps")!;
    assert.equal(goal.verdict, "missed: snap-shm ran out of memory after 520 s, so more than 2.60× (1.73× the goal at least)");
    const markdown = renderMarkdown({ ...partial, goals: evaluateGoals(partial) });
    assert.ok(markdown.includes("| 5000 × 2 | > 520 s (out of memory) | 200.0 s | > 2.60× | ≥ 17000 MB when out of memory | 12000 MB | > 1.42× |"), markdown);
  });

  it("leaves out the sections that did not run", () => {
    const { construction, converge, hostCost, fleetScale, ...rest } = results();
    void [construction, converge, hostCost, fleetScale];
    const markdown = renderMarkdown({ ...rest, goals: evaluateGoals(rest) });
    assert.ok(!markdown.includes("### Construction"));
    assert.ok(!markdown.includes("### Converge"));
    assert.ok(markdown.includes("### Goals"));
  });
});

describe("bench: Ansible's inventory and recap", () => {
  it("reads PLAY RECAP lines per host", () => {
    const output = `PLAY RECAP *********************************************************************
a1-h1                      : ok=13   changed=7    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
a1-h2                      : ok=12   changed=0    unreachable=1    failed=2    skipped=3    rescued=0    ignored=0
`;
    assert.deepEqual(parseRecap(output), {
      "a1-h1": { ok: 13, changed: 7, unreachable: 0, failed: 0, skipped: 1 },
      "a1-h2": { ok: 12, changed: 0, unreachable: 1, failed: 2, skipped: 3 },
    });
  });

  it("puts every host on loopback with its own port, the key file and pinned host keys", () => {
    const hosts = [{ name: "a1-h1", port: 40001 }, { name: "a1-h2", port: 40002 }] as unknown as BenchHost[];
    const inventory = inventoryYaml(hosts, "/tmp/k/id", "/tmp/k/known_hosts");
    assert.ok(inventory.includes("    a1-h1:\n      ansible_host: 127.0.0.1\n      ansible_port: 40001\n"));
    assert.ok(inventory.includes("    a1-h2:\n      ansible_host: 127.0.0.1\n      ansible_port: 40002\n"));
    assert.ok(inventory.includes("    ansible_ssh_private_key_file: /tmp/k/id\n"));
    assert.ok(inventory.includes("ansible_ssh_common_args: -o UserKnownHostsFile=/tmp/k/known_hosts -o GlobalKnownHostsFile=/dev/null"));
  });
});
