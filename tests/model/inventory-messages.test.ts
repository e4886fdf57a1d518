/**
 * Inventory messages a user can act on: the value and the rule named (a possible secret never
 * shown), every connection problem at once, each at the line where it is written.
 */
import { strict as assert } from "node:assert";
import { checkConnection, connectionProblems } from "../../src/model/connection";
import { InputError } from "../../src/model/input-error";
import { problems } from "../support/inventory-problems";


const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFQ2mY5rJ2Y2Z5S0m2gB0ZTzjY3ZlqS3u8rWbWm4e9Xb";

describe("inventory messages", () => {
  describe("never show key material", () => {
    it("refuses a private key pasted as identityFile without echoing it", () => {
      for (const at of ["hosts:\n  h1:\n    address: a\n    identityFile: ", "defaults:\n  proxy: {address: b, identityFile: "]) {
        const text = `${at}${JSON.stringify(KEY)}${at.includes("{") ? "}" : ""}\n${at.startsWith("defaults") ? "hosts:\n  h1: {address: a}\n" : ""}`;
        const found = problems(text);
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0], /identityFile: secrets do not belong in the inventory: this looks like a private key \(not shown\); give the key file's path here/);
        assert.doesNotMatch(found[0], /BEGIN|b3BlbnNz/);
      }
    });

    it("refuses a private key pasted as hostKey without echoing it", () => {
      const found = problems(`hosts:\n  h1: {address: a, hostKey: ${JSON.stringify(KEY)}}\n`);
      assert.equal(found.length, 1);
      assert.match(found[0], /hosts\.h1\.hostKey: invalid host key \(not shown: it looks like a private key, which never goes here\)/);
      assert.doesNotMatch(found[0], /BEGIN|b3BlbnNz/);
    });

    it("shows no identityFile value in a schema message, nor a mapping's contents", () => {
      assert.deepEqual(problems("hosts:\n  h1: {address: a, identityFile: [x]}\n"), ["inv.yaml:2:34: hosts.h1.identityFile: must be a string, not a list"]);
      assert.deepEqual(problems(`hosts:\n  h1: {address: a, user: {key: ${JSON.stringify(KEY)}}}\n`), ["inv.yaml:2:26: hosts.h1.user: must be a string, not a mapping"]);
    });
  });

  describe("name the value and the rule", () => {
    const cases: Array<[string, string, string]> = [
      ["a quoted port", 'defaults: {port: "22"}\nhosts:\n  h1: {address: a}\n', 'inv.yaml:1:18: defaults.port: must be a whole number, not "22"'],
      ["apps that are not a list", "hosts:\n  h1: {address: a, snaps: [{instance: x, apps: app}]}\n", 'inv.yaml:2:48: hosts.h1.snaps[0].apps: must be a list, not "app"'],
      ["a list for an inventory", "- a\n", "inv.yaml:1:1: the inventory must be a mapping (of defaults, groups, hosts and rollout), not a list"],
      ["a word for an inventory", "hello\n", 'inv.yaml:1:1: the inventory must be a mapping (of defaults, groups, hosts and rollout), not "hello"'],
      ["an unknown mode", "hosts:\n  h1: {address: a, snaps: [{instance: x, mode: fast}]}\n", 'inv.yaml:2:48: hosts.h1.snaps[0].mode: must be one of "auto", "managed", "native", not "fast"'],
      ["a host given twice", "hosts:\n  h1: {address: a}\n  h1: {address: b}\n", 'inv.yaml:3:3: hosts: key "h1" is given twice'],
      ["a key given twice in a host", "hosts:\n  h1: {address: a, address: b}\n", 'inv.yaml:2:20: hosts.h1: key "address" is given twice'],
      ["a top-level key given twice", "hosts:\n  h1: {address: a}\nhosts:\n  h2: {address: b}\n", 'inv.yaml:3:1: key "hosts" is given twice'],
      ["a day-long dial timeout and more", "defaults: {perDialTimeout: 100000}\nhosts:\n  h1: {address: a}\n", "inv.yaml:1:28: defaults.perDialTimeout: must be at most 86400, not 100000"],
      ["a million dial errors and more", "defaults: {dialErrorLimit: 2000000}\nhosts:\n  h1: {address: a}\n", "inv.yaml:1:28: defaults.dialErrorLimit: must be at most 1000000, not 2000000"],
    ];
    for (const [what, text, message] of cases) {
      it(what, () => assert.deepEqual(problems(text), [message]));
    }

    it("shows a bad host key, and points at the host name of an ssh-keyscan line", () => {
      assert.deepEqual(problems("hosts:\n  h1: {address: a, hostKey: 'ssh-ed25519 not-base64!'}\n"), [
        'inv.yaml:2:29: hosts.h1.hostKey: invalid host key "ssh-ed25519 not-base64!": expected one OpenSSH public key line, such as "ssh-ed25519 AAAAC3Nza..."',
      ]);
      assert.deepEqual(problems(`hosts:\n  h1: {address: a, hostKey: '[h1.example]:2222 ${HOST_KEY}'}\n`), [
        `inv.yaml:2:29: hosts.h1.hostKey: invalid host key ${JSON.stringify(`[h1.example]:2222 ${HOST_KEY}`)}: it starts with the host name "[h1.example]:2222", as ssh-keyscan prints it; give the key without it: ${JSON.stringify(HOST_KEY)}`,
      ]);
    });

    it("states the limits of the dial settings of a resource's connection", () => {
      assert.throws(() => checkConnection({ host: "h", perDialTimeout: 100000 }, "connection"), {
        message: "connection.perDialTimeout: invalid perDialTimeout 100000: expected whole seconds from 1 to 86400 (a day)",
      });
      assert.throws(() => checkConnection({ host: "h", dialErrorLimit: 2000000 }, "connection"), {
        message: "connection.dialErrorLimit: invalid dialErrorLimit 2000000: expected -1 (no limit) or a whole number of attempts from 0 to 1000000",
      });
    });
  });

  describe("refuse an inventory without hosts", () => {
    for (const [what, text] of [["an empty file", ""], ["comments only", "# the fleet\n"], ["hosts: {}", "defaults: {user: ops}\nhosts: {}\n"], ["a group without hosts", "groups:\n  g: {user: ops}\n"]]) {
      it(what, () => {
        const found = problems(text);
        assert.equal(found.length, 1);
        assert.match(found[0], /^inv\.yaml:\d+:\d+: hosts: no hosts: give at least one host under "hosts" or under a group's "hosts"$/);
      });
    }
  });

  describe("connection settings", () => {
    it("reports every problem of a host, not only the first", () => {
      assert.deepEqual(problems("hosts:\n  h1:\n    address: 'a b'\n    user: 'A B'\n    hostKey: x\n    proxy: {address: '../p', user: '$(id)'}\n"), [
        'inv.yaml:3:14: hosts.h1.address: invalid host address "a b": expected a host name (RFC 1123) or an IP address',
        'inv.yaml:4:11: hosts.h1.user: invalid user name "A B": expected a POSIX user name such as "ops" or "root"',
        'inv.yaml:5:14: hosts.h1.hostKey: invalid host key "x": expected one OpenSSH public key line, such as "ssh-ed25519 AAAAC3Nza..."',
        'inv.yaml:6:22: hosts.h1.proxy.address: invalid host address "../p": expected a host name (RFC 1123) or an IP address',
        'inv.yaml:6:36: hosts.h1.proxy.user: invalid user name "$(id)": expected a POSIX user name such as "ops" or "root"',
      ]);
    });

    it("reports a bad setting of defaults or a group once, where it is written", () => {
      const text = [
        "defaults:",
        "  user: 'A B'",
        "  proxy: {address: '../p'}",
        "groups:",
        "  g:",
        "    user: 'C D'",
        "    hosts:",
        "      g1: {address: a}",
        "      g2: {address: b}",
        "hosts:",
        "  h1: {address: c}",
        "  h2: {address: d, user: 'E F'}",
        "",
      ].join("\n");
      assert.deepEqual(problems(text), [
        'inv.yaml:2:9: defaults.user: invalid user name "A B": expected a POSIX user name such as "ops" or "root"',
        'inv.yaml:3:20: defaults.proxy.address: invalid host address "../p": expected a host name (RFC 1123) or an IP address',
        'inv.yaml:6:11: groups.g.user: invalid user name "C D": expected a POSIX user name such as "ops" or "root"',
        'inv.yaml:12:26: hosts.h2.user: invalid user name "E F": expected a POSIX user name such as "ops" or "root"',
      ]);
    });

    it("keeps checkConnection's first-problem API, and lists them all with connectionProblems", () => {
      const connection = { host: "a b", port: 0, user: "A" };
      assert.throws(() => checkConnection(connection, "c"), (error: unknown) => error instanceof InputError && error.field === "c.host");
      assert.deepEqual(
        connectionProblems(connection, "c").map((p) => p.field),
        ["c.host", "c.port", "c.user"],
      );
      assert.deepEqual(connectionProblems({ user: "ops" }, "c", { hostRequired: false }), []);
      assert.deepEqual(connectionProblems({ user: "ops" }, "c").map((p) => p.message), ["c.host: a host address is required"]);
    });
  });
});
