/**
 * A TEST STAND-IN for the Pulumi engine and the @pulumi/command provider. It is not a way to
 * deploy anything, and nothing outside tests/ uses it.
 *
 * Neither the Pulumi engine nor the command provider can run on these machines, so to prove
 * the resources' commands end to end this stand-in runs a program under
 * `pulumi.runtime.setMocks` and, for every `command:remote:Command` it registers, does what
 * @pulumi/command's documented lifecycle says the provider does, for real, over SSH with
 * the provider's own SSH library (golang.org/x/crypto/ssh, through ./provider-ssh) and the
 * connection the resource was given:
 *
 * | change                               | what runs                                                      |
 * |--------------------------------------|----------------------------------------------------------------|
 * | new resource                         | `create`                                                       |
 * | any `triggers` element               | replace: new `create` first, then the old `delete`; with `deleteBeforeReplace` the old `delete` first |
 * | any other input                      | update: `update` if set, else `create`, with the new inputs    |
 * | resource no longer in the program    | `delete`, with the stored inputs, dependents first (not after a failure) |
 * | nothing                              | nothing                                                        |
 * | preview                              | nothing remote; new resources' stdout unknown                  |
 *
 * `command:local:run` invokes (which run on every preview and update), and the commands of a
 * `command:local:Command` (same lifecycle as above), run locally with `/bin/sh -c` and its
 * `environment` added to this process's. State is
 * kept between runs; secrets in it are encrypted, as the engine's are.
 * Like `pulumi up`, after a failed operation no new operation starts unless
 * `continueOnError` is set (`pulumi up --continue-on-error`).
 */
import { spawn } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { PlainConnection } from "../../src/resources/host-probe";
import { runProviderSsh } from "./provider-ssh";
import { Registration, RequestDetails, runUnderMocks, SECRET_SIG } from "./pulumi-mocks";

const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const COMMAND = "command:remote:Command";
const LOCAL_COMMAND = "command:local:Command";

export type StepKind = "create" | "update" | "replace" | "delete" | "same";

export interface PlannedStep {
  urn: string;
  name: string;
  type: string;
  step: StepKind;
  /** Input keys whose value changed (update and replace). */
  changed: string[];
}

export interface Execution {
  name: string;
  op: "create" | "update" | "delete";
  host: string;
  command: string;
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why the command could not run (dial, host key, authentication), when it could not. */
  error?: string;
  startedAt: number;
  endedAt: number;
}

export interface RunReport<T = unknown> {
  value: T | undefined;
  /** What the program registered, as the monitor received it (secrets still wrapped). */
  registrations: Registration[];
  /** The invokes it made (local.run: the probe), with their arguments. */
  invokeArgs: Array<Record<string, unknown>>;
  steps: PlannedStep[];
  executions: Execution[];
  /** Operations that failed or did not start, each with the provider-style error. */
  errors: string[];
  /** Everything the program saw fail (operations, and errors the program itself threw). */
  failures: string[];
  warnings: string[];
  invokes: number;
  durationMs: number;
}

/** The steps a run plans that are not "same", as `name:step`, sorted: what a preview would show. */
export function changes(report: RunReport): string[] {
  return report.steps.filter((s) => s.step !== "same").map((s) => `${s.name}:${s.step}`).sort();
}

interface StoredResource {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  /** JSON of the inputs, secrets encrypted. */
  inputs: string;
  /** JSON of the provider's outputs (stdout, stderr). */
  outputs: string;
  dependencies: string[];
  deleteBeforeReplace: boolean;
}

interface CommandInputs {
  /** Absent for a local command. */
  connection?: PlainConnection;
  create?: string;
  update?: string;
  delete?: string;
  stdin?: string;
  triggers?: unknown[];
  /** A local command's additional environment variables. */
  environment?: Record<string, string>;
}


export interface StandInOptions {
  /** Operations at once (`pulumi up --parallel`). Default: no limit. */
  parallel?: number;
  /** Go on with independent operations after one failed (`--continue-on-error`). */
  continueOnError?: boolean;
  /** Called before each remote operation starts (fault injection). */
  beforeOperation?: (op: { name: string; op: Execution["op"]; host: string }) => Promise<void> | void;
}

export class EngineStandIn {
  private readonly resources = new Map<string, StoredResource>();
  private readonly secretKey = randomBytes(32);

  /** The state as the stand-in would write it to disk: secrets encrypted. */
  stateJson(): string {
    return JSON.stringify([...this.resources.values()], null, 1);
  }

  /** The stored inputs of a resource, secrets decrypted (for tests' assertions). */
  storedInputs(name: string): Record<string, unknown> | undefined {
    const stored = [...this.resources.values()].find((r) => r.name === name);
    return stored ? (this.reveal(JSON.parse(stored.inputs)) as Record<string, unknown>) : undefined;
  }

  resourceNames(): string[] {
    return [...this.resources.values()].map((r) => r.name).sort();
  }

  async preview<T>(program: () => T | Promise<T>): Promise<RunReport<T>> {
    return this.run(program, { preview: true });
  }

  async up<T>(program: () => T | Promise<T>, options: StandInOptions = {}): Promise<RunReport<T>> {
    return this.run(program, { preview: false, ...options });
  }

  /** `pulumi destroy`: everything removed, dependents first. */
  async destroy(options: StandInOptions = {}): Promise<RunReport> {
    return this.run(() => undefined, { preview: false, ...options });
  }

  private async run<T>(program: () => T | Promise<T>, options: StandInOptions & { preview: boolean }): Promise<RunReport<T>> {
    const started = Date.now();
    const steps: PlannedStep[] = [];
    const executions: Execution[] = [];
    const errors: string[] = [];
    const registered = new Set<string>();
    const oldToDelete: StoredResource[] = [];
    const limiter = new Limiter(options.parallel ?? Infinity);
    let stopped = false;
    let invokes = 0;

    const execute = async (name: string, op: Execution["op"], inputs: CommandInputs, text: string): Promise<Execution> =>
      limiter.run(async () => {
        if (stopped && !options.continueOnError) {
          const error = `${name}: ${op} not started: an earlier operation failed`;
          errors.push(error);
          throw new Error(error);
        }
        await options.beforeOperation?.({ name, op, host: inputs.connection?.host ?? "localhost" });
        const execution = inputs.connection ? await runRemote(name, op, inputs.connection, inputs.stdin, text) : await runLocalCommand(name, op, inputs.stdin, inputs.environment, text);
        executions.push(execution);
        if (execution.status !== 0) {
          stopped = true;
          // The provider's words: the connection's error when the command never ran, else its exit.
          const error = execution.error
            ? `${name}: ${op} failed: ${execution.error}`
            : `${name}: ${op} failed: Process exited with status ${execution.status}: running ${JSON.stringify(text)}:\nstdout: ${execution.stdout}\nstderr: ${execution.stderr}`;
          errors.push(error);
          throw new Error(error);
        }
        return execution;
      });

    const newResource = async (args: pulumi.runtime.MockResourceArgs, request: RequestDetails): Promise<Record<string, unknown>> => {
      const urn = request.urn;
      registered.add(urn);
      const inputsJson = JSON.stringify(this.conceal(args.inputs));
      const store = (outputs: Record<string, unknown>) =>
        this.resources.set(urn, {
          urn,
          type: args.type,
          name: args.name,
          parent: request.parent,
          custom: args.custom ?? false,
          inputs: inputsJson,
          outputs: JSON.stringify(outputs),
          dependencies: request.dependencies,
          deleteBeforeReplace: request.deleteBeforeReplace,
        });
      const old = this.resources.get(urn);
      if (args.type !== COMMAND && args.type !== LOCAL_COMMAND) {
        if (!options.preview) store({});
        return args.inputs;
      }
      const inputs = this.reveal(args.inputs) as CommandInputs;
      const oldInputs = old ? (this.reveal(JSON.parse(old.inputs)) as CommandInputs) : undefined;
      const changed = oldInputs ? changedKeys(oldInputs as unknown as Record<string, unknown>, inputs as unknown as Record<string, unknown>) : [];
      const kind: StepKind = !old ? "create" : changed.includes("triggers") ? "replace" : changed.length > 0 ? "update" : "same";
      steps.push({ urn, name: args.name, type: args.type, step: kind, changed });
      if (kind === "same") return { ...args.inputs, ...JSON.parse(old!.outputs) };
      if (options.preview) return args.inputs;
      let execution: Execution | undefined;
      if (kind === "replace" && old!.deleteBeforeReplace) {
        if (oldInputs!.delete) await execute(args.name, "delete", oldInputs!, oldInputs!.delete);
        this.resources.delete(urn);
      } else if (kind === "replace") {
        oldToDelete.push(old!);
      }
      const text = kind === "update" ? (inputs.update ?? inputs.create) : inputs.create;
      if (text) execution = await execute(args.name, kind === "update" ? "update" : "create", inputs, text);
      const outputs = { stdout: trimOne(execution?.stdout ?? ""), stderr: trimOne(execution?.stderr ?? "") };
      store(outputs);
      return { ...args.inputs, ...outputs };
    };

    const call = async (args: pulumi.runtime.MockCallArgs): Promise<Record<string, unknown>> => {
      if (args.token !== "command:local:run") throw new Error(`the stand-in has no invoke ${args.token}`);
      invokes++;
      const inputs = this.reveal(args.inputs) as { command: string; stdin?: string };
      const result = await runLocal(inputs.command, inputs.stdin ?? "");
      if (result.status !== 0) throw new Error(`local command failed with status ${result.status}: ${result.stderr}`);
      return { ...args.inputs, stdout: trimOne(result.stdout), stderr: trimOne(result.stderr) };
    };

    const mocked = await runUnderMocks(program, { preview: options.preview, newResource, call, tolerateFailures: true });

    // Resources no longer in the program, and the old halves of replacements, go last,
    // dependents before what they depend on. Like the engine, a program that failed deletes
    // nothing it did not register: those resources may only have waited on a failed one.
    const gone = mocked.failures.length > 0 ? [] : [...this.resources.values()].filter((r) => !registered.has(r.urn));
    for (const resource of deletionOrder([...gone, ...oldToDelete])) {
      if (resource.custom) steps.push({ urn: resource.urn, name: resource.name, type: resource.type, step: "delete", changed: [] });
      if (options.preview) continue;
      if (resource.custom) {
        const inputs = this.reveal(JSON.parse(resource.inputs)) as CommandInputs;
        try {
          if (inputs.delete) await execute(resource.name, "delete", inputs, inputs.delete);
        } catch {
          continue;
        }
      }
      if (this.resources.get(resource.urn) === resource) this.resources.delete(resource.urn);
    }
    return {
      value: mocked.value,
      registrations: mocked.registrations,
      invokeArgs: mocked.invokes.map((i) => i.inputs),
      steps,
      executions,
      errors,
      failures: mocked.failures,
      warnings: mocked.warnings,
      invokes,
      durationMs: Date.now() - started,
    };
  }

  /** Secrets as the engine stores them: encrypted. */
  private conceal(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.conceal(v));
    if (value !== null && typeof value === "object") {
      const object = value as Record<string, unknown>;
      if (object[SECRET_SIG] === SECRET_VALUE) {
        const iv = randomBytes(12);
        const cipher = createCipheriv("aes-256-gcm", this.secretKey, iv);
        const data = Buffer.concat([cipher.update(JSON.stringify(object.value)), cipher.final()]);
        return { [SECRET_SIG]: SECRET_VALUE, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), data]).toString("base64") };
      }
      return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, this.conceal(v)]));
    }
    return value;
  }

  /** Secrets decrypted (from state) or unwrapped (from a registration), for running commands. */
  private reveal(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.reveal(v));
    if (value !== null && typeof value === "object") {
      const object = value as Record<string, unknown>;
      if (object[SECRET_SIG] === SECRET_VALUE) {
        if (typeof object.ciphertext === "string") {
          const raw = Buffer.from(object.ciphertext, "base64");
          const decipher = createDecipheriv("aes-256-gcm", this.secretKey, raw.subarray(0, 12));
          decipher.setAuthTag(raw.subarray(12, 28));
          return this.reveal(JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString()));
        }
        return this.reveal(object.value);
      }
      return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, this.reveal(v)]));
    }
    return value;
  }
}

function trimOne(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

function changedKeys(oldInputs: Record<string, unknown>, newInputs: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)]);
  return [...keys].filter((key) => JSON.stringify(oldInputs[key]) !== JSON.stringify(newInputs[key])).sort();
}

/** Dependents before what they depend on (and children before parents). */
function deletionOrder(resources: StoredResource[]): StoredResource[] {
  const ordered: StoredResource[] = [];
  const remaining = new Set(resources);
  while (remaining.size > 0) {
    const next = [...remaining].find(
      (r) => ![...remaining].some((other) => other !== r && (other.dependencies.includes(r.urn) || other.parent === r.urn)),
    );
    const pick = next ?? [...remaining][0];
    ordered.push(pick);
    remaining.delete(pick);
  }
  return ordered;
}

class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** Runs a command on the host with the resource's connection, through the provider's SSH client. */
async function runRemote(name: string, op: Execution["op"], connection: PlainConnection, stdin: string | undefined, text: string): Promise<Execution> {
  const startedAt = Date.now();
  const result = await runProviderSsh(connection, text, stdin ?? "");
  return { name, op, host: `${connection.host}:${connection.port ?? 22}`, command: text, ...result, startedAt, endedAt: Date.now() };
}

/** Runs a local command's operation with `/bin/sh -c`, as the provider does. */
async function runLocalCommand(name: string, op: Execution["op"], stdin: string | undefined, environment: Record<string, string> | undefined, text: string): Promise<Execution> {
  const startedAt = Date.now();
  const result = await runLocal(text, stdin ?? "", environment);
  return { name, op, host: "localhost", command: text, ...result, startedAt, endedAt: Date.now() };
}

function spawnCollect(file: string, args: string[], stdin: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

/** `/bin/sh -c command`, in this process's environment with `environment` added (as the provider's). */
export function runLocal(command: string, stdin: string, environment: Record<string, string> = {}) {
  return spawnCollect("/bin/sh", ["-c", command], stdin, { ...process.env, ...environment });
}
