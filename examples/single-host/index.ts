/**
 * One kiosk, one browser snap: the resources used directly.
 *
 *   pulumi config set host 10.20.0.11
 *   pulumi config set hostKey "ssh-ed25519 AAAA..."     # the kiosk's /etc/ssh/ssh_host_ed25519_key.pub
 *   pulumi config set user ops                          # with passwordless sudo; or root and become false
 *   pulumi config set --secret privateKey < ~/.ssh/kiosk_ed25519
 *   pulumi preview --diff && pulumi up
 *
 * In a project of your own, import from "snap-shm" instead of the relative path.
 */
import * as pulumi from "@pulumi/pulumi";
import { SnapSharedMemory, SnapShmHost } from "../../src";

const config = new pulumi.Config();

// What snapd would do for the browser if its publisher had declared
// `plugs: { shared-memory: { private: true } }`, checked with snapd's own rules.
const chromium = new SnapSharedMemory("chromium", {
  instance: "chromium",
  apps: ["chromium", "chromedriver"],
});

const kiosk = new SnapShmHost("kiosk-01", {
  connection: {
    host: config.require("host"),
    port: config.getNumber("port") ?? 22,
    user: config.get("user") ?? "root",
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
  },
  become: (config.get("user") ?? "root") !== "root",
  snaps: [{ snap: chromium, purge: false }],
});

/** Per snap instance: what the prerequisite check found and what the run changed. */
export const summary = kiosk.summary;
