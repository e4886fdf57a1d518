/**
 * snap-shm: a private /dev/shm for snaps, as snapd gives it, across fleets of hosts.
 *
 * Layers, each depending only on the ones above it:
 * - model: snapd's names, shared-memory validation and the desired state of an instance;
 * - render: pure text: AppArmor profile and mount profile edits, host operation commands;
 * - resources: the Pulumi components that carry the host operations over SSH.
 */
export * from "./model/go-value";
export * from "./model/names";
export * from "./model/input-error";
export * from "./model/snapd-version";
export * from "./model/yaml-v2";
export * from "./model/snap-yaml";
export * from "./model/shared-memory";
export * from "./model/bad-plugs-summary";
export * from "./model/desired-state";
export * from "./model/connection";
export * from "./render/apparmor-profile";
export * from "./render/fstab";
export * from "./render/host-command";
export * from "./render/part-arguments";
export * from "./render/ssh-command";
export * from "./render/operation-result";
export * from "./render/host-probe";
export * from "./model/inventory";
export * from "./resources";
