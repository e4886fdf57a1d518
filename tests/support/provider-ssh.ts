/**
 * The command provider's SSH client for tests and benchmarks: provider-ssh/main.go, built
 * with Debian's Go and golang.org/x/crypto (the library @pulumi/command's remote.Command
 * connects with) the first time it is needed (go-tool.ts).
 */
import { spawn } from "node:child_process";
import type { PlainConnection } from "../../src/resources/host-probe";
import { goTool } from "./go-tool";

export { GO_ENV } from "./go-tool";

/** The path of the built client, building it if its source changed. */
export function providerSshBinary(): string {
  return goTool("provider-ssh", "golang-go and golang-golang-x-crypto-dev");
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
