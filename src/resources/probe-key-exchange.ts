/**
 * The key exchanges the drift probe offers from this machine: the local OpenSSH client's
 * defaults, read once per process from `ssh -G`, with the command provider's preferences
 * first (see src/render/key-exchange.ts for why).
 */
import { execFile } from "node:child_process";
import { kexAlgorithmsOfSshConfig, probeKexAlgorithms } from "../render/key-exchange";

let keyExchanges: Promise<string[] | undefined> | undefined;

/** The probe's `KexAlgorithms` list; undefined (OpenSSH's own defaults) when ssh cannot say. */
export function probeKeyExchanges(): Promise<string[] | undefined> {
  keyExchanges ??= new Promise((resolve) => {
    // `-G` prints the configuration for a destination and connects nowhere; `-F /dev/null` as the probe's ssh.
    execFile("ssh", ["-G", "-F", "/dev/null", "snap-shm-probe"], { encoding: "utf8", timeout: 10_000 }, (error, stdout) => {
      const defaults = error ? undefined : kexAlgorithmsOfSshConfig(stdout);
      resolve(defaults && probeKexAlgorithms(defaults));
    });
  });
  return keyExchanges;
}
