/**
 * Checks of the plain parts of an SSH connection (address, port, user, host key, limits).
 * Values that are not known yet (Pulumi outputs) pass; secrets are never looked at.
 */
import { isIP } from "node:net";
import { InputError } from "./input-error";

const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,30}\$?$/;
const HOST_KEY = /^(?:ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}(?: [A-Za-z0-9@._+=:-]*)?$/;

/** The connection fields that are checked; the rest (keys, passwords) pass untouched. */
export interface CheckedConnectionFields {
  host?: unknown;
  port?: unknown;
  user?: unknown;
  hostKey?: unknown;
  agentSocketPath?: unknown;
  dialErrorLimit?: unknown;
  perDialTimeout?: unknown;
  proxy?: unknown;
}

export function checkHostAddress(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  const labels = host.split(".");
  const valid = host.length <= 253 && labels.every((label) => HOSTNAME_LABEL.test(label));
  return valid ? undefined : `invalid host address ${JSON.stringify(host)}: expected a host name (RFC 1123) or an IP address`;
}

function integerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Whether a value looks like key material (a PEM block, or several lines) rather than a path
 * or a public key line: such a value is never echoed, since it may be a private key.
 */
export function looksLikeKeyMaterial(value: string): boolean {
  return value.includes("-----BEGIN") || /[\r\n]/.test(value.trim());
}

/** Throws an InputError naming `field` for the first plain value that breaks a rule. */
export function checkConnection(connection: CheckedConnectionFields, field: string): void {
  const [first] = connectionProblems(connection, field);
  if (first !== undefined) throw first;
}

/**
 * Every plain value that breaks a rule, as InputErrors naming `field`; none when all pass.
 * Without `hostRequired`, a missing host passes (settings that hosts inherit have none).
 */
export function connectionProblems(connection: CheckedConnectionFields, field: string, { hostRequired = true } = {}): InputError[] {
  const problems: InputError[] = [];
  const fail = (key: string, value: unknown, reason: string) => problems.push(new InputError(`${field}.${key}`, value, reason));
  const { host, port, user, hostKey, agentSocketPath, dialErrorLimit, perDialTimeout, proxy } = connection;
  if (hostRequired && (host === undefined || host === null || host === "")) fail("host", host, "a host address is required");
  if (typeof host === "string" && host !== "") {
    const reason = checkHostAddress(host);
    if (reason !== undefined) fail("host", host, reason);
  }
  if (port !== undefined && typeof port !== "object" && !integerIn(port, 1, 65535)) {
    fail("port", port, `invalid port ${JSON.stringify(port)}: expected a whole number from 1 to 65535`);
  }
  if (typeof user === "string" && !USER_NAME.test(user)) {
    fail("user", user, `invalid user name ${JSON.stringify(user)}: expected a POSIX user name such as "ops" or "root"`);
  }
  if (typeof hostKey === "string" && !HOST_KEY.test(hostKey.trim())) fail("hostKey", hostKey, hostKeyProblem(hostKey));
  if (typeof agentSocketPath === "string" && !/^\/[^\0\n]*$/.test(agentSocketPath)) {
    fail("agentSocketPath", agentSocketPath, `invalid agent socket path ${JSON.stringify(agentSocketPath)}: expected an absolute path`);
  }
  if (dialErrorLimit !== undefined && typeof dialErrorLimit !== "object" && !integerIn(dialErrorLimit, -1, 1_000_000)) {
    fail(
      "dialErrorLimit",
      dialErrorLimit,
      `invalid dialErrorLimit ${JSON.stringify(dialErrorLimit)}: expected -1 (no limit) or a whole number of attempts from 0 to 1000000`,
    );
  }
  if (perDialTimeout !== undefined && typeof perDialTimeout !== "object" && !integerIn(perDialTimeout, 1, 86_400)) {
    fail("perDialTimeout", perDialTimeout, `invalid perDialTimeout ${JSON.stringify(perDialTimeout)}: expected whole seconds from 1 to 86400 (a day)`);
  }
  if (proxy !== undefined && proxy !== null && typeof proxy === "object" && !isPulumiOutput(proxy)) {
    problems.push(...connectionProblems(proxy as CheckedConnectionFields, `${field}.proxy`));
  }
  return problems;
}

const EXPECTED_HOST_KEY = 'expected one OpenSSH public key line, such as "ssh-ed25519 AAAAC3Nza..."';

/**
 * Why a host key is refused. The public key is shown, a possible private key never. The line
 * `ssh-keyscan` prints starts with the host name, which does not belong in the key.
 */
function hostKeyProblem(hostKey: string): string {
  if (looksLikeKeyMaterial(hostKey)) return `invalid host key (not shown: it looks like a private key, which never goes here): ${EXPECTED_HOST_KEY}`;
  const fields = hostKey.trim().split(/\s+/);
  if (fields.length > 2 && HOST_KEY.test(fields.slice(1).join(" "))) {
    return `invalid host key ${JSON.stringify(hostKey)}: it starts with the host name ${JSON.stringify(fields[0])}, as ssh-keyscan prints it; give the key without it: ${JSON.stringify(fields.slice(1).join(" "))}`;
  }
  return `invalid host key ${JSON.stringify(hostKey)}: ${EXPECTED_HOST_KEY}`;
}

/** A Pulumi Output (not known yet) is checked by the provider, not here. */
function isPulumiOutput(value: object): boolean {
  return "apply" in value && typeof (value as { apply: unknown }).apply === "function";
}
