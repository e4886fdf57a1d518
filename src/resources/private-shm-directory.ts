/** The private directory /dev/shm/snap.I on one host. */
import * as pulumi from "@pulumi/pulumi";
import { directoryApplyArguments, directoryRemoveArguments, profileList } from "../render/part-arguments";
import { OperationResult } from "../render/operation-result";
import { combine } from "./combine";
import { checkedOperationMode, checkPartArgs, partCommand, PrivateShmPartArgs } from "./part-command";

/** The arguments of `PrivateShmDirectory`. */
export interface PrivateShmDirectoryArgs extends PrivateShmPartArgs {
  /** Apps whose profiles the prerequisite check requires; omit with `hooks` for the snap's profiles, whichever they are. */
  apps?: string[];
  /** Hooks whose profiles the prerequisite check requires. */
  hooks?: string[];
  /**
   * On delete, remove the directory even when it holds shared-memory segments. Default
   * false: a directory with segments is kept and its entry count reported.
   */
  purge?: boolean;
}

/**
 * `/dev/shm/snap.I` as a directory with mode 01777 owned by root:root: created when
 * missing, repaired when its mode or owner is wrong (snapd's LP #1969777), refused when a
 * file or symlink stands there, and kept across reboots by `/etc/tmpfiles.d/snap-shm-I.conf`.
 * Its apply runs the host's prerequisite check first (the snap installed with the profiles
 * named, a snapd with private shared memory, `/dev/shm` not a symlink) and changes nothing
 * where it fails; `result.host` holds what the check found.
 */
export class PrivateShmDirectory extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:PrivateShmDirectory";

  /** What the last apply found and changed. */
  readonly result: pulumi.Output<OperationResult>;

  constructor(name: string, args: PrivateShmDirectoryArgs, opts?: pulumi.ComponentResourceOptions) {
    const context = `PrivateShmDirectory "${name}" args.`;
    const state = checkPartArgs(context, args, true);
    super(PrivateShmDirectory.TYPE, name, {}, opts);
    const mode = args.operationMode ?? "managed";
    const modeField = `${context}operationMode`;
    const profiles = profileList(state, args.apps === undefined && args.hooks === undefined);
    const { result } = partCommand(
      `${name}-command`,
      {
        part: "directory",
        apply: combine([mode], (m) => directoryApplyArguments(state, profiles, checkedOperationMode(modeField, m))),
        revision: args.revision,
        remove: combine([mode], (m) => directoryRemoveArguments(state, args.purge ?? false, checkedOperationMode(modeField, m))),
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
