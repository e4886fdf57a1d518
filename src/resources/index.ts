export * from "./connection";
export * from "./host-probe";
export * from "./snap-shared-memory";
export * from "./private-shm-directory";
export * from "./private-shm-apparmor";
export * from "./private-shm-bind-mount";
export * from "./private-shm-self-heal";
export * from "./private-shm";
export * from "./snap-shm-host";
export * from "./snap-shm-fleet";
export { closeSharedConnections } from "./shared-connection";
// Types the components' arguments and outputs use, so the resources' API stands on its own.
export type { PrivateShmPartArgs } from "./part-command";
export type { ModeDecision, OperationMode, RequestedMode } from "../model/operation-mode";
export type { OperationResult } from "../render/operation-result";
export type { DesiredState } from "../model/desired-state";
export type { RuleGeneration, RuleGenerationChoice } from "../model/snapd-version";
export type { HostReach } from "../model/rollout";
export type { DesiredAppArmor, DesiredDirectory, DesiredMountProfile } from "../model/desired-state";
