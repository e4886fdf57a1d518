/**
 * The TCP relay the drift probe's ssh connects through (src/local/tcp-relay.pl says why),
 * where this machine can run it: checked once per process with `perl tcp-relay.pl --check`.
 * Without Perl the probe connects directly: the same result, about 60 ms later per host.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";

/** The relay script, shipped with the package. */
export const TCP_RELAY = join(__dirname, "..", "..", "src", "local", "tcp-relay.pl");

let relay: Promise<string[] | undefined> | undefined;

/** The relay's command line before its arguments; undefined when Perl cannot run it here. */
export function probeRelay(): Promise<string[] | undefined> {
  relay ??= new Promise((resolve) => {
    execFile("perl", [TCP_RELAY, "--check"], { timeout: 10_000 }, (error) => resolve(error ? undefined : ["perl", TCP_RELAY]));
  });
  return relay;
}
