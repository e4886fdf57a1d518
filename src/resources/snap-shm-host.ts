/** Every snap that should have a private /dev/shm on one host. */
import * as pulumi from "@pulumi/pulumi";
import { inContext, InputError } from "../model/input-error";
import { checkHostConnection, HostConnectionArgs, warnWithoutHostKey } from "./connection";
import { RequestedMode } from "../model/operation-mode";
import { probeArguments } from "../render/part-arguments";
import { probeHost } from "./host-probe";
import { PrivateShm, PrivateShmSummary } from "./private-shm";
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
}

/** A host's summary: one entry per snap instance. */
export type HostSummary = Record<string, PrivateShmSummary>;

/** One `PrivateShm` per snap, named `<host>-<instance>`, on one host. */
export class SnapShmHost extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:SnapShmHost";

  /** Each snap's component, by instance. */
  readonly instances: Record<string, PrivateShm>;
  /** Per snap instance: what the last run found and changed. */
  readonly summary: pulumi.Output<HostSummary>;
  /** Whether the drift probe reached the host; undefined when drift detection is off. */
  readonly reachable: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: SnapShmHostArgs, opts?: pulumi.ComponentResourceOptions) {
    const context = `SnapShmHost "${name}" args.`;
    inContext(context, () => checkHostConnection(args.connection, "connection"));
    const snaps = args.snaps.map((entry) => (entry instanceof SnapSharedMemory ? { snap: entry } : entry));
    const seen = new Set<string>();
    snaps.forEach(({ snap }, i) => {
      if (seen.has(snap.instance)) {
        throw new InputError(`${context}snaps[${i}]`, snap.instance, `snap instance ${JSON.stringify(snap.instance)} is listed twice for this host`);
      }
      seen.add(snap.instance);
    });
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
            { parent: this },
          );
    // The warning sits in the chain every part's revision comes from, so it is always said.
    const reported = probe?.apply((report) => {
      if (!report.ok) void pulumi.log.warn(probeFailedWarning(name, report.error), this);
      return report;
    });
    this.instances = {};
    for (const { snap, purge, mode, selfHeal } of snaps) {
      this.instances[snap.instance] = new PrivateShm(
        `${name}-${snap.instance}`,
        { snap, connection: args.connection, become: args.become, purge, mode, selfHeal, probe: reported },
        // Children wait for what the host waits for (a rollout's previous batch).
        { parent: this, dependsOn: opts?.dependsOn },
      );
    }
    this.reachable = reported ? reported.apply((report) => report.ok) : pulumi.output(undefined);
    this.summary = pulumi
      .all(Object.values(this.instances).map((instance) => instance.summary))
      .apply((summaries) => Object.fromEntries(summaries.map((summary) => [summary.instance, summary])));
    this.registerOutputs({ summary: this.summary });
  }
}

/**
 * What a failed probe means for the run. A host whose sshd accepts the connection and never
 * answers times the probe out in the banner exchange; the provider's SSH client bounds only
 * the TCP connect, so that host's operations would wait for it without end.
 */
function probeFailedWarning(host: string, error: string | undefined): string {
  const warning = `host ${host}: the drift probe failed (${error}); its parts will be applied again`;
  return /banner exchange/.test(error ?? "")
    ? `${warning}, but its sshd accepted the connection without answering, and the command provider's SSH client waits for an answer without limit: if it does not answer, its operations hold the run until it is cancelled`
    : warning;
}
