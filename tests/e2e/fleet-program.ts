/** The program the end-to-end tests run: a fleet of test hosts with the fixture snaps. */
import * as pulumi from "@pulumi/pulumi";
import type { SnapShmFleet } from "../../src/resources";
import { TestFleet } from "../support/test-fleet";

export interface FleetProgramOptions {
  /** Per host name, the snap instances it should have. */
  snaps: Record<string, string[]>;
  /** Per snap instance, the snapd version it targets (omitted: detected on each host). */
  snapdVersions?: Record<string, string>;
  /** Per snap instance, delete its private directory with its segments on removal. */
  purge?: Record<string, boolean>;
  driftDetection?: boolean;
  /** Every part over the host's one shared SSH connection, on every host. */
  connectionSharing?: boolean;
  /** Per host name, a password to log in with instead of the key. */
  passwords?: Record<string, string>;
  /** Per snap instance, the mode asked for (omitted: auto). */
  modes?: Record<string, "auto" | "managed" | "native">;
}

export const FIXTURE_SNAPS: Record<string, { apps?: string[]; hooks?: string[] }> = {
  shmtest_foo: { apps: ["app"], hooks: ["configure"] },
  shmother: {},
  shmpriv: { apps: ["browser"] },
};

export function fleetProgram(fleet: TestFleet, options: FleetProgramOptions): () => Promise<SnapShmFleet> {
  return async () => {
    const r = await import("../../src/resources");
    const used = new Set(Object.values(options.snaps).flat());
    const configs = Object.fromEntries(
      [...used].map((instance) => [
        instance,
        new r.SnapSharedMemory(instance, { instance, ...FIXTURE_SNAPS[instance], snapdVersion: options.snapdVersions?.[instance] }),
      ]),
    );
    return new r.SnapShmFleet("fleet", {
      hosts: fleet.hosts
        .filter((h) => options.snaps[h.name] !== undefined)
        .map((h) => ({
          name: h.name,
          connection: {
            ...h.connection,
            privateKey: options.passwords?.[h.name] !== undefined ? undefined : pulumi.secret(h.connection.privateKey),
            password: options.passwords?.[h.name] !== undefined ? pulumi.secret(options.passwords[h.name]) : undefined,
            proxy: h.connection.proxy ? { ...h.connection.proxy, privateKey: pulumi.secret(h.connection.proxy.privateKey) } : undefined,
          },
          become: h.become,
          driftDetection: options.driftDetection,
          connectionSharing: options.connectionSharing,
          snaps: options.snaps[h.name].map((instance) => ({ snap: configs[instance], purge: options.purge?.[instance], mode: options.modes?.[instance] })),
        })),
    });
  };
}
