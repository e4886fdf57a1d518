/**
 * A fleet's rollout: hosts in batches of a configured size, each batch starting only when the
 * previous one succeeded (Ansible's `serial`), and a failure budget for hosts that cannot be
 * reached before the run. Pure: which batch a host is in, which hosts a batch waits for.
 */
import { InputError } from "./input-error";

export interface Rollout {
  /** Hosts per batch; undefined: every host in one batch. */
  batchSize?: number;
  /** Hosts whose drift probe failed that are tolerated; default: no limit (as Ansible without max_fail_percentage). */
  failureBudget?: number;
}

/** Checks a rollout; `field` names it in errors. */
export function checkRollout(rollout: Rollout, field: string): void {
  const { batchSize, failureBudget } = rollout;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new InputError(`${field}.batchSize`, batchSize, `batch size ${JSON.stringify(batchSize)} must be a whole number, at least 1`);
  }
  if (failureBudget !== undefined && !(Number.isInteger(failureBudget) && failureBudget >= 0)) {
    throw new InputError(`${field}.failureBudget`, failureBudget, `failure budget ${JSON.stringify(failureBudget)} must be a whole number, at least 0`);
  }
}

/** The batch of each of `count` hosts, in order. */
export function batchesOf(count: number, rollout: Rollout): number[] {
  const size = rollout.batchSize ?? Math.max(count, 1);
  return Array.from({ length: count }, (_, i) => Math.floor(i / size));
}

/**
 * What the drift probe found of a host before the run: `reached`; `unreachable` (SSH failed,
 * or sudo refused); `silent` (its sshd accepted the connection and never answered, which the
 * command provider's SSH client, bounding only the TCP connect, would wait for without
 * limit, and a shared connection's OpenSSH until its connect timeout); or `unprobed` (drift
 * detection off).
 */
export type HostReach = "reached" | "unreachable" | "silent" | "unprobed";

export interface RolloutPlan {
  /**
   * Per batch, the indexes of the hosts it waits for: the reachable hosts with operations of
   * the nearest batch before it that has any (a batch left with none is passed over, so the
   * order holds across it).
   */
  waitsFor: number[][];
  /** The names of the hosts left out of the order because the probe could not reach them. */
  unreachable: string[];
}

/**
 * Which hosts each batch waits for, given what the probe found of each host, which hosts
 * have operations at all (`operates`; a host with no snaps has none to wait for) and which
 * run them over a shared connection (`shares`). Unreachable hosts are left out of the order;
 * more of them than the budget, or any silent host (whose operations would hold the run
 * without end, or each wait for its connect timeout), is an error that names them, before
 * any host is changed.
 */
export function planRollout(
  names: string[],
  reach: HostReach[],
  rollout: Rollout,
  operates: boolean[] = names.map(() => true),
  shares: boolean[] = names.map(() => false),
): RolloutPlan {
  const silent = names.flatMap((name, i) => (reach[i] === "silent" ? [{ name, shares: shares[i] }] : []));
  if (silent.length > 0) {
    throw new Error(
      `rollout stopped before any host was changed: ${silent.length} host(s) accepted the SSH connection and never answered (${silent.map((host) => host.name).join(", ")}); ` +
        `${silentHostsWait(silent.map((host) => host.shares))}: restart their sshd, or take them out of the inventory`,
    );
  }
  const unreachable = names.filter((_, i) => reach[i] === "unreachable");
  const budget = rollout.failureBudget ?? Infinity;
  if (unreachable.length > budget) {
    throw new Error(
      `rollout stopped before any host was changed: ${unreachable.length} host(s) could not be reached or probed (${unreachable.join(", ")}), and the failure budget is ${budget}; ` +
        "bring them back, take them out of the inventory, or raise rollout.failureBudget",
    );
  }
  const batches = batchesOf(names.length, rollout);
  const count = batches.length === 0 ? 0 : batches[batches.length - 1] + 1;
  const waitable: number[][] = Array.from({ length: count }, () => []);
  batches.forEach((batch, i) => {
    if (reach[i] !== "unreachable" && operates[i]) waitable[batch].push(i);
  });
  const waitsFor: number[][] = [];
  let previous: number[] = [];
  for (let batch = 0; batch < count; batch++) {
    waitsFor.push(previous);
    if (waitable[batch].length > 0) previous = waitable[batch];
  }
  return { waitsFor, unreachable };
}

/**
 * What the operations of one silent host would do, by how they connect: the command
 * provider's SSH client bounds only the TCP connect; a shared connection's OpenSSH also
 * bounds the banner exchange, by the connect timeout.
 */
export function silentHostWait(connectionSharing: boolean): string {
  return connectionSharing
    ? "each of its parts' OpenSSH would wait for it until its connection timed out (connection.perDialTimeout), then fail"
    : "the command provider's SSH client would wait for it without limit and hold the run";
}

/** `silentHostWait` for several silent hosts, each sharing its connection or not. */
function silentHostsWait(shares: boolean[]): string {
  if (shares.every((sharing) => sharing)) return "each of their parts' OpenSSH would wait for them until its connection timed out (connection.perDialTimeout), then fail";
  const which = shares.some((sharing) => sharing) ? "those without connectionSharing" : "them";
  return `the command provider's SSH client would wait for ${which} without limit and hold the run`;
}
