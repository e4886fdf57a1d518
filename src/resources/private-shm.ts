/** One snap's private /dev/shm on one host: the parts, wired in order. */
import * as pulumi from "@pulumi/pulumi";
import { inContext } from "../model/input-error";
import { RuleGeneration } from "../model/snapd-version";
import { prerequisitesArguments } from "../render/part-arguments";
import { checkHostConnection, HostConnectionArgs } from "./connection";
import { OperationResult } from "../render/operation-result";
import { partCommand } from "./part-command";
import { decideOperationMode, ModeDecision, OperationMode, RequestedMode } from "../model/operation-mode";
import { HostProbeReport, modeFacts, probedPart, ProbedPart } from "../render/host-probe";
import { PrivateShmAppArmor } from "./private-shm-apparmor";
import { PrivateShmBindMount } from "./private-shm-bind-mount";
import { PrivateShmDirectory } from "./private-shm-directory";
import { SnapSharedMemory } from "./snap-shared-memory";

export interface PrivateShmArgs {
  /** The snap's shared-memory configuration. */
  snap: SnapSharedMemory;
  /** How to reach the host. */
  connection: HostConnectionArgs;
  /** Run the operations through `sudo -n` (the SSH user is not root). Default false. */
  become?: boolean;
  /** On delete, remove the private directory even when it holds segments. Default false. */
  purge?: boolean;
  /**
   * Who does the work on this host: `managed` (snap-shm writes snapd's artifacts itself),
   * `native` (snapd does, snap-shm connects the plug, checks and repairs), or `auto` (native
   * where the installed snap declares a valid private shared-memory plug, found by the
   * probe; managed otherwise). Default `auto`.
   */
  mode?: RequestedMode;
  /**
   * The host's drift probe (from `SnapShmHost`): a part that differs on the host gets the
   * next revision, so the preview shows it as an update and `up` applies it again.
   */
  probe?: pulumi.Output<HostProbeReport>;
}

/** What one snap's private /dev/shm looks like on one host after the last run. */
export interface PrivateShmSummary {
  instance: string;
  /** The mode the parts run in, and why. */
  mode: OperationMode;
  modeReason: string;
  /** The prerequisite check's findings: snapd version, rule generation, AppArmor, namespace. */
  host: Record<string, unknown>;
  /** Each part's changes, in the order they were applied. */
  changed: string[];
  notes: string[];
}

/**
 * Prerequisites → private directory → AppArmor rules → bind mount, each waiting for the one
 * before; Pulumi removes them in the reverse order. Without a `snapdVersion` on the snap,
 * the rule text follows the snapd the prerequisite check finds on the host.
 */
export class PrivateShm extends pulumi.ComponentResource {
  static readonly TYPE = "snap-shm:index:PrivateShm";

  readonly prerequisites: pulumi.Output<OperationResult>;
  readonly directory: PrivateShmDirectory;
  readonly appArmor: PrivateShmAppArmor;
  readonly mount: PrivateShmBindMount;
  readonly summary: pulumi.Output<PrivateShmSummary>;
  /** The mode the parts run in on this host, and why. */
  readonly modeDecision: pulumi.Output<ModeDecision>;

  constructor(name: string, args: PrivateShmArgs, opts?: pulumi.ComponentResourceOptions) {
    inContext(`PrivateShm "${name}" args.`, () => checkHostConnection(args.connection, "connection"));
    super(PrivateShm.TYPE, name, {}, opts);
    const { snap, connection } = args;
    const become = args.become ?? false;
    const instance = snap.instance;
    const prerequisites = partCommand(
      `${name}-prerequisites`,
      { part: "prerequisites", apply: prerequisitesArguments(snap.desired, snap.profiles), connection, become },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.prerequisites = prerequisites.result;
    const ruleGeneration: pulumi.Input<RuleGeneration> =
      snap.snapdVersion !== undefined
        ? snap.desired.ruleGeneration
        : prerequisites.result.apply((r) => (r.found.ruleGeneration === "single-level" ? "single-level" : "recursive"));
    const requested = args.mode ?? "auto";
    const decision: pulumi.Output<ModeDecision> = args.probe
      ? args.probe.apply((report) => decideOperationMode(requested, modeFacts(report, instance), snap.plugName))
      : pulumi.output(decideOperationMode(requested, undefined, snap.plugName));
    this.modeDecision = decision;
    const operationMode = decision.apply((d) => d.mode);
    const revision = (part: ProbedPart) => (args.probe ? revisionFromProbe(args.probe, decision, instance, part, name, this) : undefined);
    this.directory = new PrivateShmDirectory(
      `${name}-directory`,
      { instance, connection, become, purge: args.purge, operationMode, revision: revision("directory") },
      { parent: this, dependsOn: [prerequisites.command] },
    );
    this.appArmor = new PrivateShmAppArmor(
      `${name}-apparmor`,
      {
        instance,
        apps: snap.apps?.slice(),
        hooks: snap.hooks?.slice(),
        ruleGeneration,
        connection,
        become,
        operationMode,
        plug: decision.apply((d) => d.plug),
        revision: revision("apparmor"),
      },
      { parent: this, dependsOn: [this.directory] },
    );
    this.mount = new PrivateShmBindMount(
      `${name}-mount`,
      { instance, connection, become, operationMode, revision: revision("mount") },
      { parent: this, dependsOn: [this.appArmor] },
    );
    this.summary = pulumi
      .all([decision, prerequisites.result, this.directory.result, this.appArmor.result, this.mount.result])
      .apply(([chosen, pre, ...parts]): PrivateShmSummary => ({
        instance,
        mode: chosen.mode,
        modeReason: chosen.reason,
        host: pre.found as Record<string, unknown>,
        changed: parts.flatMap((part) => part.changed),
        notes: [pre, ...parts].flatMap((part) => part.notes),
      }));
    this.registerOutputs({ summary: this.summary });
  }
}

/**
 * A part's revision from the host's probe: the recorded one while the part is as it should
 * be, the next one when it differs (and a note saying what differs, for parts applied
 * before). Nothing when the probe could not run: the part is then applied again.
 */
function revisionFromProbe(
  probe: pulumi.Output<HostProbeReport>,
  decision: pulumi.Output<ModeDecision>,
  instance: string,
  part: ProbedPart,
  label: string,
  resource: pulumi.Resource,
): pulumi.Output<number | undefined> {
  return pulumi.all([probe, decision]).apply(([report, { mode }]) => {
    const found = probedPart(report, instance, mode, part);
    if (found === undefined) return undefined;
    if (found.inSync === true) return found.revision;
    if (found.revision > 0) {
      const what = found.differs?.length ? found.differs.join(", ") : (found.error ?? "unknown");
      void pulumi.log.warn(`${label}: the ${part} part differs on the host (${what}); up applies it again`, resource);
    }
    return found.revision + 1;
  });
}
