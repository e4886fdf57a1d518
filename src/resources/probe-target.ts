/**
 * The drift probe's OpenSSH target for a connection (kept out of the package's API: it is
 * the probe's own way of reaching a host).
 */
import { knownHostsLine, SshTarget } from "../render/ssh-command";
import type { PlainConnection } from "./host-probe";
import { agentSocketFor, askpassHelper, knownHostsFile } from "./probe-credentials";
import { probeKeyExchanges } from "./probe-key-exchange";
import { probeRelay } from "./probe-relay";

/** The OpenSSH client's target for a connection, secrets moved to an agent or an askpass helper. */
export async function probeTarget(connection: PlainConnection): Promise<SshTarget> {
  // Each read once per process (the key once per key), all side by side.
  const [kexAlgorithms, relay, identityAgent] = await Promise.all([
    probeKeyExchanges(),
    probeRelay(),
    connection.privateKey ? agentSocketFor(connection.privateKey, connection.privateKeyPassword) : connection.agentSocketPath,
  ]);
  const target: SshTarget = {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    dialErrorLimit: connection.dialErrorLimit,
    perDialTimeout: connection.perDialTimeout,
    kexAlgorithms,
    relay,
    identityAgent,
  };
  if (connection.hostKey) target.knownHostsFile = knownHostsFile(knownHostsLine(connection.host, connection.port, connection.hostKey));
  if (connection.password !== undefined) target.askpass = askpassHelper(connection.password);
  if (connection.proxy) target.proxy = await probeTarget(connection.proxy);
  return target;
}
