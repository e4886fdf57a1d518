/** The examples run under mocks, as a preview would, with their configuration set. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { MAIN_HELP } from "../src/cli/main";
import { ofType, runUnderMocks, unsecret } from "./support/pulumi-mocks";
import { rootProgram } from "./support/root-program";

const EXAMPLES = join(__dirname, "..", "examples");

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
      "kiosk-01-chromium-self-heal-command",
    ]);
    const apparmor = unsecret(commands.find((c) => c.name.endsWith("apparmor-command"))!.inputs) as { create: string; connection: { user: string } };
    assert.match(apparmor.create, /^sudo -n sh -c :/);
    assert.ok(apparmor.create.includes("'profiles=snap-update-ns.chromium snap.chromium.chromium snap.chromium.chromedriver'"));
    assert.equal(apparmor.connection.user, "ops");
    assert.deepEqual(warnings, []);
  });

  it("the fleet inventory deploys through the root program: batches of one, the native snap in native mode", async () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nexample\n-----END OPENSSH PRIVATE KEY-----\n";
    const { registrations, warnings } = await runUnderMocks(
      rootProgram({ "snap-shm:inventory": join(EXAMPLES, "fleet", "inventory.yaml"), "snap-shm:privateKey": key }, ["snap-shm:privateKey"]),
    );
    assert.deepEqual(ofType(registrations, "snap-shm:index:SnapShmHost").map((r) => r.name), ["fleet-kiosk-01", "fleet-kiosk-02", "fleet-ci-runner-01"]);
    const command = (name: string) => registrations.find((r) => r.name === name)!;
    const created = (name: string) => String((unsecret(command(name).inputs) as { create: string }).create);
    assert.ok(created("fleet-kiosk-01-kiosk-browser-apparmor-command").includes("'operation-mode=native'"));
    assert.ok(created("fleet-kiosk-01-chromium-apparmor-command").includes("'operation-mode=managed'"), "auto, not probed here: managed");
    assert.ok(command("fleet-kiosk-02-chromium-directory-command").dependencies.includes(command("fleet-kiosk-01-chromium-mount-command").urn), "kiosk-02 waits for kiosk-01");
    const proxy = (unsecret(command("fleet-ci-runner-01-code_insiders-directory-command").inputs) as { connection: { proxy: { host: string; privateKey: string } } }).connection.proxy;
    assert.deepEqual([proxy.host, proxy.privateKey], ["bastion.example.internal", key]);
    assert.deepEqual(warnings, []);
  });

  describe("the CI review workflow", () => {
    const workflow = parse(readFileSync(join(EXAMPLES, "ci", "snap-shm-review.yml"), "utf8")) as {
      jobs: { review: { defaults: { run: { shell: string } }; steps: Array<{ name?: string; run?: string; shell?: string; uses?: string }> } };
    };
    const runs = workflow.jobs.review.steps.filter((step) => step.run !== undefined);

    it("previews with --diff, checks with --json and sums both up with commands the CLI has", () => {
      const script = runs.map((step) => step.run).join("\n");
      assert.match(script, /pulumi preview --diff .*\| tee preview\.txt/);
      assert.match(script, /node dist\/cli\/main\.js check --json inventory\.yaml > check\.json/);
      assert.match(script, /node dist\/cli\/main\.js summary check\.json --preview preview\.txt > summary\.md/);
      for (const [, command] of script.matchAll(/node dist\/cli\/main\.js (\w+)/g)) assert.match(MAIN_HELP, new RegExp(`^  ${command} `, "m"), command);
    });

    it("has run steps that pass shellcheck as bash", () => {
      const work = mkdtempSync(join(tmpdir(), "snap-shm-workflow-"));
      try {
        assert.equal(workflow.jobs.review.defaults.run.shell, "bash");
        for (const [i, step] of runs.entries()) {
          const file = join(work, `step-${i}.sh`);
          writeFileSync(file, `#!/bin/bash\n${step.run}`);
          const result = spawnSync("shellcheck", [file], { encoding: "utf8" });
          assert.equal(result.status, 0, `${step.name}\n${result.stdout}`);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  });
});
