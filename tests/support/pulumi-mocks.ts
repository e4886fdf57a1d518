/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` (Pulumi's own unit-test mechanism)
 * and records every registration with what MockResourceArgs leaves out: parent,
 * dependencies, deleteBeforeReplace, read from the mock monitor's requests.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../../src/model/input-error";

export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const EMPTY_PROBE = '{"snapShm":1,"part":"host","action":"probe","instance":"","ok":true,"found":{},"changed":[],"notes":[]}';

export interface Registration {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  parent: string;
  dependencies: string[];
  deleteBeforeReplace: boolean;
  /** Inputs as the mock monitor received them (secrets still wrapped). */
  inputs: Record<string, unknown>;
}

export interface InvokeCall {
  token: string;
  inputs: Record<string, unknown>;
}

/** What the mock monitor's request says beyond MockResourceArgs. */
export interface RequestDetails {
  urn: string;
  parent: string;
  dependencies: string[];
  deleteBeforeReplace: boolean;
}

export interface MockOptions {
  /** Run as a preview (outputs the mock does not return stay unknown). */
  preview?: boolean;
  /** The state a custom resource gets (default: its inputs, with stdout ""). A throw fails the registration. */
  newResource?: (args: pulumi.runtime.MockResourceArgs, request: RequestDetails) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Registrations that fail are expected (a stand-in's failed operations): record, do not throw. */
  tolerateFailures?: boolean;
  /** The result of an invoke (default: {}). */
  call?: (args: pulumi.runtime.MockCallArgs) => Promise<Record<string, unknown>> | Record<string, unknown>;
}

export interface MockRun<T> {
  value: T;
  /** Errors of failed registrations and outputs, when failures are tolerated. */
  failures: string[];
  registrations: Registration[];
  invokes: InvokeCall[];
  warnings: string[];
}

/** Unwraps Pulumi's secret marker, recursively. */
export function unsecret(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unsecret);
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    if (object[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return unsecret(object.value);
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, unsecret(v)]));
  }
  return value;
}

function newUrn(parent: string, type: string, name: string): string {
  const qualified = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
  return `urn:pulumi:stack::project::${qualified}::${name}`;
}

/**
 * Builds the program inside fresh mocks and waits until every registration has finished,
 * then returns what was registered. `program` returns a value whose outputs are awaited.
 */
export async function runUnderMocks<T>(program: () => T | Promise<T>, options: MockOptions = {}): Promise<MockRun<T>> {
  const registrations: Registration[] = [];
  const invokes: InvokeCall[] = [];
  const warnings: string[] = [];
  const failures: string[] = [];
  const requests = new Map<string, RequestDetails>();
  const calls: Promise<void>[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        const request = requests.get(`${args.type}::${args.name}`)!;
        const state = options.newResource ? await options.newResource(args, request) : { ...args.inputs, stdout: "", stderr: "" };
        return { id: `${args.name}-id`, state };
      },
      call: async (args) => {
        invokes.push({ token: args.token, inputs: args.inputs });
        if (options.call) {
          const result = Promise.resolve(options.call(args));
          calls.push(result.then(() => undefined, () => undefined));
          return result;
        }
        // No host behind a unit test: a drift probe finds nothing recorded and nothing to say.
        return args.token === "command:local:run" ? { ...args.inputs, stdout: EMPTY_PROBE, stderr: "" } : {};
      },
    },
    "project",
    "stack",
    options.preview ?? false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, callback: (err: unknown, res: unknown) => void) => void;
  };
  const register = monitor.registerResource.bind(monitor);
  const pending: Promise<void>[] = [];
  monitor.registerResource = (req, callback) => {
    requests.set(`${req.getType()}::${req.getName()}`, {
      urn: newUrn(req.getParent(), req.getType(), req.getName()),
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
    });
    const done = new Promise<void>((resolve) => {
      register(req, (err, res) => {
        if (err) {
          failures.push(String((err as Error).message ?? err));
          callback(err, res);
          return resolve();
        }
        registrations.push({
          type: req.getType(),
          name: req.getName(),
          urn: newUrn(req.getParent(), req.getType(), req.getName()),
          custom: req.getCustom(),
          parent: req.getParent(),
          dependencies: req.getDependenciesList(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          inputs: pulumi.runtime.deserializeProperties(req.getObject() as Parameters<typeof pulumi.runtime.deserializeProperties>[0]),
        });
        callback(err, res);
        resolve();
      });
    });
    pending.push(done);
  };
  const logWarn = pulumi.log.warn;
  (pulumi.log as { warn: (msg: string) => Promise<void> }).warn = (msg: string) => {
    warnings.push(msg);
    return Promise.resolve();
  };
  // A failed registration rejects promises the SDK keeps: record them instead of crashing.
  const onRejection = (reason: unknown) => {
    if (!options.tolerateFailures) throw reason;
    failures.push(String((reason as Error)?.message ?? reason));
  };
  process.on("unhandledRejection", onRejection);
  try {
    const value = await program();
    // The engine ends a program once a registration failed: outputs that wait on a resource
    // that never registered would never settle, so after a failure, quiet ends the wait.
    let waiting = true;
    const quietAfterFailure = async () => {
      for (let last = -1; waiting; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = pending.length + calls.length + failures.length;
        if (failures.length > 0 && now === last) return;
        last = now;
      }
    };
    await Promise.race([settle(value), ...(options.tolerateFailures ? [quietAfterFailure()] : [])])
      .catch((error: unknown) => {
        if (!options.tolerateFailures) throw error;
        failures.push(String((error as Error)?.message ?? error));
      })
      .finally(() => (waiting = false));
    // Registrations and invokes can start while earlier ones finish: wait until no new one appears.
    for (let seen = -1; seen !== pending.length + calls.length; ) {
      seen = pending.length + calls.length;
      await Promise.all([...pending, ...calls]);
      for (let tick = 0; tick < 5; tick++) await new Promise((resolve) => setImmediate(resolve));
    }
    return { value, registrations, invokes, warnings, failures };
  } finally {
    (pulumi.log as { warn: typeof logWarn }).warn = logWarn;
    process.off("unhandledRejection", onRejection);
    if (options.tolerateFailures && failures.length > 0) {
      // The engine ends a program whose resource failed; a stand-in run carries on, so the
      // promises tied to the failed resources stay pending by design, not leaked.
      const state = (await import("@pulumi/pulumi/runtime/state")) as unknown as { getStore(): { leakCandidates: Set<unknown> } };
      state.getStore().leakCandidates.clear();
    }
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getDeletebeforereplace(): boolean;
  getObject(): unknown;
}

/** Waits for every Output reachable from `value` (resources' urns and outputs included). */
async function settle(value: unknown, seen = new Set<unknown>()): Promise<void> {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (pulumi.Output.isInstance(value)) {
    // promise(true) resolves for unknown values too (a preview's outputs never apply).
    await (value as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true);
    return;
  }
  if (value instanceof Promise) {
    await value;
    return;
  }
  for (const child of Object.values(value as Record<string, unknown>)) await settle(child, seen);
}

/** The registrations of one type. */
export function ofType(registrations: Registration[], type: string): Registration[] {
  return registrations.filter((r) => r.type === type);
}

/**
 * The URN the Pulumi engine gives a resource: its type qualified by every ancestor's type
 * (the mock monitor's URNs name only the parent's). For display, as in a preview.
 */
export function engineUrn(registrations: Registration[], registration: Registration, stack = "prod", project = "kiosks"): string {
  const types = [registration.type];
  for (let parent = registration.parent; parent; ) {
    const owner = registrations.find((r) => r.urn === parent);
    if (!owner) break;
    types.unshift(owner.type);
    parent = owner.parent;
  }
  return `urn:pulumi:${stack}::${project}::${types.join("$")}::${registration.name}`;
}

/**
 * Builds the resources with `build` under fresh mocks, expecting it to throw an InputError
 * with exactly `message`; returns the types of what registered before it threw.
 */
export async function refusedUnderMocks(build: (r: typeof import("../../src/resources")) => unknown, message: string): Promise<string[]> {
  let thrown: unknown;
  const { registrations } = await runUnderMocks(async () => {
    const r = await import("../../src/resources");
    try {
      build(r);
    } catch (error) {
      thrown = error;
    }
  });
  assert.ok(thrown instanceof InputError, `expected an InputError, got ${String(thrown)}`);
  assert.equal(thrown.message, message);
  return registrations.map((registration) => registration.type);
}
