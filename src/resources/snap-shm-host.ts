/** Every snap that should have a private /dev/shm on one host. */
import * as pulumi from "@pulumi/pulumi";
import { failIf, inContext, InputError } from "../model/input-error";
import { checkConnectionSharing, checkHostConnection, HostConnectionArgs, warnWithoutHostKey } from "./connection";
import { checkRequestedMode, RequestedMode } from "../model/operation-mode";
import { requireArgs, requireArray, requireInstanceOf, requireObject } from "./arg-types";
import { probeArguments } from "../render/part-arguments";
import { HostReach, silentHostWait } from "../model/rollout";
import { hostReach } from "../render/host-probe";
import { probeHost } from "./host-probe";
import { operatorMachineProblem } from "./operator-machine";
import { PrivateShm, PrivateShmSummary } from "./private-shm";
import { GatedHostArgs, ROLLOUT_GATE } from "./rollout-gate";
import { SnapSharedMemory } from "./snap-shared-memory";

/** A snap on a host, with what to do on removal. */
/** One snap on a host, with its per-host settings. */
export interface HostSnapArgs {
  /** The snap's shared-memory configuration. */
  snap: SnapSharedMemory;
  /** On removal, delete the private directory even when it holds segments. Default false. */
  purge?: boolean;
  /** `auto` (default), `managed` or `native`: see `PrivateShmArgs.mode`. */
  mode?: RequestedMode;
  /**
   * Repair on the host, through systemd, whenever snapd undoes the work (see
   * `PrivateShmArgs.selfHeal`). Default true; false installs nothing and removes what an
   * earlier run installed.
   */
  selfHeal?: boolean;
}

/** The arguments of `SnapShmHost`. */
export interface SnapShmHostArgs {
  /** How to reach the host; keys and passwords only here. */
  connection: HostConnectionArgs;
  /** Run the operations through `sudo -n` (the SSH user is not root). Default false. */
  become?: boolean;
  /** The snaps to give a private /dev/shm (a configuration alone means `purge: false`). */
  snaps: Array<SnapSharedMemory | HostSnapArgs>;
  /**
   * Probe the host on every preview and update (one SSH connection, through
   * `local.runOutput` with the OpenSSH client), so a part that drifted shows as an update
   * and `up` repairs it. Default true.
   */
  driftDetection?: boolean;
  /**
   * Run every part's operation over one SSH connection to the host, OpenSSH's connection
   * sharing: the drift probe's ssh opens it and keeps it open in the background (its socket
   * in `~/.snap-shm`, a folder of the user running Pulumi, mode 0700) for 60 s after its last
   * use, and each part is a `local.Command` whose ssh runs its operation as one more session
   * over it, where by default each part is a `remote.Command` with a connection of its own.
   * A part that finds no connection open (drift detection off, a host taken out of the
   * program) opens it itself, with the credentials it gets in its environment (a secret),
   * through the bastion (`connection.proxy`) with the bastion's, for a host behind one.
   *
   * Switching it for a host already applied changes the type of its parts' commands: the
   * engine applies the new commands and then deletes the old ones, whose removals leave the
   * parts in place (the host records which kind of command applied each part last). Commands
   * stored by an earlier snap-shm lack that check: run `pulumi up` once after upgrading,
   * before switching. Default false.
   */
  connectionSharing?: boolean;
}

/** A host's summary: one entry per snap instance. */
export type HostSummary = Record<string, PrivateShmSummary>;

/** A host's snaps as entries, checked as `SnapShmHost` checks them; `context` names the host in errors. */
export function checkHostArgs(context: string, args: SnapShmHostArgs): HostSnapArgs[] {
  requireArgs(context, args);
  inContext(context, () => checkHostConnection(args.connection, "connection"));
  checkConnectionSharing(context, args.connectionSharing);
  requireArray(`${context}snaps`, args.snaps, "SnapSharedMemory or { snap, purge, mode, selfHeal }");
  const snaps = args.snaps.map((entry, i): HostSnapArgs => {
    if (entry instanceof SnapSharedMemory) return { snap: entry };
    requireObject(`${context}snaps[${i}]`, entry, "a SnapSharedMemory or { snap, purge, mode, selfHeal }");
    requireInstanceOf(`${context}snaps[${i}].snap`, entry.snap, SnapSharedMemory, "a SnapSharedMemory");
    checkRequestedMode(`${context}snaps[${i}].mode`, entry.mode);
    return entry;
  });
  if (args.driftDetection !== false && snaps.length > 0) failIf(`${context}driftDetection`, args.driftDetection ?? true, operatorMachineProblem("driftDetection"));
  const seen = new Set<string>();
  snaps.forEach(({ snap }, i) => {
    if (seen.has(snap.instance)) {
      throw new InputError(`${context}snaps[${i}]`, snap.instance, `snap instance ${JSON.stringify(snap.instance)} is listed twice for this host`);
    }
    seen.add(snap.instance);
  });
  return snaps;
}

/** One `PrivateShm` per snap, named `<host>-<instance>`, on one host. */
export class SnapShmHost extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:SnapShmHost";

  /** Each snap's component, by instance. */
  readonly instances: Record<string, PrivateShm>;
  /** Per snap instance: what the last run found and changed. */
  readonly summary: pulumi.Output<HostSummary>;
  /**
   * What the drift probe found of the host: `reached`, `unreachable` (SSH failed, or sudo
   * refused), `silent` (its sshd accepted the connection and never answered: none of its
   * parts is applied), or `unprobed` (drift detection off).
   */
  readonly reach: pulumi.Output<HostReach>;
  /** Whether the drift probe reached the host; undefined when drift detection is off. */
  readonly reachable: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: SnapShmHostArgs, opts?: pulumi.ComponentResourceOptions) {
    const snaps = checkHostArgs(`SnapShmHost "${name}" args.`, args);
    super(SnapShmHost.TYPE, name, {}, opts);
    warnWithoutHostKey(args.connection, this, `host ${name}`);
    const probe =
      args.driftDetection === false || snaps.length === 0
        ? undefined
        : probeHost(
            args.connection,
            snaps.map(({ snap, mode, selfHeal }) =>
              probeArguments(snap.desired, snap.profiles, snap.snapdVersion !== undefined ? snap.desired.ruleGeneration : "auto", mode ?? "auto", selfHeal !== false),
            ),
            args.become ?? false,
            args.connectionSharing ?? false,
            // What the host waits for (a machine still being made, a user being added) comes first.
            { parent: this, dependsOn: opts?.dependsOn },
          );
    // The warning sits in the chain every part's revision comes from, so it is always said.
    const reported = probe?.apply((report) => {
      if (hostReach(report) === "unreachable") void pulumi.log.warn(`host ${name}: the drift probe failed (${report.error}); its parts will be applied again`, this);
      return report;
    });
    this.reach = reported ? reported.apply(hostReach) : pulumi.output<HostReach>("unprobed");
    // The provider's SSH client bounds only the TCP connect: the operations of a host whose
    // sshd never answers would wait for it without end (over a shared connection, each for
    // its connect timeout), so they never register. (A reach still unknown in a preview,
    // with an address not known yet, waits for nothing.)
    const answered = reported
      ? this.reach.apply((reach): pulumi.Resource[] => {
          if (reach === "silent") throw new Error(silentHostError(name, args.connectionSharing === true));
          return [];
        })
      : undefined;
    this.instances = {};
    for (const { snap, purge, mode, selfHeal } of snaps) {
      this.instances[snap.instance] = new PrivateShm(
        `${name}-${snap.instance}`,
        { snap, connection: args.connection, become: args.become, connectionSharing: args.connectionSharing, purge, mode, selfHeal, probe: reported },
        // Children wait for what the host waits for, and for a rollout's previous batch.
        { parent: this, dependsOn: waitingFor(answered, (args as GatedHostArgs)[ROLLOUT_GATE], opts?.dependsOn) },
      );
    }
    this.reachable = this.reach.apply((reach) => (reach === "unprobed" ? undefined : reach === "reached"));
    this.summary = pulumi
      .all(Object.values(this.instances).map((instance) => instance.summary))
      .apply((summaries) => Object.fromEntries(summaries.map((summary) => [summary.instance, summary])));
    this.registerOutputs({ summary: this.summary });
  }
}

/** Why a silent host's parts are not applied. */
function silentHostError(host: string, connectionSharing: boolean): string {
  return (
    `host ${host}: its sshd accepted the SSH connection and never answered (the drift probe timed out in the banner exchange), so none of its parts is applied: ` +
    `${silentHostWait(connectionSharing)}; restart its sshd, or take the host out of the program`
  );
}

/**
 * A `dependsOn` waiting for every one of `inputs` that is given: resources, or Promises and
 * Outputs of resources or of lists of them (the SDK takes each as it comes; an Output that
 * fails refuses the registration, and one unknown in a preview waits for nothing).
 */
function waitingFor(...inputs: unknown[]): pulumi.ResourceOptions["dependsOn"] {
  return inputs.filter((input) => input !== undefined) as pulumi.Input<pulumi.Resource>[];
}
