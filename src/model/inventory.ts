/**
 * The fleet inventory: a YAML file of defaults, groups and hosts, checked against the
 * published JSON Schema (schema/inventory.schema.json) and then against snapd's rules and the
 * connection rules, every problem named with its file, line and column. Settings go from
 * defaults to group to host, the more specific winning; snaps lists add up.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { ErrorObject } from "ajv";
import { Alias, isMap, isPair, isScalar, isSeq, LineCounter, Node, parseDocument, Document, visit } from "yaml";
import { checkConnection } from "./connection";
import { desiredState } from "./desired-state";
import { inContext, InputError } from "./input-error";
import { RequestedMode } from "./operation-mode";
import { checkPrivatePlug } from "./shared-memory";

export const INVENTORY_SCHEMA_PATH = join(__dirname, "..", "..", "schema", "inventory.schema.json");

export interface InventorySnap {
  instance: string;
  apps?: string[];
  hooks?: string[];
  plug?: { name?: string; attributes?: Record<string, unknown> };
  snapdVersion?: string;
  purge?: boolean;
  mode?: RequestedMode;
  /** Repair on the host through systemd whenever snapd undoes the work (default true). */
  selfHeal?: boolean;
}

/** A connection as the inventory gives it: no secrets, a key file path at most. */
export interface InventoryConnection {
  address: string;
  port?: number;
  user?: string;
  hostKey?: string;
  dialErrorLimit?: number;
  perDialTimeout?: number;
  identityFile?: string;
  proxy?: InventoryConnection;
}

export interface InventoryHost {
  name: string;
  group?: string;
  connection: InventoryConnection;
  become: boolean;
  driftDetection: boolean;
  snaps: InventorySnap[];
}

/** How the hosts are rolled out (see `RolloutArgs` in src/resources/snap-shm-fleet.ts). */
export interface InventoryRollout {
  batchSize?: number;
  failureBudget?: number;
}

export interface Inventory {
  file: string;
  hosts: InventoryHost[];
  rollout: InventoryRollout;
}

export interface InventoryProblem {
  line: number;
  column: number;
  /** Where in the inventory, e.g. `groups.kiosks.hosts.kiosk-01.port`. */
  path: string;
  message: string;
}

/** Everything wrong with an inventory, one `file:line:column: path: message` line each. */
export class InventoryError extends Error {
  constructor(
    readonly file: string,
    readonly problems: InventoryProblem[],
  ) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n"));
    this.name = "InventoryError";
  }
}

const SECRET_KEYS = new Set(["privateKey", "password", "privateKeyPassword", "passphrase"]);
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/;
const SETTING_KEYS = ["port", "user", "become", "dialErrorLimit", "perDialTimeout", "identityFile", "proxy", "driftDetection"] as const;

let validateSchema: ReturnType<Ajv["compile"]> | undefined;
function schemaValidator(): ReturnType<Ajv["compile"]> {
  if (validateSchema === undefined) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    validateSchema = ajv.compile(JSON.parse(readFileSync(INVENTORY_SCHEMA_PATH, "utf8")));
  }
  return validateSchema;
}

type Json = Record<string, unknown>;

/** Reads and checks an inventory; InventoryError lists every problem found. */
export function readInventory(text: string, file: string): Inventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    throw new InventoryError(
      file,
      doc.errors.map((e) => ({ ...positionOf(at(e.pos[0])), path: "", message: e.message.replace(/ at line \d+, column \d+.*$/s, "") })),
    );
  }
  const data = plainData(doc, file, at);
  const locate = (path: (string | number)[]) => nodePosition(doc, path, at);
  const locateKey = (parent: (string | number)[], key: string) => keyPosition(doc, parent, key, at);
  const validate = schemaValidator();
  if (!validate(data)) {
    throw new InventoryError(file, (validate.errors ?? []).map((error) => schemaProblem(error, locate, locateKey)));
  }
  const problems: InventoryProblem[] = [];
  const hosts = resolveHosts(data as Json, locate, problems);
  if (problems.length > 0) throw new InventoryError(file, problems);
  return { file, hosts, rollout: ((data as Json).rollout ?? {}) as InventoryRollout };
}

/**
 * The document as plain data. The yaml library refuses an alias bomb (and an alias with no
 * anchor before it) only while converting, with an error that names no place: the problem
 * goes at the alias it stopped at, or at the document's start when no alias was involved.
 */
function plainData(doc: Document.Parsed, file: string, at: (offset: number) => { line: number; col: number }): unknown {
  try {
    return doc.toJS() ?? {};
  } catch (error) {
    const message = (error as Error).message;
    const stopped = aliasStoppedAt(doc);
    if (stopped === undefined) throw new InventoryError(file, [{ ...positionOf(at(doc.range[0])), path: "", message }]);
    const { alias, path } = stopped;
    const rule = /^Excessive alias count/.test(message)
      ? `alias *${alias.source} is refused: aliases would repeat too much of the document (a guard against YAML alias bombs)`
      : message;
    throw new InventoryError(file, [{ ...positionOf(at(alias.range?.[0] ?? 0)), path: dotted(path), message: rule }]);
  }
}

/**
 * The alias the conversion stopped at, with its path. The library's error does not say, so
 * the conversion runs again noting each alias as it is resolved; the library's own limit
 * stops it at the same alias, as soon as the first time.
 */
function aliasStoppedAt(doc: Document.Parsed): { alias: Alias; path: (string | number)[] } | undefined {
  let last: { alias: Alias; path: (string | number)[] } | undefined;
  visit(doc, {
    Alias(_key, alias, ancestors) {
      const resolve = alias.toJSON.bind(alias);
      const path = dataPath([...ancestors, alias]);
      alias.toJSON = (...args: Parameters<Alias["toJSON"]>) => {
        last = { alias, path };
        return resolve(...args);
      };
    },
  });
  try {
    doc.toJS();
  } catch {
    return last;
  }
  return undefined;
}

/** The data path down a chain of nodes (document to node), e.g. ["hosts", "h1", "snaps", 0]. */
function dataPath(chain: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  chain.forEach((node, i) => {
    const child = chain[i + 1];
    if (isSeq(node)) path.push(node.items.indexOf(child));
    else if (isPair(node) && child === node.value && isScalar(node.key)) path.push(String(node.key.value));
  });
  return path;
}

function positionOf(pos: { line: number; col: number }): { line: number; column: number } {
  return { line: pos.line, column: pos.col };
}

/** The position of the node at `path`, or of its nearest ancestor that exists. */
function nodePosition(doc: Document.Parsed, path: (string | number)[], at: (offset: number) => { line: number; col: number }) {
  for (let length = path.length; length >= 0; length--) {
    const node = doc.getIn(path.slice(0, length), true) as Node | undefined;
    if (node && node.range) return positionOf(at(node.range[0]));
  }
  return { line: 1, column: 1 };
}

/** The position of a mapping's key (for unknown keys). */
function keyPosition(doc: Document.Parsed, parent: (string | number)[], key: string, at: (offset: number) => { line: number; col: number }) {
  const map = doc.getIn(parent, true);
  if (isMap(map)) {
    const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (pair && isScalar(pair.key) && pair.key.range) return positionOf(at(pair.key.range[0]));
  }
  return nodePosition(doc, parent, at);
}

function pathOf(instancePath: string): (string | number)[] {
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function dotted(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${p}`)).join("");
}

type Locate = (path: (string | number)[]) => { line: number; column: number };

function schemaProblem(error: ErrorObject, locate: Locate, locateKey: (parent: (string | number)[], key: string) => { line: number; column: number }): InventoryProblem {
  const path = pathOf(error.instancePath);
  const where = dotted(path);
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(error.params.additionalProperty);
      const message = SECRET_KEYS.has(key)
        ? `secrets do not belong in the inventory: give "${key}" through Pulumi secret config (pulumi config set --secret) or load the key into an SSH agent`
        : `unknown key "${key}"`;
      return { ...locateKey(path, key), path: where, message };
    }
    case "required":
      return { ...locate(path), path: where, message: `missing required key "${String(error.params.missingProperty)}"` };
    case "type":
      return { ...locate(path), path: where, message: `must be ${error.params.type === "integer" ? "a whole number" : `a ${String(error.params.type)}`}` };
    case "enum":
      return { ...locate(path), path: where, message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "minimum":
    case "maximum":
      return { ...locate(path), path: where, message: `must be ${error.keyword === "minimum" ? "at least" : "at most"} ${String(error.params.limit)}` };
    default:
      return { ...locate(path), path: where, message: error.message ?? error.keyword };
  }
}

/** Merges defaults, groups and hosts, and checks names, snaps and connections. */
function resolveHosts(data: Json, locate: (path: (string | number)[]) => { line: number; column: number }, problems: InventoryProblem[]): InventoryHost[] {
  const fail = (path: (string | number)[], message: string) => problems.push({ ...locate(path), path: dotted(path), message });
  const check = (path: (string | number)[], run: () => void) => {
    try {
      run();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      // The connection checks say "host" where the inventory says "address".
      const field = error.field.split(".").filter(Boolean).map((f) => (f === "host" ? "address" : f));
      fail([...path, ...field].flatMap(splitIndex), error.reason);
    }
  };
  const defaults = (data.defaults ?? {}) as Json;
  const entries: Array<{ name: string; group?: string; host: Json; groupSettings: Json; path: (string | number)[] }> = [];
  for (const [group, body] of Object.entries((data.groups ?? {}) as Record<string, Json>)) {
    for (const [name, host] of Object.entries((body.hosts ?? {}) as Record<string, Json>)) {
      entries.push({ name, group, host, groupSettings: body, path: ["groups", group, "hosts", name] });
    }
  }
  for (const [name, host] of Object.entries((data.hosts ?? {}) as Record<string, Json>)) {
    entries.push({ name, host, groupSettings: {}, path: ["hosts", name] });
  }
  const seen = new Map<string, string>();
  const hosts: InventoryHost[] = [];
  // The snaps of defaults and groups reach every host that inherits them: what is wrong with
  // one of them is reported once, not once per host.
  const reported = new Set<string>();
  const once = (path: (string | number)[], run: () => void) => {
    if (reported.has(dotted(path))) return;
    reported.add(dotted(path));
    run();
  };
  for (const entry of entries) {
    if (!HOST_NAME.test(entry.name)) {
      fail(entry.path, `invalid host name ${JSON.stringify(entry.name)}: expected letters, digits, ".", "_" and "-", up to 63 characters`);
      continue;
    }
    const previous = seen.get(entry.name);
    if (previous !== undefined) {
      fail(entry.path, `host "${entry.name}" is already defined at ${previous}`);
      continue;
    }
    seen.set(entry.name, dotted(entry.path));
    const setting = <K extends (typeof SETTING_KEYS)[number]>(key: K): unknown =>
      entry.host[key] ?? entry.groupSettings[key] ?? defaults[key];
    const connection: InventoryConnection = {
      address: entry.host.address as string,
      ...optional("port", setting("port")),
      ...optional("user", setting("user")),
      ...optional("hostKey", entry.host.hostKey),
      ...optional("dialErrorLimit", setting("dialErrorLimit")),
      ...optional("perDialTimeout", setting("perDialTimeout")),
      ...optional("identityFile", setting("identityFile")),
      ...optional("proxy", proxyConnection(setting("proxy") as Json | undefined)),
    };
    check(entry.path, () => checkConnection(asChecked(connection), ""));
    if (connection.identityFile !== undefined && !/^[^\0\n]+$/.test(connection.identityFile)) {
      fail([...entry.path, "identityFile"], `invalid identity file path ${JSON.stringify(connection.identityFile)}`);
    }
    const snaps: InventorySnap[] = [];
    const ownList = [...entry.path, "snaps"];
    const sources: Array<[(string | number)[], unknown]> = [
      [["defaults", "snaps"], defaults.snaps],
      [entry.group ? ["groups", entry.group, "snaps"] : [], entry.groupSettings.snaps],
      [ownList, entry.host.snaps],
    ];
    const instances = new Map<string, string>();
    for (const [listPath, list] of sources) {
      ((list ?? []) as InventorySnap[]).forEach((snap, i) => {
        const path = [...listPath, i];
        once(path, () => {
          const before = problems.length;
          check(path, () => inContext("", () => desiredState(snap.instance, snap)));
          if (problems.length === before && snap.plug !== undefined) {
            const { snap: snapName } = desiredState(snap.instance);
            const reason = checkPrivatePlug(snapName, snap.plug.name ?? "shared-memory", snap.plug.attributes ?? { private: true });
            if (reason !== undefined) fail([...path, "plug"], reason);
          }
        });
        const already = instances.get(snap.instance);
        if (already === undefined) instances.set(snap.instance, dotted(path));
        else if (listPath === ownList) fail([...path, "instance"], `snap instance "${snap.instance}" is already listed for host "${entry.name}" at ${already}`);
        // A repeat within defaults and groups is the same for every host that inherits it.
        else once([...path, "instance"], () => fail([...path, "instance"], `snap instance "${snap.instance}" is already listed at ${already}`));
        snaps.push(snap);
      });
    }
    hosts.push({
      name: entry.name,
      ...(entry.group ? { group: entry.group } : {}),
      connection,
      become: (setting("become") as boolean | undefined) ?? false,
      driftDetection: (setting("driftDetection") as boolean | undefined) ?? true,
      snaps,
    });
  }
  return hosts;
}

/** "apps[1]" as two path steps. */
function splitIndex(step: string | number): (string | number)[] {
  if (typeof step === "number") return [step];
  const match = /^(.*)\[(\d+)\]$/.exec(step);
  return match ? [...(match[1] ? [match[1]] : []), Number(match[2])] : [step];
}

function optional<K extends string>(key: K, value: unknown): Partial<Record<K, never>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, never>>);
}

function proxyConnection(proxy: Json | undefined): InventoryConnection | undefined {
  if (proxy === undefined) return undefined;
  return { ...(proxy as unknown as InventoryConnection), address: proxy.address as string };
}

/** The connection checks take `host` where the inventory says `address`. */
function asChecked(connection: InventoryConnection): Record<string, unknown> {
  const { address, proxy, ...rest } = connection;
  return { ...rest, host: address, ...(proxy ? { proxy: asChecked(proxy) } : {}) };
}
