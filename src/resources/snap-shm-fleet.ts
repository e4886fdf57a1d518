/** Many hosts, each with its own connection and snaps, rolled out in batches. */
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../model/input-error";
import { batchesOf, checkRollout, planRollout, Rollout } from "../model/rollout";
import { requireArgs, requireArray, requireObject } from "./arg-types";
import { GatedHostArgs, ROLLOUT_GATE } from "./rollout-gate";
import { checkHostArgs, HostSummary, SnapShmHost, SnapShmHostArgs } from "./snap-shm-host";

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
 * changed, and so does any host whose sshd accepts and never answers (`SnapShmHost.reach`
 * `silent`). Run `pulumi up --continue-on-error` so that the operations of a host left out,
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
    const context = `SnapShmFleet "${name}" args.`;
    requireArgs(context, args);
    requireArray(`${context}hosts`, args.hosts, "hosts, each { name, connection, snaps }");
    const seen = new Set<string>();
    args.hosts.forEach((host, i) => {
      requireObject(`${context}hosts[${i}]`, host, "a host such as { name, connection, snaps }");
      const field = `${context}hosts[${i}].name`;
      if (typeof host.name !== "string" || !HOST_NAME.test(host.name)) {
        throw new InputError(field, host.name, `invalid host name ${JSON.stringify(host.name)}: expected letters, digits, ".", "_" and "-", up to 63 characters`);
      }
      if (seen.has(host.name)) throw new InputError(field, host.name, `host name ${JSON.stringify(host.name)} is used twice`);
      seen.add(host.name);
    });
    // Every host checked before anything registers.
    const instances = args.hosts.map((host, i) => checkHostArgs(`${context}hosts[${i}].`, host).map(({ snap }) => snap.instance));
    checkFleetNames(name, args.hosts.map((host, i) => ({ name: host.name, instances: instances[i] })));
    const rollout = args.rollout ?? {};
    checkRollout(rollout, `${context}rollout`);
    super(SnapShmFleet.TYPE, name, {}, opts);

    // Each batch waits on a gate made from every host's probe, so it is given once every host
    // exists: the previous batch's reachable hosts, or the plan's error for all of them. A
    // gate is an Output: one still unknown in a preview (a host's address not known yet)
    // waits for nothing, where a promise would wait for ever.
    const names = args.hosts.map((host) => host.name);
    const batches = batchesOf(names.length, rollout);
    const gates = Array.from({ length: (batches.at(-1) ?? -1) + 1 }, () => deferred<pulumi.Output<pulumi.Resource[]>>());
    const waits = gates.map((gate) => pulumi.output(gate.promise));
    this.hosts = {};
    args.hosts.forEach(({ name: hostName, ...hostArgs }, i) => {
      const gated: GatedHostArgs = { ...hostArgs, [ROLLOUT_GATE]: waits[batches[i]] };
      // The fleet's own dependsOn holds for every host, its drift probe included.
      this.hosts[hostName] = new SnapShmHost(`${name}-${hostName}`, gated, { parent: this, dependsOn: opts?.dependsOn });
    });
    const hosts = names.map((hostName) => this.hosts[hostName]);
    const plan = pulumi.all(hosts.map((host) => host.reach)).apply((reach) => {
      const planned = planRollout(
        names,
        reach,
        rollout,
        args.hosts.map((host) => host.snaps.length > 0),
        args.hosts.map((host) => host.connectionSharing === true),
      );
      if (planned.unreachable.length > 0) {
        void pulumi.log.warn(`rollout: left out of the batch order, unreachable before the run: ${planned.unreachable.join(", ")}`, this);
      }
      return planned;
    });
    gates.forEach((gate, batch) => gate.resolve(plan.apply((planned) => planned.waitsFor[batch].map((index) => hosts[index]))));
    this.unreachable = plan.apply((planned) => planned.unreachable);
    this.summary = pulumi
      .all(hosts.map((host) => host.summary))
      .apply((summaries) => Object.fromEntries(summaries.map((summary, i) => [names[i], summary])));
    this.registerOutputs({ summary: this.summary, unreachable: this.unreachable });
  }
}

/**
 * Refuses two hosts of fleet `name` that would name their resources alike: a host's snap is
 * `<fleet>-<host>-<instance>`, so host "a-b" with snap "cd" and host "a" with snap "b-cd"
 * would collide, and the engine would stop halfway through the run.
 */
export function checkFleetNames(name: string, hosts: Array<{ name: string; instances: string[] }>): void {
  const named = new Map<string, string>();
  hosts.forEach((host, i) => {
    host.instances.forEach((instance, j) => {
      const stem = `${host.name}-${instance}`;
      const which = `host ${JSON.stringify(host.name)} with snap instance ${JSON.stringify(instance)}`;
      const other = named.get(stem);
      if (other !== undefined) {
        throw new InputError(`SnapShmFleet "${name}" args.hosts[${i}].snaps[${j}]`, instance, `${which} would name its resources "${name}-${stem}-…", as ${other} does; rename one of the hosts`);
      }
      named.set(stem, which);
    });
  });
}

/** A promise resolved later: each batch's gate, given once every host exists. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}
