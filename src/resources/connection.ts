/** The SSH connection of a host, as @pulumi/command takes it, checked before use. */
import * as pulumi from "@pulumi/pulumi";
import { types } from "@pulumi/command";
import { checkConnection } from "../model/connection";
import { InputError } from "../model/input-error";
import { requireObject } from "./arg-types";
import { operatorMachineProblem } from "./operator-machine";
import { sharedSocketPathProblem } from "./shared-connection";

/**
 * How to reach a host: @pulumi/command's `remote.ConnectionArgs` (host, port, user,
 * privateKey, privateKeyPassword, password, agentSocketPath, hostKey, dialErrorLimit,
 * perDialTimeout, proxy). Keys and passwords belong here and nowhere else: the connection is
 * stored as a secret, and snap-shm never copies them into commands or outputs.
 */
export type HostConnectionArgs = types.input.remote.ConnectionArgs;

/** Checks the plain fields of a connection; `field` names it in errors. */
export function checkHostConnection(connection: HostConnectionArgs, field: string): void {
  requireObject(field, connection, 'a connection such as { host: "10.0.0.5", user: "ops", hostKey: "ssh-ed25519 AAAA..." }');
  checkConnection(connection, field);
}

/**
 * Checks `connectionSharing` (at `context` + "connectionSharing"): a boolean, and, when on,
 * a machine that can run it, with socket paths that fit (the shared connection is OpenSSH's,
 * opened by the host's probe, its socket in the home folder).
 */
export function checkConnectionSharing(context: string, sharing: unknown): void {
  if (sharing === undefined || sharing === null) return;
  if (typeof sharing !== "boolean") throw new InputError(`${context}connectionSharing`, sharing, "connectionSharing must be true or false");
  const problem = sharing ? (operatorMachineProblem("connectionSharing") ?? sharedSocketPathProblem()) : undefined;
  if (problem !== undefined) throw new InputError(`${context}connectionSharing`, sharing, problem);
}

/** Warns, once per host, that without `hostKey` the provider does not check the host's identity. */
export function warnWithoutHostKey(connection: HostConnectionArgs, resource: pulumi.Resource, label: string): void {
  if (connection.hostKey === undefined || connection.hostKey === "") {
    pulumi.log.warn(
      `${label}: no hostKey is given, so the SSH host key of ${describeHost(connection)} is not checked at all; set connection.hostKey to the host's public key line`,
      resource,
    );
  }
}

function describeHost(connection: HostConnectionArgs): string {
  return typeof connection.host === "string" ? connection.host : "the host";
}

/** The values whose change means another host: a change replaces a part instead of updating it. */
export function hostIdentity(connection: HostConnectionArgs): pulumi.Input<unknown>[] {
  return [connection.host, connection.port ?? 22];
}
