/** Self-heal on the host: the instance's repair, run by systemd whenever snapd rewrites its files. */
import * as pulumi from "@pulumi/pulumi";
import { RuleGenerationChoice } from "../model/snapd-version";
import { profileList, selfHealArguments, selfHealRemoveArguments } from "../render/part-arguments";
import { OperationResult } from "../render/operation-result";
import { combine } from "./combine";
import { checkedOperationMode, checkedRuleGeneration, checkIfPlain, checkPartArgs, partCommand, PrivateShmPartArgs } from "./part-command";

/** The arguments of `PrivateShmSelfHeal`. */
export interface PrivateShmSelfHealArgs extends PrivateShmPartArgs {
  /** Apps whose profiles the heal keeps the rule in; omit with `hooks` for every app and hook profile. */
  apps?: string[];
  /** Hooks whose profiles the heal keeps the rule in. */
  hooks?: string[];
  /**
   * The rule the heal writes: `single-level` (`"/dev/shm/*"`, snapd before 2.60.2),
   * `recursive` (`"/dev/shm/**"`), or `auto`: the one for the snapd the heal runs under.
   * Default `recursive`. The same as the AppArmor part's.
   */
  ruleGeneration?: pulumi.Input<RuleGenerationChoice>;
}

/**
 * Installs on the host, with names snap-shm owns: the heal script
 * `/var/lib/snap-shm/I/heal.sh` (the directory, AppArmor and mount applies, the parts'
 * arguments baked in, so a change of inputs updates it), `snap-shm-heal-I.path` watching
 * snapd's mount profile and the instance's AppArmor profiles, and the oneshot
 * `snap-shm-heal-I.service` running the heal, at boot too; enabled and started where
 * systemd runs. A heal that finds the host in sync writes nothing; each repair is logged to
 * the journal and its time recorded for the drift probe. In native mode it installs nothing
 * (snapd keeps its own rules across its rewrites) and takes away what it had installed. On
 * delete, everything goes.
 */
export class PrivateShmSelfHeal extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:PrivateShmSelfHeal";

  /** What the last install found (systemd, whether self-heal is active, the last repair) and changed. */
  readonly result: pulumi.Output<OperationResult>;

  constructor(name: string, args: PrivateShmSelfHealArgs, opts?: pulumi.ComponentResourceOptions) {
    const context = `PrivateShmSelfHeal "${name}" args.`;
    const desired = checkPartArgs(context, args, true);
    const generationField = `${context}ruleGeneration`;
    checkIfPlain(args.ruleGeneration, (generation) => checkedRuleGeneration(generationField, generation));
    super(PrivateShmSelfHeal.TYPE, name, {}, opts);
    const profiles = profileList(desired, args.apps === undefined && args.hooks === undefined);
    const apply = combine([args.ruleGeneration ?? "recursive", args.operationMode ?? "managed"], (generation, mode) =>
      selfHealArguments(desired, profiles, checkedRuleGeneration(generationField, generation), checkedOperationMode(`${context}operationMode`, mode)),
    );
    const { result } = partCommand(
      `${name}-command`,
      {
        part: "self-heal",
        apply,
        revision: args.revision,
        remove: selfHealRemoveArguments(desired),
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
