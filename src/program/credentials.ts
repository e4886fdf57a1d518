/**
 * Where the fleet program's SSH secrets come from: Pulumi secret config, a key file the
 * inventory names (read here, on the machine running Pulumi, and kept as a secret), or the
 * SSH agent. Never from the inventory's text.
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { identityFilePath, InventoryConnection, InventoryHost } from "../model/inventory";
import { HostConnectionArgs } from "../resources/connection";

export interface FleetCredentials {
  /** One private key for every host and proxy without an `identityFile` (secret config `privateKey`). */
  privateKey?: pulumi.Input<string>;
  /** The passphrase of the private keys (secret config `privateKeyPassword`). */
  privateKeyPassword?: pulumi.Input<string>;
  /** A password for SSH password authentication (secret config `password`). */
  password?: pulumi.Input<string>;
  /** The SSH agent's socket, used where no key is given (`SSH_AUTH_SOCK`). */
  agentSocketPath?: string;
  /** Where relative `identityFile` paths start: the inventory's folder. */
  baseDir: string;
}

/** The credentials from the project's config (namespace `snap-shm`) and the environment. */
export function credentialsFromConfig(baseDir: string, env: NodeJS.ProcessEnv = process.env): FleetCredentials {
  const config = new pulumi.Config("snap-shm");
  // Presence is read raw, so a secret is only ever taken as a secret.
  const has = (key: string) => {
    if (pulumi.runtime.getConfig(`snap-shm:${key}`) === undefined) return false;
    refuseInPlainText(key);
    return true;
  };
  return {
    ...(has("privateKey") ? { privateKey: config.requireSecret("privateKey") } : {}),
    ...(has("privateKeyPassword") ? { privateKeyPassword: config.requireSecret("privateKeyPassword") } : {}),
    ...(has("password") ? { password: config.requireSecret("password") } : {}),
    ...(env.SSH_AUTH_SOCK ? { agentSocketPath: env.SSH_AUTH_SOCK } : {}),
    baseDir,
  };
}

/** How each secret is set encrypted. */
const SET_SECRET: Record<string, string> = {
  privateKey: "pulumi config set --secret snap-shm:privateKey < KEYFILE",
  privateKeyPassword: "pulumi config set --secret snap-shm:privateKeyPassword",
  password: "pulumi config set --secret snap-shm:password",
};

/**
 * Refuses a secret set without `--secret`: it sits in plain text in Pulumi.<stack>.yaml, and
 * taking it would make that look fine. The engine names secret keys in the config's secret
 * key list (`isConfigSecret`, not in the SDK's typings). The error never holds the value.
 */
function refuseInPlainText(key: string): void {
  const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;
  if (isConfigSecret(`snap-shm:${key}`)) return;
  throw new Error(
    `snap-shm:${key} is set in plain text in the stack config (Pulumi.${pulumi.getStack()}.yaml): a secret must be encrypted; ` +
      `set it again with \`${SET_SECRET[key]}\`, which replaces the plain value (and treat the old value as exposed wherever that file went)`,
  );
}

/**
 * The connection of an inventory host (or proxy) with its secrets. Throws, naming the host,
 * when there is no way to authenticate or a key file cannot be read.
 */
export function connectionFor(host: InventoryHost, credentials: FleetCredentials): HostConnectionArgs {
  return withSecrets(host.connection, credentials, `host "${host.name}"`);
}

function withSecrets(connection: InventoryConnection, credentials: FleetCredentials, label: string): HostConnectionArgs {
  const key = connection.identityFile !== undefined ? readKey(connection.identityFile, credentials.baseDir, label) : credentials.privateKey;
  if (key === undefined && credentials.agentSocketPath === undefined && credentials.password === undefined) {
    throw new Error(
      `${label}: no way to log in: give a key with \`pulumi config set --secret snap-shm:privateKey < KEYFILE\`, an identityFile in the inventory, ` +
        "a password with `pulumi config set --secret snap-shm:password`, or run with an SSH agent (SSH_AUTH_SOCK)",
    );
  }
  return {
    host: connection.address,
    ...(connection.port !== undefined ? { port: connection.port } : {}),
    ...(connection.user !== undefined ? { user: connection.user } : {}),
    ...(connection.hostKey !== undefined ? { hostKey: connection.hostKey } : {}),
    ...(connection.dialErrorLimit !== undefined ? { dialErrorLimit: connection.dialErrorLimit } : {}),
    ...(connection.perDialTimeout !== undefined ? { perDialTimeout: connection.perDialTimeout } : {}),
    ...(key !== undefined ? { privateKey: pulumi.secret(key) } : { agentSocketPath: credentials.agentSocketPath }),
    ...(key !== undefined && credentials.privateKeyPassword !== undefined ? { privateKeyPassword: pulumi.secret(credentials.privateKeyPassword) } : {}),
    ...(credentials.password !== undefined ? { password: pulumi.secret(credentials.password) } : {}),
    ...(connection.proxy ? { proxy: withSecrets(connection.proxy, credentials, `${label} proxy`) } : {}),
  };
}

function readKey(path: string, baseDir: string, label: string): pulumi.Output<string> {
  const full = identityFilePath(path, baseDir);
  try {
    return pulumi.secret(readFileSync(full, "utf8"));
  } catch (error) {
    throw new Error(`${label}: cannot read identityFile ${JSON.stringify(full)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
