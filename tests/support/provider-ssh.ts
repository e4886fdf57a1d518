/**
 * The command provider's SSH client for tests and benchmarks: provider-ssh/main.go, built
 * with Debian's Go and golang.org/x/crypto (the library @pulumi/command's remote.Command
 * connects with) the first time it is needed, and kept under node_modules/.cache, one build
 * per version of its source.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { PlainConnection } from "../../src/resources/host-probe";

/** GOPATH mode, on the Go sources Debian's golang-*-dev packages install. */
export const GO_ENV = { GO111MODULE: "off", GOPATH: "/usr/share/gocode", CGO_ENABLED: "0" };

/** The checkout this file belongs to (run from tests/ with ts-node, or compiled under bench/dist/). */
function checkoutRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tests", "support", "provider-ssh", "main.go"))) return dir;
  }
  throw new Error(`provider-ssh: no checkout with tests/support/provider-ssh/main.go above ${__dirname}`);
}

let built: string | undefined;

/** The path of the built client, building it if its source changed. */
export function providerSshBinary(): string {
  if (built) return built;
  const root = checkoutRoot();
  const source = join(root, "tests", "support", "provider-ssh", "main.go");
  const version = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 16);
  const cache = join(root, "node_modules", ".cache", "snap-shm-provider-ssh");
  const binary = join(cache, `provider-ssh-${version}`);
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    const scratch = mkdtempSync(join(cache, "build-"));
    try {
      const build = spawnSync("go", ["build", "-o", join(scratch, "provider-ssh"), source], {
        encoding: "utf8",
        env: { ...process.env, ...GO_ENV, GOCACHE: join(cache, "go-build") },
      });
      if (build.error || build.status !== 0) {
        throw new Error(
          `provider-ssh: go build failed (${build.error?.message ?? build.stderr.trim()}); it needs Debian's golang-go and golang-golang-x-crypto-dev, which .ci/run installs`,
        );
      }
      // Whole or not at all: a build cut short never takes the final name.
      renameSync(join(scratch, "provider-ssh"), binary);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  built = binary;
  return binary;
}

export interface ProviderSshResult {
  /** The remote command's exit status; 255 when it could not run. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why the command could not run (dial, host key, authentication), as the provider says it. */
  error?: string;
}

/**
 * Runs `command` on the connection's host as remote.Command does: one SSH connection, one
 * session, `stdin` as its standard input. The connection, secrets included, reaches the
 * client through a pipe only.
 */
export function runProviderSsh(connection: PlainConnection, command: string, stdin: string): Promise<ProviderSshResult> {
  const binary = providerSshBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [command], { stdio: ["pipe", "pipe", "pipe", "pipe", "pipe"] });
    const collected = { stdout: "", stderr: "", error: "" };
    child.stdout!.on("data", (c: Buffer) => (collected.stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (collected.stderr += c.toString()));
    (child.stdio[4] as NodeJS.ReadableStream).on("data", (c: Buffer) => (collected.error += c.toString()));
    child.on("error", reject);
    child.on("close", (status) =>
      resolve({ status, stdout: collected.stdout, stderr: collected.stderr, ...(collected.error ? { error: collected.error.trimEnd() } : {}) }),
    );
    for (const input of [child.stdin!, child.stdio[3] as NodeJS.WritableStream]) input.on("error", () => undefined);
    (child.stdio[3] as NodeJS.WritableStream).end(JSON.stringify(connection));
    child.stdin!.end(stdin);
  });
}
