/** The bind of /dev/shm/snap.I over /dev/shm inside snap instance I's mount namespace. */
import * as pulumi from "@pulumi/pulumi";
import { mountArguments } from "../render/part-arguments";
import { OperationResult } from "../render/operation-result";
import { combine } from "./combine";
import { checkedOperationMode, checkPartArgs, partCommand, PrivateShmPartArgs } from "./part-command";

/** The bind mount needs nothing beyond what every part takes. */
export type PrivateShmBindMountArgs = PrivateShmPartArgs;

/**
 * snapd's mount entry `/dev/shm/snap.I /dev/shm none bind,rw 0 0` exactly once in
 * `/var/lib/snapd/mount/snap.I.fstab`, and, where the snap has run and its namespace is
 * preserved, the live bind applied by snapd's own `snap-update-ns`. Never the host's
 * `/dev/shm`. On delete the entry goes (the file too when nothing else is left) and the bind
 * is undone; segments stay in the private directory.
 */
export class PrivateShmBindMount extends pulumi.ComponentResource {
  /** The Pulumi type token. */
  static readonly TYPE = "snap-shm:index:PrivateShmBindMount";

  /** What the last apply found (entry, namespace) and changed. */
  readonly result: pulumi.Output<OperationResult>;

  constructor(name: string, args: PrivateShmBindMountArgs, opts?: pulumi.ComponentResourceOptions) {
    const context = `PrivateShmBindMount "${name}" args.`;
    const state = checkPartArgs(context, args, false);
    super(PrivateShmBindMount.TYPE, name, {}, opts);
    const mountArgs = combine([args.operationMode ?? "managed"], (mode) => mountArguments(state, checkedOperationMode(`${context}operationMode`, mode)));
    const { result } = partCommand(
      `${name}-command`,
      { part: "mount", apply: mountArgs, revision: args.revision, remove: mountArgs, connection: args.connection, become: args.become ?? false, connectionSharing: args.connectionSharing ?? false },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.result = result;
    // The result is in the command's own state (its stdout); registered here too, it would
    // be stored twice, and serialized once more per part on every run.
    this.registerOutputs({});
  }
}
