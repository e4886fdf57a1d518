/**
 * The README's Pulumi example works as written: it is examples/readme-fleet/index.ts (which
 * `tsc -p tests` type-checks) with the package's name for the import, and it runs under mocks
 * with the config its comments set.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ofType, runUnderMocks, unsecret } from "../support/pulumi-mocks";

const ROOT = join(__dirname, "..", "..");
const EXAMPLE = join(ROOT, "examples", "readme-fleet", "index.ts");
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nreadme\n-----END OPENSSH PRIVATE KEY-----\n";

/** The first TypeScript block of the README's section on the Pulumi resources. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("\n## The Pulumi resources\n")));
  assert.ok(block, "the section has a ts block");
  return block[1];
}

describe("the README's Pulumi example", function () {
  this.timeout(60_000);

  it("is examples/readme-fleet/index.ts, which tsc -p tests type-checks, with the package's name in the import", () => {
    const example = readFileSync(EXAMPLE, "utf8").replace('from "../../src"', 'from "snap-shm"');
    assert.ok(example.endsWith(`*/\n${readmeExample()}`), "the example after its header comment is the README's block");
  });

  it("runs: it registers the kiosk's parts with the key from secret config and the pinned host key", async () => {
    const { registrations, warnings } = await runUnderMocks(() => {
      pulumi.runtime.setAllConfig({ "project:privateKey": KEY, "project:hostKey": HOST_KEY }, ["project:privateKey"]);
      delete require.cache[require.resolve(EXAMPLE)];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(EXAMPLE) as { summary: pulumi.Output<unknown> };
    });
    const commands = ofType(registrations, "command:remote:Command");
    assert.deepEqual(commands.map((c) => c.name).sort(), ["apparmor", "directory", "mount", "self-heal"].map((part) => `kiosks-kiosk-01-chromium-${part}-command`));
    const connection = unsecret(commands[0].inputs.connection) as { privateKey: string; hostKey: string; user: string };
    assert.deepEqual([connection.privateKey, connection.hostKey, connection.user], [KEY, HOST_KEY, "ops"]);
    assert.deepEqual(warnings, []);
  });
});
