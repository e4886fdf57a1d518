/**
 * The fleet every section uses: each host has two snaps, shaped like the end-to-end tests'
 * fixtures. `shmtest_foo` (a parallel instance with an app and a hook, "running": its mount
 * namespace is preserved) and `shmother` (one app).
 */
import type { FixtureSnap } from "../tests/support/test-host";

export interface BenchSnap {
  instance: string;
  apps: string[];
  hooks?: string[];
}

export const BENCH_SNAPS: BenchSnap[] = [
  { instance: "shmtest_foo", apps: ["app"], hooks: ["configure"] },
  { instance: "shmother", apps: ["app"] },
];

/** The fixture snaps a test host gets (the first one running). */
export function fixtureSnaps(): FixtureSnap[] {
  return [
    { instance: "shmtest_foo", apps: ["app"], hooks: ["configure"], running: true },
    { instance: "shmother", apps: ["app"] },
  ];
}

/** Every AppArmor profile file of a bench snap (apps, hooks, then snap-update-ns). */
export function profileFiles(snap: BenchSnap): string[] {
  return [
    ...snap.apps.map((app) => `snap.${snap.instance}.${app}`),
    ...(snap.hooks ?? []).map((hook) => `snap.${snap.instance}.hook.${hook}`),
    `snap-update-ns.${snap.instance}`,
  ];
}
