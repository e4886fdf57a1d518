/** What a reviewer sees in `pulumi preview --diff` when a fleet's snapd generation changes. */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { previewDiff } from "../support/preview-diff";
import { engineUrn, runUnderMocks, unsecret } from "../support/pulumi-mocks";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

async function appArmorCreate(snapdVersion: string) {
  const { registrations } = await runUnderMocks(async () => {
    const r = await import("../../src/resources");
    const chromium = new r.SnapSharedMemory("chromium", { instance: "chromium", apps: ["chromium"], snapdVersion });
    return new r.SnapShmFleet("kiosks", { hosts: [{ name: "kiosk-01", connection: { host: "10.20.0.11", user: "ops", hostKey: HOST_KEY }, become: true, snaps: [chromium] }] });
  });
  const command = registrations.find((r) => r.name === "kiosks-kiosk-01-chromium-apparmor-command")!;
  return { urn: engineUrn(registrations, command), create: String((unsecret(command.inputs) as { create: string }).create) };
}

describe("the reviewer's diff for a rule change", () => {
  it("shows the rule line that changed, on the host it changes, and is what the README shows", async () => {
    const before = await appArmorCreate("2.58.3");
    const after = await appArmorCreate("2.61.3");
    const diff = previewDiff(after.urn, "create", before.create, after.create);
    assert.ok(diff.includes('          - "/dev/shm/*" mrwlkix,\n          + "/dev/shm/**" mrwlkix,\n'));
    assert.equal(diff.split("\n").filter((l) => /^ {10}[-+] /.test(l)).length, 2, "only the rule changes");
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const shown = /<!-- preview-diff -->\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.equal(shown, diff, "README's excerpt is out of date:\n" + diff);
  });
});
