/** Many hosts, each with its own connection and snaps, rolled out in batches. */
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../model/input-error";
import { batchesOf, checkRollout, planRollout, Rollout } from "../model/rollout";
import { HostSummary, SnapShmHost, SnapShmHostArgs } from "./snap-shm-host";

/** One host of a fleet: its name and `SnapShmHost`'s arguments. */
export interface FleetHostArgs extends SnapShmHostArgs {
  /** The host's name in the fleet: letters, digits, `.`, `_` and `-`; unique in the fleet. */
  name: string;
}

/**
 * How the hosts are rolled out. Batches follow the order of `hosts`; a batch's operations wait
 * for every operation of the previous batch, so a failing host stops the batches after it
 * (as Ansible's `serial` does). Hosts whose drift probe fails (unreachable, or sudo refused)
 * are left out of that order, up to `failureBudget`; more fail the run before any host is
 * changed. Run `pulumi up --continue-on-error` so that the operations of a host left out,
 * which fail, do not stop the rest of the fleet.
 */
export interface RolloutArgs extends Rollout {
  /** Hosts per batch. Default: every host in one batch. */
  batchSize?: number;
  /** How many hosts may fail the drift probe before the run. Default: no limit. */
  failureBudget?: number;
}

/** The arguments of `SnapShmFleet`. */
export interface SnapShmFleetArgs {
  /** The hosts. Every host is checked before any resource is created. */
  hosts: FleetHostArgs[];
  /** Batches and failure budget. Default: one batch, every unreachable host tolerated. */
  rollout?: RolloutArgs;
}

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/;

/** One `SnapShmHost` per host, named `<fleet>-<host>`. */
export class SnapShmFleet extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:SnapShmFleet";

  /** Each host's component, by host name. */
  readonly hosts: Record<string, SnapShmHost>;
  /** Per host, per snap instance: what was found and changed. */
  readonly summary: pulumi.Output<Record<string, HostSummary>>;
  /** The hosts whose drift probe failed, left out of the rollout order (within the budget). */
  readonly unreachable: pulumi.Output<string[]>;

  constructor(name: string, args: SnapShmFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    const seen = new Set<string>();
    args.hosts.forEach((host, i) => {
      const field = `SnapShmFleet "${name}" args.hosts[${i}].name`;
      if (typeof host.name !== "string" || !HOST_NAME.test(host.name)) {
        throw new InputError(field, host.name, `invalid host name ${JSON.stringify(host.name)}: expected letters, digits, ".", "_" and "-", up to 63 characters`);
      }
      if (seen.has(host.name)) throw new InputError(field, host.name, `host name ${JSON.stringify(host.name)} is used twice`);
      seen.add(host.name);
    });
    const rollout = args.rollout ?? {};
    checkRollout(rollout, `SnapShmFleet "${name}" args.rollout`);
    super(SnapShmFleet.TYPE, name, {}, opts);

    // Each batch waits on a gate that opens once every host has been probed: to the previous
    // batch's reachable hosts, or with the budget's error for all of them.
    const names = args.hosts.map((host) => host.name);
    const batches = batchesOf(names.length, rollout);
    const gates = Array.from({ length: (batches.at(-1) ?? -1) + 1 }, () => deferred<pulumi.Resource[]>());
    this.hosts = {};
    args.hosts.forEach(({ name: hostName, ...hostArgs }, i) => {
      this.hosts[hostName] = new SnapShmHost(`${name}-${hostName}`, hostArgs, { parent: this, dependsOn: gates[batches[i]].promise });
    });
    const hosts = names.map((hostName) => this.hosts[hostName]);
    this.unreachable = pulumi.all(hosts.map((host) => host.reachable)).apply((reachable) => {
      try {
        const plan = planRollout(names, reachable, rollout);
        gates.forEach((gate, batch) => gate.resolve(plan.waitsFor[batch].map((index) => hosts[index])));
        if (plan.unreachable.length > 0) {
          void pulumi.log.warn(`rollout: left out of the batch order, unreachable before the run: ${plan.unreachable.join(", ")}`, this);
        }
        return plan.unreachable;
      } catch (error) {
        gates.forEach((gate) => gate.reject(error as Error));
        throw error;
      }
    });
    this.summary = pulumi
      .all(hosts.map((host) => host.summary))
      .apply((summaries) => Object.fromEntries(summaries.map((summary, i) => [names[i], summary])));
    this.registerOutputs({ summary: this.summary, unreachable: this.unreachable });
  }
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejected gate is reported through the registrations that wait on it, not as unhandled.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
