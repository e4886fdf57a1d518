/** The shared-memory configuration of one snap, as snap-shm makes it private on hosts. */
import * as pulumi from "@pulumi/pulumi";
import { desiredState, DesiredState } from "../model/desired-state";
import { failIf, inContext } from "../model/input-error";
import { checkPrivatePlug } from "../model/shared-memory";
import { profileList } from "../render/part-arguments";
import { requireArgs, requireInstanceNames, requireObject, requireString } from "./arg-types";

/** The arguments of `SnapSharedMemory`: one snap's private shared-memory configuration. */
export interface SnapSharedMemoryArgs {
  /**
   * The snap instance: `NAME`, or `NAME_KEY` for a parallel instance. Checked with snapd's
   * rules (`invalid snap name: "..."`, `invalid instance key: "..."`).
   */
  instance: string;
  /**
   * Apps whose AppArmor profiles (`snap.I.<app>`) get the private-shm rule. Omit `apps` and
   * `hooks` to cover every app and hook profile snapd has for the instance on each host.
   */
  apps?: string[];
  /** Hooks whose AppArmor profiles (`snap.I.hook.<hook>`) get the rule. */
  hooks?: string[];
  /**
   * The shared-memory plug as the snap would declare it, checked as snapd checks a plug in
   * snap.yaml; it must come out `private: true`. Default: a plug named `shared-memory` with
   * `private: true`.
   */
  plug?: {
    /** The plug's name (snapd's plug naming rules). Default `shared-memory`. */
    name?: string;
    /** The plug's attributes. Default `{ private: true }`. */
    attributes?: Record<string, unknown>;
  };
  /**
   * The hosts' snapd version (e.g. `2.61.3`, or `2.57.6-1+deb12u1` as Debian reports it).
   * It decides the AppArmor rule: `"/dev/shm/*"` before 2.60.2, `"/dev/shm/**"` from it on.
   * Omit it to have each host's operations read it there each time they run (a snapd
   * upgraded since the last apply gets its own rule); a snapd before 2.55.3 has no private
   * shared memory and is refused.
   */
  snapdVersion?: string;
}

/**
 * A snap's private shared-memory configuration, validated with snapd's rules when it is
 * constructed, so a bad name or attribute fails the preview with snapd's message before any
 * resource exists. Hosts take it through `SnapShmHost`, `SnapShmFleet` or `PrivateShm`.
 */
export class SnapSharedMemory extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:SnapSharedMemory";

  /** The snap instance, checked with snapd's rules. */
  readonly instance: string;
  /** The apps whose profiles get the rule (undefined with `hooks`: every profile on the host). */
  readonly apps?: readonly string[];
  /** The hooks whose profiles get the rule. */
  readonly hooks?: readonly string[];
  /** The private plug's name (`shared-memory` unless configured). */
  readonly plugName: string;
  /** The snapd version the rules are written for; undefined: detected on each host. */
  readonly snapdVersion?: string;
  /** What snapd writes for this instance (with the newest rules when no version is given). */
  readonly desired: DesiredState;
  /** The AppArmor profiles the block goes into: explicit names, or `snap.I.*` for all of them. */
  readonly profiles: string;

  constructor(name: string, args: SnapSharedMemoryArgs, opts?: pulumi.ComponentResourceOptions) {
    const context = `SnapSharedMemory "${name}" args.`;
    requireArgs(context, args);
    const desired = inContext(context, () => {
      requireInstanceNames(args, true);
      if (args.snapdVersion !== undefined) requireString("snapdVersion", args.snapdVersion, 'a snapd version such as "2.61.3"');
      if (args.plug !== undefined) requireObject("plug", args.plug, "a plug such as { name, attributes }");
      return desiredState(args.instance, args);
    });
    const plugName = args.plug?.name ?? "shared-memory";
    inContext(context, () =>
      failIf("plug", args.plug, checkPrivatePlug(desired.snap, plugName, args.plug?.attributes ?? { private: true })),
    );
    super(SnapSharedMemory.TYPE, name, {}, opts);
    this.instance = args.instance;
    this.apps = args.apps;
    this.hooks = args.hooks;
    this.plugName = plugName;
    this.snapdVersion = args.snapdVersion;
    this.desired = desired;
    this.profiles = profileList(desired, args.apps === undefined && args.hooks === undefined);
    this.registerOutputs({ instance: this.instance, plugName, profiles: this.profiles, snapdVersion: args.snapdVersion ?? null });
  }
}
