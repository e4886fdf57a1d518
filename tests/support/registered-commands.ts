/**
 * The exact commands a program registers, taken from its mocked registrations, so host
 * tests run what a `pulumi up` would send, byte for byte.
 */
import { strict as assert } from "node:assert";
import { parseOperationResult, OperationResult } from "../../src/render/operation-result";
import { runUnderMocks, unsecret } from "./pulumi-mocks";
import { RunResult, TestHost } from "./test-host";

export interface RegisteredCommand {
  name: string;
  create: string;
  delete?: string;
  stdin: string;
}

export interface OperationRun extends RunResult {
  result: OperationResult;
}

/** Registers the program's resources under mocks. */
export async function registeredCommands(program: () => Promise<unknown>): Promise<Map<string, RegisteredCommand>> {
  const { registrations } = await runUnderMocks(program, { newResource: (args) => ({ ...args.inputs, stdout: "", stderr: "" }) });
  const commands = new Map<string, RegisteredCommand>();
  for (const registration of registrations) {
    if (registration.type !== "command:remote:Command") continue;
    const inputs = unsecret(registration.inputs) as Record<string, string | undefined>;
    commands.set(registration.name, {
      name: registration.name,
      create: inputs.create!,
      ...(inputs.delete !== undefined ? { delete: inputs.delete } : {}),
      stdin: inputs.stdin!,
    });
  }
  return commands;
}

/** Runs a registered command's create (or delete) text with `sh -c`, its script on stdin. */
export function runOperation(host: TestHost, command: RegisteredCommand, which: "create" | "delete" = "create"): OperationRun {
  const text = which === "create" ? command.create : command.delete;
  if (text === undefined) throw new Error(`${command.name} has no ${which} command`);
  const run = host.sh(text, command.stdin);
  return { ...run, result: parseOperationResult(run.stdout) };
}

export async function runOperationAsync(host: TestHost, command: RegisteredCommand): Promise<OperationRun> {
  const run = await host.shAsync(command.create, command.stdin);
  return { ...run, result: parseOperationResult(run.stdout) };
}

/** The configuration and per-host settings of the one snap `snapPartCommands` registers. */
export interface SnapPartOptions {
  apps?: string[];
  snapdVersion?: string;
  purge?: boolean;
  mode?: "auto" | "managed" | "native";
  /** The shared-memory plug's name (default `shared-memory`). */
  plugName?: string;
}

/**
 * The commands a `SnapShmHost` "h" with one snap `instance` registers, for the named parts
 * (`directory-command`, `apparmor-command`, ...).
 */
export async function snapPartCommands<P extends string>(
  instance: string,
  parts: readonly P[],
  options: SnapPartOptions = {},
): Promise<Record<P, RegisteredCommand>> {
  const registered = await registeredCommands(async () => {
    const r = await import("../../src/resources");
    const snap = new r.SnapSharedMemory("s", {
      instance,
      apps: options.apps,
      snapdVersion: options.snapdVersion,
      plug: options.plugName === undefined ? undefined : { name: options.plugName },
    });
    return new r.SnapShmHost("h", { connection: { host: "h" }, snaps: [{ snap, purge: options.purge, mode: options.mode }] });
  });
  return Object.fromEntries(parts.map((part) => [part, registered.get(`h-${instance}-${part}`)!])) as Record<P, RegisteredCommand>;
}

/** Runs the parts' creates in order; each must exit 0 and report ok. */
export function applyParts<P extends string>(host: TestHost, commands: Record<P, RegisteredCommand>, parts: readonly P[]): OperationResult[] {
  return parts.map((part) => {
    const run = runOperation(host, commands[part]);
    assert.equal(run.status, 0, `${part}: ${run.stderr}`);
    assert.equal(run.result.ok, true, part);
    return run.result;
  });
}
