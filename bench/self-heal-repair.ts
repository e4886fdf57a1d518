/**
 * How long self-heal takes to give a snap its private /dev/shm back after snapd rewrote its
 * files: on a test host (tests/support/test-host.ts: a mount namespace with a copy-on-write
 * root, Debian's real snap-update-ns and apparmor_parser), a running fixture snap is set up
 * by the parts' apply operations and self-heal; then, N times, its profiles are rewritten
 * without the blocks, its mount profile deleted and the bind undone by snap-update-ns, the
 * way snapd does, and the heal runs as the service's ExecStart says. The time is measured
 * inside the host, around that command line alone: from the moment snapd's rewrite is
 * complete to the heal's exit, with the bind checked back in place. systemd's own part (the
 * inotify event, queuing the job, forking the service) is not in it: no systemd runs here.
 *
 *   node -r ts-node/register/transpile-only bench/self-heal-repair.ts [RUNS] [APPS]
 *
 * Needs root. Prints the median, quartiles and extremes in milliseconds, for a repair and for
 * a trigger that finds the host in sync.
 */
import { desiredState } from "../src/model/desired-state";
import { hostCommand } from "../src/render/host-command";
import { appArmorArguments, directoryArguments, mountArguments, profileList, selfHealArguments } from "../src/render/part-arguments";
import { appProfile, updateNsProfile } from "../tests/fixtures/snapd-profiles";
import { TestHost } from "../tests/support/test-host";

const I = "shmtest_foo";
const PROFILES = "/var/lib/snapd/apparmor/profiles";

function must(host: TestHost, command: { command: string; stdin: string }): void {
  const run = host.sh(command.command, command.stdin);
  if (run.status !== 0) throw new Error(run.stderr);
}

/** The files snapd writes for the snap, without snap-shm's blocks, then its rewrite as snapd makes it. */
function snapdRewriteScript(apps: string[]): string {
  const texts: Array<[string, string]> = [[`snap-update-ns.${I}`, updateNsProfile(I)], ...apps.map((app): [string, string] => [`snap.${I}.${app}`, appProfile(I, app)])];
  const copies = texts.map(([name]) => `cp /run/snapd-texts/${name} ${PROFILES}/${name}.tmp~ && mv -f ${PROFILES}/${name}.tmp~ ${PROFILES}/${name}`);
  return [...copies, `rm /var/lib/snapd/mount/snap.${I}.fstab`, `/usr/lib/snapd/snap-update-ns ${I}`].join(" && ");
}

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
  return `median ${at(0.5).toFixed(1)} ms (quartiles ${at(0.25).toFixed(1)}–${at(0.75).toFixed(1)}, min ${sorted[0].toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)}, n=${sorted.length})`;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 21);
  const apps = Array.from({ length: Number(process.argv[3] ?? 2) }, (_, i) => (i === 0 ? "app" : `app${i + 1}`));
  const host = await TestHost.start();
  try {
    host.addSnap({ instance: I, apps, running: true });
    host.must("mkdir -p /run/snapd-texts");
    host.writeFile(`/run/snapd-texts/snap-update-ns.${I}`, updateNsProfile(I));
    for (const app of apps) host.writeFile(`/run/snapd-texts/snap.${I}.${app}`, appProfile(I, app));
    const state = desiredState(I);
    const profiles = profileList(state, true);
    must(host, hostCommand("directory", "apply", directoryArguments(state), false));
    must(host, hostCommand("apparmor", "apply", appArmorArguments(state, profiles, "single-level"), false));
    must(host, hostCommand("mount", "apply", mountArguments(state), false));
    must(host, hostCommand("self-heal", "apply", selfHealArguments(state, profiles, "single-level"), false));
    const execStart = host.must(`sed -n 's/^ExecStart=//p' /etc/systemd/system/snap-shm-heal-${I}.service`).trim();
    // The clock is read in the host, right before and after the ExecStart command line.
    const timed = `t0=$(date +%s%N); ${execStart} >/dev/null; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 ))`;
    const bound = `nsenter --mount=/run/snapd/ns/${I}.mnt cat /proc/self/mountinfo | awk '$5 == "/dev/shm" { root = $4 } END { print root }'`;
    const repairs: number[] = [];
    const idle: number[] = [];
    for (let i = 0; i < runs; i++) {
      host.must(snapdRewriteScript(apps));
      if (host.must(bound).trim() === `/snap.${I}`) throw new Error("the rewrite left the bind in place");
      repairs.push(Number(host.must(timed).trim()) / 1000);
      if (host.must(bound).trim() !== `/snap.${I}`) throw new Error("the heal did not bring the bind back");
      idle.push(Number(host.must(timed).trim()) / 1000);
    }
    console.log(`self-heal, ${apps.length} app profile(s) + snap-update-ns, AppArmor ${host.exists("/sys/kernel/security/apparmor") ? "enabled" : "not enabled (no load)"}:`);
    console.log(`  repair after a snapd rewrite: ${stats(repairs)}`);
    console.log(`  trigger with the host in sync: ${stats(idle)}`);
  } finally {
    await host.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
