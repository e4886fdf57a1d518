/** The drift probe's key exchanges: the command provider's preferences first, the client's other defaults after. */
import { strict as assert } from "node:assert";
import { kexAlgorithmsOfSshConfig, probeKexAlgorithms } from "../../src/render/key-exchange";
import { sshArguments } from "../../src/render/ssh-command";

/** `ssh -G`'s kexalgorithms of Debian 12's OpenSSH 9.2. */
const OPENSSH_9_2 = [
  "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256",
  "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
];

describe("probe key exchanges", () => {
  it("puts curve25519 ahead of sntrup761x25519 on OpenSSH 9.2, keeping every other default in its order", () => {
    assert.deepEqual(probeKexAlgorithms(OPENSSH_9_2), [
      "curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
      "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256",
      "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
    ]);
  });

  it("keeps mlkem768x25519 first where the client has it (OpenSSH 9.9 and later)", () => {
    const openssh99 = ["mlkem768x25519-sha256", ...OPENSSH_9_2];
    assert.deepEqual(probeKexAlgorithms(openssh99).slice(0, 5), [
      "mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
    ]);
  });

  it("never adds an algorithm the client does not offer by default", () => {
    const fipsLike = ["ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "diffie-hellman-group14-sha256"];
    assert.deepEqual(probeKexAlgorithms(fipsLike), fipsLike);
    assert.deepEqual(probeKexAlgorithms(["sntrup761x25519-sha512", "curve25519-sha256"]), ["curve25519-sha256", "sntrup761x25519-sha512"]);
  });

  it("reads the list from ssh -G output, and nothing from output without it", () => {
    const text = `user root\nkexalgorithms ${OPENSSH_9_2.join(",")}\nport 22\n`;
    assert.deepEqual(kexAlgorithmsOfSshConfig(text), OPENSSH_9_2);
    assert.equal(kexAlgorithmsOfSshConfig("user root\nport 22\n"), undefined);
    assert.equal(kexAlgorithmsOfSshConfig("kexalgorithms \n"), undefined);
  });

  it("is offered by ssh on the host's hop and on the bastion's", () => {
    const kexAlgorithms = ["curve25519-sha256", "sntrup761x25519-sha512"];
    const args = sshArguments({ host: "10.0.0.5", kexAlgorithms, proxy: { host: "10.0.0.1", kexAlgorithms } }, "true");
    assert.ok(args.includes("KexAlgorithms=curve25519-sha256,sntrup761x25519-sha512"), args.join(" "));
    const proxyCommand = args.find((a) => a.startsWith("ProxyCommand="))!;
    assert.ok(proxyCommand.includes("'-o' 'KexAlgorithms=curve25519-sha256,sntrup761x25519-sha512'"), proxyCommand);
    assert.ok(!sshArguments({ host: "10.0.0.5" }, "true").some((a) => a.startsWith("KexAlgorithms=")), "OpenSSH's own defaults without a list");
  });
});
