/** What snapd would do to a converged host, and what a converged host looks like. */
import { appProfile, updateNsProfile } from "../tests/fixtures/snapd-profiles";
import type { TestHost } from "../tests/support/test-host";

const PROFILES = "/var/lib/snapd/apparmor/profiles";

/**
 * snapd refreshing the running snap `shmtest_foo` (as tests/e2e/drift.test.ts simulates it):
 * every profile of the instance rewritten without the block, the mount profile gone, and
 * snap-update-ns undoing the live bind it recorded.
 */
export function snapdRefreshDrift(host: TestHost): void {
  host.writeFile(`${PROFILES}/snap.shmtest_foo.app`, appProfile("shmtest_foo", "app"));
  host.writeFile(`${PROFILES}/snap.shmtest_foo.hook.configure`, appProfile("shmtest_foo", "hook.configure"));
  host.writeFile(`${PROFILES}/snap-update-ns.shmtest_foo`, updateNsProfile("shmtest_foo"));
  host.must("rm -f /var/lib/snapd/mount/snap.shmtest_foo.fstab && /usr/lib/snapd/snap-update-ns shmtest_foo");
}

/**
 * The state both tools converge (not snap-shm's own revision records): every profile and
 * mount profile with its mode and a hash of its bytes, the tmpfiles entries, the private
 * directories, and the root of the top /dev/shm mount in the running snap's namespace.
 */
export function convergedState(host: TestHost): string {
  return host.must(`
    for f in ${PROFILES}/* /var/lib/snapd/mount/* /etc/tmpfiles.d/snap-shm-*; do
      [ -f "$f" ] && printf '%s %s %s\\n' "$f" "$(stat -c %a "$f")" "$(sha256sum < "$f" | cut -c1-16)"
    done
    for d in /dev/shm/snap.*; do [ -e "$d" ] && printf '%s %s\\n' "$d" "$(stat -c '%F %a %U %G' "$d")"; done
    printf 'live bind root: %s\\n' "$(nsenter --mount=/run/snapd/ns/shmtest_foo.mnt awk '$5 == "/dev/shm" { r = $4 } END { print r }' /proc/self/mountinfo)"
    true
  `);
}

/** The state every host must have after a converge (from a reference host of the run). */
export function isConverged(state: string): boolean {
  return state.includes("live bind root: /snap.shmtest_foo\n") && /snap-shm-shmother\.conf/.test(state) && /snap\.shmtest_foo\.fstab/.test(state);
}
