/** One snap's private /dev/shm on one host: the parts, wired in order. */
import * as pulumi from "@pulumi/pulumi";
import { inContext } from "../model/input-error";
import { RuleGenerationChoice } from "../model/snapd-version";
import { checkConnectionSharing, checkHostConnection, HostConnectionArgs } from "./connection";
import { OperationResult } from "../render/operation-result";
import { combine } from "./combine";
import { checkRequestedMode, decideOperationMode, ModeDecision, OperationMode, RequestedMode } from "../model/operation-mode";
import { requireArgs, requireInstanceOf } from "./arg-types";
import { HostProbeReport, modeFacts, probedPart, ProbedPart, SelfHealProbe, selfHealProbe } from "../render/host-probe";
import { PrivateShmAppArmor } from "./private-shm-apparmor";
import { PrivateShmBindMount } from "./private-shm-bind-mount";
import { PrivateShmDirectory } from "./private-shm-directory";
import { PrivateShmSelfHeal } from "./private-shm-self-heal";
import { SnapSharedMemory } from "./snap-shared-memory";

/** The arguments of `PrivateShm`: one snap on one host. */
export interface PrivateShmArgs {
  /** The snap's shared-memory configuration. */
  snap: SnapSharedMemory;
  /** How to reach the host. */
  connection: HostConnectionArgs;
  /** Run the operations through `sudo -n` (the SSH user is not root). Default false. */
  become?: boolean;
  /** Run every part over the host's one shared SSH connection: see `SnapShmHostArgs.connectionSharing`. Default false. */
  connectionSharing?: boolean;
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
   * Install self-heal on the host: systemd units that run the directory, AppArmor and mount
   * applies again whenever snapd rewrites the snap's profiles or mount profile (connect,
   * disconnect, refresh, disable/enable, a new system key), and once at boot, so the snap is
   * not left with the shared /dev/shm until the next `pulumi up`. Managed mode only (native
   * mode installs nothing); inactive on a host where systemd does not run. Default true.
   */
  selfHeal?: boolean;
  /**
   * The host's drift probe (from `SnapShmHost`): a part that differs on the host gets the
   * next revision, so the preview shows it as an update and `up` applies it again.
   */
  probe?: pulumi.Output<HostProbeReport>;
}

/** What one snap's private /dev/shm looks like on one host after the last run. */
export interface PrivateShmSummary {
  /** The snap instance. */
  instance: string;
  /** The mode the parts run in, and why. */
  mode: OperationMode;
  /** Why that mode, in a sentence. */
  modeReason: string;
  /** The prerequisite check's findings (run by the directory apply): snapd version, rule generation, AppArmor, namespace. */
  host: Record<string, unknown>;
  /** Each part's changes, in the order they were applied. */
  changed: string[];
  /** What the operations had to say (e.g. AppArmor not enabled on the host). */
  notes: string[];
  /** Self-heal on this host. */
  selfHeal: SelfHealSummary;
}

/** Self-heal on one host, for one snap: whether it watches, and how often it had to repair. */
export interface SelfHealSummary {
  /** Asked for (`selfHeal`, default true) and in managed mode. */
  enabled: boolean;
  /** Installed, enabled and watching, as the last install left it (false where systemd does not run). */
  active: boolean;
  /** When the heal last repaired what snapd undid (ISO 8601, UTC), as the drift probe read it; null when never. */
  lastSelfHeal: string | null;
  /** How many repairs since it was installed, as the drift probe read it. */
  repairs: number;
}

/**
 * Prerequisites → private directory → AppArmor rules → bind mount, each waiting for the one
 * before; Pulumi removes them in the reverse order. The prerequisite check runs first in the
 * directory's apply, in the same SSH connection. Without a `snapdVersion` on the snap,
 * the rule text follows the snapd found on the host each time an operation runs there.
 */
export class PrivateShm extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:PrivateShm";

  /** The private directory part. */
  readonly directory: PrivateShmDirectory;
  /** The AppArmor part. */
  readonly appArmor: PrivateShmAppArmor;
  /** The bind mount part. */
  readonly mount: PrivateShmBindMount;
  /** The self-heal part; undefined when `selfHeal` is false. */
  readonly selfHeal?: PrivateShmSelfHeal;
  /** What the last run found and changed, per part, with the mode. */
  readonly summary: pulumi.Output<PrivateShmSummary>;
  /** The mode the parts run in on this host, and why. */
  readonly modeDecision: pulumi.Output<ModeDecision>;

  constructor(name: string, args: PrivateShmArgs, opts?: pulumi.ComponentResourceOptions) {
    const context = `PrivateShm "${name}" args.`;
    requireArgs(context, args);
    requireInstanceOf(`${context}snap`, args.snap, SnapSharedMemory, "a SnapSharedMemory");
    inContext(context, () => checkHostConnection(args.connection, "connection"));
    checkConnectionSharing(context, args.connectionSharing);
    checkRequestedMode(`${context}mode`, args.mode);
    super(PrivateShm.TYPE, name, {}, opts);
    const { snap, connection } = args;
    const become = args.become ?? false;
    const connectionSharing = args.connectionSharing ?? false;
    const instance = snap.instance;
    // Without a version on the snap, each operation writes the rule of the snapd it finds on
    // the host when it runs: a snapd upgraded since the last apply gets its own rule.
    const ruleGeneration: RuleGenerationChoice = snap.snapdVersion !== undefined ? snap.desired.ruleGeneration : "auto";
    const requested = args.mode ?? "auto";
    const parts: ProbedPart[] = ["directory", "apparmor", "mount", ...(args.selfHeal !== false ? (["self-heal"] as const) : [])];
    // What the probe says about this snap, read from the report once: everything below
    // applies this one Output (a `pulumi.all` with the report would copy all of it per use).
    const probed = args.probe?.apply((report) => readProbe(report, requested, snap.plugName, instance, parts, name, this));
    const decision: pulumi.Output<ModeDecision> = probed
      ? probed.apply((found) => found.decision)
      : pulumi.output(decideOperationMode(requested, undefined, snap.plugName));
    this.modeDecision = decision;
    const operationMode = decision.apply((d) => d.mode);
    const revision = (part: ProbedPart) => probed?.apply((found) => found.revisions[part]);
    const apps = snap.apps?.slice();
    const hooks = snap.hooks?.slice();
    this.directory = new PrivateShmDirectory(
      `${name}-directory`,
      { instance, apps, hooks, connection, become, connectionSharing, purge: args.purge, operationMode, revision: revision("directory") },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    // The AppArmor part and the self-heal part work on the same profiles.
    const profileArgs = { instance, apps, hooks, ruleGeneration, connection, become, connectionSharing, operationMode };
    this.appArmor = new PrivateShmAppArmor(
      `${name}-apparmor`,
      { ...profileArgs, plug: decision.apply((d) => d.plug), revision: revision("apparmor") },
      { parent: this, dependsOn: [this.directory] },
    );
    this.mount = new PrivateShmBindMount(
      `${name}-mount`,
      { instance, connection, become, connectionSharing, operationMode, revision: revision("mount") },
      { parent: this, dependsOn: [this.appArmor] },
    );
    // Last, so it is removed first: a heal left running would put back what the removal of
    // the other parts takes away.
    if (args.selfHeal !== false) {
      this.selfHeal = new PrivateShmSelfHeal(
        `${name}-self-heal`,
        { ...profileArgs, revision: revision("self-heal") },
        { parent: this, dependsOn: [this.mount] },
      );
    }
    const results = [this.directory.result, this.appArmor.result, this.mount.result, ...(this.selfHeal ? [this.selfHeal.result] : [])];
    // The probe runs on every preview and update: it knows the latest repair, the part's own
    // result only what the last install saw.
    const probedHeal: pulumi.Input<SelfHealProbe | undefined> = probed?.apply((found) => found.selfHeal);
    // Always an Output: the decision is one.
    this.summary = combine([decision, probedHeal, ...results] as pulumi.Input<unknown>[], (...values): PrivateShmSummary => {
      const [chosen, heal, ...partResults] = values as [ModeDecision, SelfHealProbe | undefined, ...OperationResult[]];
      const healResult = this.selfHeal ? partResults[partResults.length - 1] : undefined;
      return {
        instance,
        mode: chosen.mode,
        modeReason: chosen.reason,
        host: partResults[0].host ?? {},
        changed: partResults.flatMap((part) => part.changed),
        notes: partResults.flatMap((part) => part.notes),
        selfHeal: {
          enabled: healResult !== undefined && chosen.mode === "managed",
          active: healResult?.found.active === true,
          lastSelfHeal: heal?.lastSelfHeal ?? (typeof healResult?.found.lastSelfHeal === "string" ? healResult.found.lastSelfHeal : null),
          repairs: heal?.repairs ?? (typeof healResult?.found.repairs === "number" ? healResult.found.repairs : 0),
        },
      };
    }) as pulumi.Output<PrivateShmSummary>;
    this.registerOutputs({ summary: this.summary });
  }
}

/** What the probe says about one snap: the mode, the revision of each part in use, self-heal. */
interface ProbedSnap {
  decision: ModeDecision;
  revisions: Partial<Record<ProbedPart, number>>;
  selfHeal: SelfHealProbe | undefined;
}

/**
 * Reads one snap from the host's probe. A part's revision is the recorded one while the part
 * is as it should be, the next one when it differs (with a warning saying what differs, for
 * parts applied before), and none when the probe could not run: the part is then applied again.
 * A part that differs with no revision on the host (a host reinstalled, its parts removed by
 * another program) gets a fresh one: the next of none, 1, could be the one stored with the
 * command, which would then not run.
 */
function readProbe(
  report: HostProbeReport,
  requested: RequestedMode,
  plugName: string,
  instance: string,
  parts: ProbedPart[],
  label: string,
  resource: pulumi.Resource,
): ProbedSnap {
  const decision = decideOperationMode(requested, modeFacts(report, instance), plugName);
  const revisions: Partial<Record<ProbedPart, number>> = {};
  for (const part of parts) {
    const found = probedPart(report, instance, decision.mode, part);
    if (found === undefined) continue;
    if (found.inSync !== true && found.revision > 0) {
      const what = found.differs?.length ? found.differs.join(", ") : (found.error ?? "unknown");
      void pulumi.log.warn(`${label}: the ${part} part differs on the host (${what}); up applies it again`, resource);
    }
    revisions[part] = found.inSync === true ? found.revision : found.revision > 0 ? found.revision + 1 : freshRevision();
  }
  return { decision, revisions, selfHeal: selfHealProbe(report, instance, decision.mode) };
}

/** A revision no earlier apply stored: the seconds since 1970. */
function freshRevision(): number {
  return Math.floor(Date.now() / 1000);
}
