/**
 * The arguments of each part's host operations for one instance, from its desired state:
 * one place, so apply, remove and probe always agree on what they compare against.
 */
import { appSnippet, DesiredState } from "../model/desired-state";
import { RuleGeneration } from "../model/snapd-version";
import { HostArguments } from "./host-command";

/** The AppArmor profiles the block goes into: the state's explicit list, or every profile of the instance. */
export function profileList(state: DesiredState, everyProfile: boolean): string {
  return everyProfile ? `snap-update-ns.${state.instance} snap.${state.instance}.*` : state.appArmor.profiles.join(" ");
}

export function prerequisitesArguments(state: DesiredState, profiles: string): HostArguments {
  return { instance: state.instance, profiles };
}

export function directoryArguments(state: DesiredState): HostArguments {
  const { path, mode, owner, group } = state.directory;
  return { instance: state.instance, path, mode, owner, group };
}

export function directoryRemoveArguments(state: DesiredState, purge: boolean): HostArguments {
  return { ...directoryArguments(state), purge: purge ? "yes" : "no" };
}

export function appArmorArguments(state: DesiredState, profiles: string, generation: RuleGeneration): HostArguments {
  return {
    instance: state.instance,
    profiles,
    "app-snippet": appSnippet(generation),
    "update-ns-snippet": state.appArmor.updateNsSnippet,
  };
}

export function appArmorRemoveArguments(state: DesiredState, profiles: string): HostArguments {
  return { instance: state.instance, profiles };
}

export function mountArguments(state: DesiredState): HostArguments {
  return { instance: state.instance, profile: state.mountProfile.path, entry: state.mountProfile.entry };
}

/**
 * Everything a host probe compares one instance against. With `auto` the probe picks the app
 * snippet for the snapd it finds, so both are sent.
 */
export function probeArguments(state: DesiredState, profiles: string, generation: RuleGeneration | "auto"): HostArguments {
  const snippets: HostArguments =
    generation === "auto"
      ? { "app-snippet-single-level": appSnippet("single-level"), "app-snippet-recursive": appSnippet("recursive") }
      : { "app-snippet": appSnippet(generation) };
  return {
    ...directoryArguments(state),
    ...mountArguments(state),
    profiles,
    generation,
    ...snippets,
    "update-ns-snippet": state.appArmor.updateNsSnippet,
  };
}
