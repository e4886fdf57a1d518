/**
 * How a fleet hands each host what its rollout makes the host's operations wait for (the
 * batch before it), apart from the host's own `dependsOn`, which its drift probe waits for
 * too: the gate is made from every host's probe, so the probe must not wait for it. Internal:
 * not exported from the package.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SnapShmHostArgs } from "./snap-shm-host";

export const ROLLOUT_GATE: unique symbol = Symbol("snap-shm rollout gate");

/** `SnapShmHostArgs` as a fleet gives them. */
export type GatedHostArgs = SnapShmHostArgs & {
  /** The resources of the batch before the host's, once the rollout is planned. */
  [ROLLOUT_GATE]?: pulumi.Input<pulumi.Resource[]>;
};
