/**
 * The README's example of the resources ("The Pulumi resources"), as a program of its own;
 * tests/program/readme-example.test.ts keeps the two the same, `tsc -p tests` type-checks it
 * and the test runs it under mocks. In a project of your own, import from "snap-shm".
 */
import * as pulumi from "@pulumi/pulumi";
import { SnapSharedMemory, SnapShmFleet } from "../../src";

// pulumi config set --secret privateKey < ~/.ssh/kiosk_ed25519
// pulumi config set hostKey "ssh-ed25519 AAAAC3Nza..."   # the kiosk's /etc/ssh/ssh_host_ed25519_key.pub
const cfg = new pulumi.Config();

// Checked with snapd's rules when constructed: a bad name or attribute fails the preview
// with snapd's own message before any resource exists.
const chromium = new SnapSharedMemory("chromium", { instance: "chromium", apps: ["chromium"] });

const fleet = new SnapShmFleet("kiosks", {
  hosts: [
    {
      name: "kiosk-01",
      connection: { host: "10.20.0.11", user: "ops", privateKey: cfg.requireSecret("privateKey"), hostKey: cfg.require("hostKey") },
      become: true,
      snaps: [chromium],
    },
  ],
});

export const summary = fleet.summary;
