/**
 * The arguments of each part's host operations for one instance, from its desired state:
 * one place, so apply, remove and probe always agree on what they compare against.
 */
import { appSnippet, DesiredState } from "../model/desired-state";
import { OperationMode, RequestedMode } from "../model/operation-mode";
import { RuleGenerationChoice } from "../model/snapd-version";
import { HostArguments } from "./host-command";

/** The AppArmor profiles the block goes into: the state's explicit list, or every profile of the instance. */
export function profileList(state: DesiredState, everyProfile: boolean): string {
  return everyProfile ? `snap-update-ns.${state.instance} snap.${state.instance}.*` : state.appArmor.profiles.join(" ");
}

export function directoryArguments(state: DesiredState, mode: OperationMode = "managed"): HostArguments {
  const { path, mode: dirMode, owner, group } = state.directory;
  return { instance: state.instance, "operation-mode": mode, path, mode: dirMode, owner, group };
}

/** The directory apply also runs the prerequisite check, which requires `profiles` to exist. */
export function directoryApplyArguments(state: DesiredState, profiles: string, mode: OperationMode = "managed"): HostArguments {
  return { ...directoryArguments(state, mode), profiles };
}

export function directoryRemoveArguments(state: DesiredState, purge: boolean, mode: OperationMode = "managed"): HostArguments {
  return { ...directoryArguments(state, mode), purge: purge ? "yes" : "no" };
}

/**
 * The app rule: one snippet for a known generation; with `auto`, both, and the operation
 * picks the one for the snapd it finds on the host when it runs.
 */
function appSnippetArguments(generation: RuleGenerationChoice): HostArguments {
  return generation === "auto"
    ? { generation, "app-snippet-single-level": appSnippet("single-level"), "app-snippet-recursive": appSnippet("recursive") }
    : { "app-snippet": appSnippet(generation) };
}

/** In native mode, `plug` is the plug to connect. */
export function appArmorArguments(state: DesiredState, profiles: string, generation: RuleGenerationChoice, mode: OperationMode = "managed", plug?: string): HostArguments {
  return {
    instance: state.instance,
    "operation-mode": mode,
    ...(mode === "native" && plug !== undefined ? { plug } : {}),
    profiles,
    ...appSnippetArguments(generation),
    "update-ns-snippet": state.appArmor.updateNsSnippet,
  };
}

export function appArmorRemoveArguments(state: DesiredState, profiles: string, mode: OperationMode = "managed"): HostArguments {
  return { instance: state.instance, "operation-mode": mode, profiles };
}

export function mountArguments(state: DesiredState, mode: OperationMode = "managed"): HostArguments {
  return { instance: state.instance, "operation-mode": mode, profile: state.mountProfile.path, entry: state.mountProfile.entry };
}

/**
 * The self-heal part: the directory, AppArmor and mount apply arguments, which the heal
 * script on the host is given (one set: the parts share `instance` and `operation-mode`).
 * In native mode the apply takes away what self-heal had installed.
 */
export function selfHealArguments(state: DesiredState, profiles: string, generation: RuleGenerationChoice, mode: OperationMode = "managed"): HostArguments {
  return { ...directoryArguments(state, mode), ...appArmorArguments(state, profiles, generation, mode), ...mountArguments(state, mode) };
}

/** Removal needs only the instance: it takes away whatever self-heal installed, in any mode. */
export function selfHealRemoveArguments(state: DesiredState): HostArguments {
  return { instance: state.instance };
}

/**
 * Everything a host probe compares one instance against. With `auto` the probe picks the app
 * snippet for the snapd it finds, so both are sent.
 */
export function probeArguments(
  state: DesiredState,
  profiles: string,
  generation: RuleGenerationChoice,
  mode: RequestedMode = "managed",
  selfHeal?: boolean,
): HostArguments {
  return {
    ...directoryArguments(state),
    ...mountArguments(state),
    "operation-mode": mode,
    profiles,
    generation,
    ...appSnippetArguments(generation),
    "update-ns-snippet": state.appArmor.updateNsSnippet,
    // Whether self-heal should be installed: without it, the probe only reports what it finds.
    ...(selfHeal === undefined ? {} : { "self-heal": selfHeal ? "yes" : "no" }),
  };
}
