/** snapd's private-shm AppArmor rules in the profiles of one snap instance on one host. */
import * as pulumi from "@pulumi/pulumi";
import { RuleGenerationChoice } from "../model/snapd-version";
import { appArmorArguments, appArmorRemoveArguments, profileList } from "../render/part-arguments";
import { OperationResult } from "../render/operation-result";
import { combine } from "./combine";
import { checkedOperationMode, checkedRuleGeneration, checkIfPlain, checkPartArgs, partCommand, PrivateShmPartArgs } from "./part-command";

/** The arguments of `PrivateShmAppArmor`. */
export interface PrivateShmAppArmorArgs extends PrivateShmPartArgs {
  /** Apps whose profiles get the rule; omit with `hooks` for every app and hook profile on the host. */
  apps?: string[];
  /** Hooks whose profiles get the rule. */
  hooks?: string[];
  /**
   * Which rule snapd's generation writes: `single-level` (`"/dev/shm/*"`, snapd before
   * 2.60.2), `recursive` (`"/dev/shm/**"`), or `auto`: the one for the snapd found on the
   * host each time the apply runs. Default `recursive`.
   */
  ruleGeneration?: pulumi.Input<RuleGenerationChoice>;
  /** In native mode, the snap's private plug to connect. Default `shared-memory`. */
  plug?: pulumi.Input<string>;
}

/**
 * The marked block with snapd's rule before the closing brace of every app and hook
 * profile, and snapd's update-ns block in `snap-update-ns.I`. A new profile text is checked
 * by `apparmor_parser -QK` before it replaces the old one; changed profiles are loaded in
 * one `apparmor_parser --replace` where AppArmor is enabled.
 */
export class PrivateShmAppArmor extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:PrivateShmAppArmor";

  /** What the last apply found (each profile's state) and changed. */
  readonly result: pulumi.Output<OperationResult>;

  constructor(name: string, args: PrivateShmAppArmorArgs, opts?: pulumi.ComponentResourceOptions) {
    const context = `PrivateShmAppArmor "${name}" args.`;
    const desired = checkPartArgs(context, args, true);
    const generationField = `${context}ruleGeneration`;
    const modeField = `${context}operationMode`;
    checkIfPlain(args.ruleGeneration, (generation) => checkedRuleGeneration(generationField, generation));
    super(PrivateShmAppArmor.TYPE, name, {}, opts);
    const profiles = profileList(desired, args.apps === undefined && args.hooks === undefined);
    const apply = combine([args.ruleGeneration ?? "recursive", args.operationMode ?? "managed", args.plug ?? "shared-memory"], (generation, mode, plug) =>
      appArmorArguments(desired, profiles, checkedRuleGeneration(generationField, generation), checkedOperationMode(modeField, mode), plug),
    );
    const { result } = partCommand(
      `${name}-command`,
      {
        part: "apparmor",
        apply,
        revision: args.revision,
        remove: combine([args.operationMode ?? "managed"], (mode) => appArmorRemoveArguments(desired, profiles, checkedOperationMode(modeField, mode))),
        connection: args.connection,
        become: args.become ?? false,
        connectionSharing: args.connectionSharing ?? false,
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.result = result;
    // The result is in the command's own state (its stdout); registered here too, it would
    // be stored twice, and serialized once more per part on every run.
    this.registerOutputs({});
  }
}
