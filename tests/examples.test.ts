/** The examples run under mocks, as a preview would, with their configuration set. */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { ofType, runUnderMocks, unsecret } from "./support/pulumi-mocks";

describe("examples", function () {
  this.timeout(60_000);

  it("single-host registers the kiosk's parts with its configuration", async () => {
    const { registrations, warnings } = await runUnderMocks(async () => {
      pulumi.runtime.setAllConfig({
        "project:host": "10.20.0.11",
        "project:hostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "project:user": "ops",
        "project:privateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nexample\n-----END OPENSSH PRIVATE KEY-----\n",
      }, ["project:privateKey"]);
      return import("../examples/single-host/index");
    });
    const commands = ofType(registrations, "command:remote:Command");
    assert.deepEqual(commands.map((c) => c.name).sort(), [
      "kiosk-01-chromium-apparmor-command",
      "kiosk-01-chromium-directory-command",
      "kiosk-01-chromium-mount-command",
      "kiosk-01-chromium-prerequisites",
    ]);
    const apparmor = unsecret(commands.find((c) => c.name.endsWith("apparmor-command"))!.inputs) as { create: string; connection: { user: string } };
    assert.match(apparmor.create, /^sudo -n sh -c :/);
    assert.ok(apparmor.create.includes("'profiles=snap-update-ns.chromium snap.chromium.chromium snap.chromium.chromedriver'"));
    assert.equal(apparmor.connection.user, "ops");
    assert.deepEqual(warnings, []);
  });
});
