/** The command that carries one host operation (a `remote.Command`, or a `local.Command` over the host's shared connection), with the options every part shares. */
import * as pulumi from "@pulumi/pulumi";
import { local, remote } from "@pulumi/command";
import { desiredState, DesiredState, DesiredStateOptions } from "../model/desired-state";
import { failIf, inContext, InputError } from "../model/input-error";
import { checkMode, OPERATION_MODES, OperationMode } from "../model/operation-mode";
import { RuleGenerationChoice } from "../model/snapd-version";
import { HostArguments, hostCommandLine, HostPart, hostScript } from "../render/host-command";
import { requireArgs, requireInstanceNames } from "./arg-types";
import { checkConnectionSharing, checkHostConnection, HostConnectionArgs, hostIdentity } from "./connection";
import { combine } from "./combine";
import { OperationResult, parseOperationResult } from "../render/operation-result";
import { SharedSshHop, sharedSshCommandLine } from "../render/ssh-command";
import { sharedSshEnvironment } from "./shared-connection";

/** What every part needs: which instance, on which host, as whom. */
export interface PrivateShmPartArgs {
  /** The snap instance (`NAME` or `NAME_KEY`), checked with snapd's rules. */
  instance: string;
  /** How to reach the host. */
  connection: HostConnectionArgs;
  /** Run the operations through `sudo -n` (the SSH user is not root). Default false. */
  become?: boolean;
  /**
   * Who does the work: snap-shm (`managed`, the default) or snapd itself (`native`, for a
   * snap that declares a private shared-memory plug on a snapd that has private mode).
   */
  operationMode?: pulumi.Input<OperationMode>;
  /**
   * The revision the apply records on the host. Drift-aware hosts set it from their probe:
   * the recorded one while the part is in sync, the next one when it drifted, so a drifted
   * part is applied again (an update, never a replacement) and a repaired one is left alone.
   */
  revision?: pulumi.Input<number | undefined>;
  /**
   * Run the operation over the host's shared SSH connection (see
   * `SnapShmHostArgs.connectionSharing`): a `local.Command` running OpenSSH's client, where
   * the default is a `remote.Command`. Default false.
   */
  connectionSharing?: boolean;
}

/**
 * Every part's checks, made before it registers: the arguments' types, the instance (and,
 * `withProfiles`, its apps and hooks) with snapd's rules, the connection, and a plain
 * operation mode. Returns the instance's desired state.
 */
export function checkPartArgs(context: string, args: PrivateShmPartArgs & DesiredStateOptions, withProfiles: boolean): DesiredState {
  requireArgs(context, args);
  const state = inContext(context, () => {
    requireInstanceNames(args, withProfiles);
    return withProfiles ? desiredState(args.instance, args) : desiredState(args.instance);
  });
  inContext(context, () => checkHostConnection(args.connection, "connection"));
  checkConnectionSharing(context, args.connectionSharing);
  checkIfPlain(args.operationMode, (mode) => checkedOperationMode(`${context}operationMode`, mode));
  return state;
}

/**
 * Checks `input` now when it is a plain value, so that a bad one is refused before the
 * component registers. An Output or a Promise is checked by the same `check` where its value
 * is used, once known: its command then fails to register, with the error.
 */
export function checkIfPlain<T>(input: pulumi.Input<T> | undefined, check: (value: T) => unknown): void {
  // Absent (undefined, or null from plain JavaScript) takes the default, as `??` gives it.
  if (input === undefined || input === null || pulumi.Output.isInstance(input) || input instanceof Promise) return;
  check(input as T);
}

/** An operation mode given as an Input, checked once its value is known; `field` names it in the error. */
export function checkedOperationMode(field: string, mode: OperationMode): OperationMode {
  failIf(field, mode, checkMode(mode, OPERATION_MODES));
  return mode;
}

/** A rule generation given as an Input, checked once its value is known; `field` names it in the error. */
export function checkedRuleGeneration(field: string, generation: string): RuleGenerationChoice {
  if (generation !== "recursive" && generation !== "single-level" && generation !== "auto") {
    throw new InputError(field, generation, `invalid rule generation ${JSON.stringify(generation)}: expected "recursive", "single-level" or "auto"`);
  }
  return generation;
}

export interface PartCommandArgs {
  part: HostPart;
  /** Arguments of the apply operation, run on create and update. */
  apply: pulumi.Input<HostArguments>;
  /** The revision line added to `apply`'s arguments (see `PrivateShmPartArgs.revision`). */
  revision?: pulumi.Input<number | undefined>;
  /** Arguments of `remove`, run on delete; none for a part with nothing to undo. */
  remove?: pulumi.Input<HostArguments>;
  connection: HostConnectionArgs;
  become: boolean;
  /** A `local.Command` over the host's shared connection instead of a `remote.Command`. */
  connectionSharing: boolean;
}

export interface PartCommand {
  command: remote.Command | local.Command;
  /** The result line of the last create or update. */
  result: pulumi.Output<OperationResult>;
}

/**
 * create runs the apply operation (update runs create again, with the new inputs); delete
 * runs remove with the stored inputs. A change of host or port replaces the part, removing
 * it first, since create and delete undo each other.
 */
export function partCommand(name: string, args: PartCommandArgs, opts: pulumi.CustomResourceOptions): PartCommand {
  // The kind of command goes on the host with the part (see lib.sh's record): the removal of
  // a command of the other kind, left over from a switch, then leaves the part alone.
  const via: HostArguments = args.connectionSharing ? { via: "shared" } : {};
  // What runs the remote command line: the provider itself, or the shared connection's ssh.
  const run: pulumi.Input<(line: string) => string> = args.connectionSharing ? overSharedConnection(args.connection) : (line: string) => line;
  const create = combine([args.apply, args.revision, run], (apply: HostArguments, revision: number | undefined, wrap: (line: string) => string) =>
    wrap(hostCommandLine(args.part, "apply", { ...apply, ...(revision === undefined ? {} : { revision: String(revision) }), ...via }, args.become)),
  );
  const remove =
    args.remove === undefined
      ? undefined
      : combine([args.remove, run], (remove: HostArguments, wrap: (line: string) => string) => wrap(hostCommandLine(args.part, "remove", { ...remove, ...via }, args.become)));
  const common = { create, delete: remove, stdin: hostScript(args.part), triggers: hostIdentity(args.connection), addPreviousOutputInEnv: false };
  const options = { ...opts, deleteBeforeReplace: true };
  const command = args.connectionSharing
    ? new local.Command(name, { ...common, environment: sharedSshEnvironment(args.connection) }, options)
    : new remote.Command(name, { ...common, connection: args.connection }, options);
  return { command, result: command.stdout.apply(parseOperationResult) };
}

/** What turns a remote command line into the local one that runs it over the host's shared connection. */
function overSharedConnection(connection: HostConnectionArgs): pulumi.Input<(line: string) => string> {
  return combine(
    [connection.host, connection.port, connection.user, connection.perDialTimeout, connection.dialErrorLimit, bastionHop(connection.proxy)],
    (host: string, port: number | undefined, user: string | undefined, perDialTimeout: number | undefined, dialErrorLimit: number | undefined, proxy: SharedSshHop | undefined) =>
      (line: string) =>
        sharedSshCommandLine({ host, port, user, perDialTimeout, dialErrorLimit, proxy }, line),
  );
}

/**
 * A bastion's address, user and dial limits, for the command line. They are no secret: a
 * bastion given whole as an Output, secret for its key, gives them unsecret, as the probe's
 * command line does.
 */
function bastionHop(proxy: HostConnectionArgs["proxy"]): pulumi.Input<SharedSshHop | undefined> {
  if (proxy === undefined || proxy === null) return undefined;
  const hop = (host: string, port: number | undefined, user: string | undefined, perDialTimeout: number | undefined, dialErrorLimit: number | undefined): SharedSshHop => ({
    host,
    port,
    user,
    perDialTimeout,
    dialErrorLimit,
  });
  if (pulumi.Output.isInstance(proxy) || proxy instanceof Promise) {
    return pulumi.unsecret(pulumi.output(proxy).apply((p) => hop(p.host, p.port, p.user, p.perDialTimeout, p.dialErrorLimit)));
  }
  return combine([proxy.host, proxy.port, proxy.user, proxy.perDialTimeout, proxy.dialErrorLimit], hop);
}
