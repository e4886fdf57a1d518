/**
 * The fleet an inventory describes, as resources: one `SnapSharedMemory` per distinct snap
 * configuration, one `SnapShmHost` per host in a `SnapShmFleet` with the inventory's rollout.
 */
import * as pulumi from "@pulumi/pulumi";
import { Inventory, InventorySnap } from "../model/inventory";
import { SnapSharedMemory } from "../resources/snap-shared-memory";
import { checkFleetNames, SnapShmFleet } from "../resources/snap-shm-fleet";
import { connectionFor, FleetCredentials } from "./credentials";

/** Registers the fleet; every host's credentials are resolved before anything is registered. */
export function deployInventory(name: string, inventory: Inventory, credentials: FleetCredentials, opts?: pulumi.ComponentResourceOptions): SnapShmFleet {
  const connections = inventory.hosts.map((host) => connectionFor(host, credentials));
  checkFleetNames(name, inventory.hosts.map((host) => ({ name: host.name, instances: host.snaps.map((snap) => snap.instance) })));
  const configs = new SnapConfigs(new Set(inventory.hosts.flatMap((host) => host.snaps.map((snap) => snap.instance))));
  return new SnapShmFleet(
    name,
    {
      rollout: inventory.rollout,
      hosts: inventory.hosts.map((host, i) => ({
        name: host.name,
        connection: connections[i],
        become: host.become,
        driftDetection: host.driftDetection,
        connectionSharing: host.connectionSharing,
        snaps: host.snaps.map((snap) => ({ snap: configs.get(snap, opts), purge: snap.purge, mode: snap.mode, selfHeal: snap.selfHeal })),
      })),
    },
    opts,
  );
}

/**
 * One configuration per instance and settings: hosts that agree share it. The first of an
 * instance is named after it, the others `<instance>-2`, `-3`, …, passing over a name that
 * is itself an instance of the inventory (snap "foo-2").
 */
class SnapConfigs {
  private readonly byKey = new Map<string, SnapSharedMemory>();
  private readonly perInstance = new Map<string, number>();

  constructor(private readonly instances: Set<string>) {}

  get(snap: InventorySnap, opts?: pulumi.ComponentResourceOptions): SnapSharedMemory {
    const args = {
      instance: snap.instance,
      ...(snap.apps !== undefined ? { apps: snap.apps } : {}),
      ...(snap.hooks !== undefined ? { hooks: snap.hooks } : {}),
      ...(snap.plug !== undefined ? { plug: snap.plug } : {}),
      ...(snap.snapdVersion !== undefined ? { snapdVersion: snap.snapdVersion } : {}),
    };
    const key = JSON.stringify(args);
    let config = this.byKey.get(key);
    if (config === undefined) {
      let count = (this.perInstance.get(snap.instance) ?? 0) + 1;
      while (count > 1 && this.instances.has(`${snap.instance}-${count}`)) count++;
      this.perInstance.set(snap.instance, count);
      config = new SnapSharedMemory(count === 1 ? snap.instance : `${snap.instance}-${count}`, args, opts);
      this.byKey.set(key, config);
    }
    return config;
  }
}
