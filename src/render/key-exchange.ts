/**
 * The key exchanges the drift probe's OpenSSH client offers. The parts' own connections are
 * made by the command provider's SSH client (golang.org/x/crypto/ssh), which prefers
 * mlkem768x25519-sha256 (newer versions) and then curve25519-sha256, and never offers
 * sntrup761x25519-sha512: against an OpenSSH 9.0 to 9.8 server, every operation that writes
 * to the host uses curve25519-sha256. OpenSSH's client prefers sntrup761x25519, which costs
 * the probe about 80 ms more per connection (measured in docs/benchmarks.md) without
 * protecting anything the provider's connections to the same host leave unprotected. So the
 * probe puts the provider's preferences first and keeps every other default of the local
 * client after them, in its order: it never offers an algorithm the client would not offer
 * by default, and still reaches a server that takes only sntrup761x25519.
 */

/** The command provider's preferred key exchanges, in its order. */
export const PROVIDER_KEX_PREFERENCE: readonly string[] = ["mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org"];

/** The client's default key exchanges reordered: the provider's preferences it has first, then the rest. */
export function probeKexAlgorithms(clientDefaults: readonly string[]): string[] {
  const first = PROVIDER_KEX_PREFERENCE.filter((name) => clientDefaults.includes(name));
  return [...first, ...clientDefaults.filter((name) => !first.includes(name))];
}

/** The `kexalgorithms` list in `ssh -G` output (the client's effective configuration); undefined when absent. */
export function kexAlgorithmsOfSshConfig(text: string): string[] | undefined {
  const line = text.split("\n").find((l) => l.startsWith("kexalgorithms "));
  const names = line?.slice("kexalgorithms ".length).trim().split(",").filter(Boolean);
  return names?.length ? names : undefined;
}
