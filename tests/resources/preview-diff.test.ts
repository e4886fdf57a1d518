/** What a reviewer sees in `pulumi preview --diff` when a fleet's snapd generation changes. */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { previewDiff } from "../support/preview-diff";
import { engineUrn, runUnderMocks, unsecret } from "../support/pulumi-mocks";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

async function commandsFor(snapdVersion: string, connectionSharing = false) {
  const { registrations } = await runUnderMocks(async () => {
    const r = await import("../../src/resources");
    const chromium = new r.SnapSharedMemory("chromium", { instance: "chromium", apps: ["chromium"], snapdVersion });
    return new r.SnapShmFleet("kiosks", { hosts: [{ name: "kiosk-01", connection: { host: "10.20.0.11", user: "ops", hostKey: HOST_KEY }, become: true, connectionSharing, snaps: [chromium] }] });
  });
  return new Map(
    registrations
      .filter((r) => r.type === (connectionSharing ? "command:local:Command" : "command:remote:Command"))
      .map((command) => [command.name, { urn: engineUrn(registrations, command), create: String((unsecret(command.inputs) as { create: string }).create) }]),
  );
}

describe("the reviewer's diff for a rule change", () => {
  it("shows the rule line that changed, on the host it changes, and is what the README shows", async () => {
    const [older, newer] = [await commandsFor("2.58.3"), await commandsFor("2.61.3")];
    const changed = [...newer.keys()].filter((name) => newer.get(name)!.create !== older.get(name)?.create);
    // The AppArmor part, and the self-heal part that carries the same apply arguments.
    assert.deepEqual(changed, ["kiosks-kiosk-01-chromium-apparmor-command", "kiosks-kiosk-01-chromium-self-heal-command"]);
    const heal = previewDiff(newer.get(changed[1])!.urn, "create", older.get(changed[1])!.create, newer.get(changed[1])!.create);
    assert.equal(heal.split("\n").filter((l) => /^ {10}[-+] /.test(l)).join("\n"), '          - "/dev/shm/*" mrwlkix,\n          + "/dev/shm/**" mrwlkix,');
    const before = older.get(changed[0])!;
    const after = newer.get(changed[0])!;
    const diff = previewDiff(after.urn, "create", before.create, after.create);
    assert.ok(diff.includes('          - "/dev/shm/*" mrwlkix,\n          + "/dev/shm/**" mrwlkix,\n'));
    assert.equal(diff.split("\n").filter((l) => /^ {10}[-+] /.test(l)).length, 2, "only the rule changes");
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const shown = /<!-- preview-diff -->\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.equal(shown, diff, "README's excerpt is out of date:\n" + diff);
  });

  it("reads the same over a shared connection: the operation's lines word for word, the rule line that changed and nothing else", async () => {
    const [older, newer] = [await commandsFor("2.58.3"), await commandsFor("2.61.3")];
    const [olderShared, newerShared] = [await commandsFor("2.58.3", true), await commandsFor("2.61.3", true)];
    const name = "kiosks-kiosk-01-chromium-apparmor-command";
    const body = (diff: string) => diff.split("\n").slice(3).join("\n");
    const own = previewDiff(newer.get(name)!.urn, "create", older.get(name)!.create, newer.get(name)!.create);
    const shared = previewDiff(newerShared.get(name)!.urn, "create", olderShared.get(name)!.create, newerShared.get(name)!.create, "command:local:Command");
    assert.equal(body(shared), body(own));
  });
});
