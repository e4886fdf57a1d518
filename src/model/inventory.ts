/**
 * The fleet inventory: a YAML file of defaults, groups and hosts, checked against the
 * published JSON Schema (schema/inventory.schema.json) and then against snapd's rules and the
 * connection rules, every problem named with its file, line and column. Settings go from
 * defaults to group to host, the more specific winning; snaps lists add up.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import Ajv, { ErrorObject } from "ajv";
import { Alias, isPair, isScalar, isSeq, LineCounter, parseDocument, Document, visit } from "yaml";
import { connectionProblems, looksLikeKeyMaterial } from "./connection";
import { desiredState } from "./desired-state";
import { inContext, InputError } from "./input-error";
import { RequestedMode } from "./operation-mode";
import { checkPrivatePlug } from "./shared-memory";
import { keyName, mappingAt, mergeSourceProblems, nodeAt, pairFor } from "./yaml-merge";

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
  connectionSharing: boolean;
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
const SETTING_KEYS = ["port", "user", "become", "dialErrorLimit", "perDialTimeout", "identityFile", "proxy", "driftDetection", "connectionSharing"] as const;

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
  // Merge keys (`<<: *anchor`) as YAML 1.1 has them: inventories share settings that way.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    throw new InventoryError(
      file,
      doc.errors.map((e) => ({
        ...positionOf(at(e.pos[0])),
        ...(e.code === "DUPLICATE_KEY" ? duplicateKey(doc, e.pos[0]) : undefined) ?? { path: "", message: e.message.replace(/ at line \d+, column \d+.*$/s, "") },
      })),
    );
  }
  const wrongMerges = mergeSourceProblems(doc, dataPath);
  if (wrongMerges.length > 0) {
    throw new InventoryError(
      file,
      wrongMerges.map(({ node, path, message }) => ({ ...positionOf(at(node.range?.[0] ?? 0)), path: dotted(path), message })),
    );
  }
  const data = plainData(doc, file, at);
  const locate = (path: (string | number)[]) => nodePosition(doc, path, at);
  const locateKey = (parent: (string | number)[], key: string) => keyPosition(doc, parent, key, at);
  const validate = schemaValidator();
  if (!validate(data)) {
    throw new InventoryError(file, (validate.errors ?? []).map((error) => schemaProblem(error, data, locate, locateKey)));
  }
  const problems: InventoryProblem[] = hostNamesReadOtherwise(doc, data as Json, at);
  const hosts = resolveHosts(data as Json, locate, problems);
  // An inventory without hosts (empty, or only comments) is a mistake, not a fleet of none:
  // check would call it in sync, and the Pulumi program would remove every host's set-up.
  if (problems.length === 0 && hosts.length === 0) {
    problems.push({ ...locate(["hosts"]), path: "hosts", message: 'no hosts: give at least one host under "hosts" or under a group\'s "hosts"' });
  }
  if (problems.length > 0) throw new InventoryError(file, problems);
  return { file, hosts, rollout: ((data as Json).rollout ?? {}) as InventoryRollout };
}

/**
 * Host names YAML reads as something else than they are written: a plain `01` is the number
 * 1, and the host would be named "1" (`0x1F` 31, `1e3` 1000). Each is refused where it is
 * written, to be quoted; a plain `7` is read as written and passes.
 */
function hostNamesReadOtherwise(doc: Document.Parsed, data: Json, at: (offset: number) => { line: number; col: number }): InventoryProblem[] {
  const lists = [["hosts"], ...Object.keys((data.groups ?? {}) as Json).map((group) => ["groups", group, "hosts"])];
  const problems: InventoryProblem[] = [];
  for (const path of lists) {
    for (const item of mappingAt(doc, path)?.items ?? []) {
      const key = item.key;
      if (!isScalar(key) || typeof key.value === "string" || key.source === undefined || String(key.value) === key.source) continue;
      problems.push({
        ...positionOf(at(key.range?.[0] ?? 0)),
        path: dotted([...path, String(key.value)]),
        message: `host name ${key.source} is read by YAML as ${String(key.value)}: quote it ("${key.source}") to keep the name as written`,
      });
    }
  }
  return problems;
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

/** The yaml library's duplicate key error (which names neither), as the mapping's path and the key. */
function duplicateKey(doc: Document.Parsed, offset: number): { path: string; message: string } | undefined {
  let found: { path: string; message: string } | undefined;
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      found = { path: dotted(dataPath([...ancestors, pair])), message: `key ${JSON.stringify(String(pair.key.value))} is given twice` };
      return visit.BREAK;
    },
  });
  return found;
}

/** The data path down a chain of nodes (document to node), e.g. ["hosts", "h1", "snaps", 0]. */
function dataPath(chain: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  chain.forEach((node, i) => {
    const child = chain[i + 1];
    if (isSeq(node)) path.push(node.items.indexOf(child));
    else if (isPair(node) && child === node.value && isScalar(node.key)) path.push(keyName(node.key));
  });
  return path;
}

function positionOf(pos: { line: number; col: number }): { line: number; column: number } {
  return { line: pos.line, column: pos.col };
}

/**
 * The position of the node at `path` (where it is written: a merged value in the mapping it
 * was merged from), or of its nearest ancestor that exists.
 */
function nodePosition(doc: Document.Parsed, path: (string | number)[], at: (offset: number) => { line: number; col: number }) {
  for (let length = path.length; length >= 0; length--) {
    const node = nodeAt(doc, path.slice(0, length));
    if (node && node.range) return positionOf(at(node.range[0]));
  }
  return { line: 1, column: 1 };
}

/** The position of a mapping's key (for unknown keys), merged keys included. */
function keyPosition(doc: Document.Parsed, parent: (string | number)[], key: string, at: (offset: number) => { line: number; col: number }) {
  const map = mappingAt(doc, parent);
  const pair = map ? pairFor(doc, map, key) : undefined;
  if (pair && isScalar(pair.key) && pair.key.range) return positionOf(at(pair.key.range[0]));
  return nodePosition(doc, parent, at);
}

/**
 * A JSON Pointer as path steps: an index where the data there is a list, a key otherwise (a
 * host named "01" stays "01").
 */
function pathOf(instancePath: string, data: unknown): (string | number)[] {
  let at = data;
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => {
      const step = Array.isArray(at) && /^\d+$/.test(part) ? Number(part) : part;
      at = at !== null && typeof at === "object" ? (at as Record<string | number, unknown>)[step] : undefined;
      return step;
    });
}

function dotted(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${p}`)).join("");
}

type Locate = (path: (string | number)[]) => { line: number; column: number };

const TYPE_NAMES: Record<string, string> = {
  integer: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "a boolean (true or false)",
  array: "a list",
  object: "a mapping",
};

/** The value at `path` in the data. */
function valueAt(data: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((value, step) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[step] : undefined), data);
}

/**
 * A value as messages show it: a scalar as JSON, a list or mapping by its kind (it may be long,
 * and may hold anything). Never a value that may be a secret: an identity file field (where a
 * key may be pasted by mistake) or anything that looks like key material.
 */
function shown(path: (string | number)[], value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a mapping";
  if (path[path.length - 1] === "identityFile" || (typeof value === "string" && looksLikeKeyMaterial(value))) return "the value given (not shown)";
  return JSON.stringify(value) ?? String(value);
}

function schemaProblem(
  error: ErrorObject,
  data: unknown,
  locate: Locate,
  locateKey: (parent: (string | number)[], key: string) => { line: number; column: number },
): InventoryProblem {
  const path = pathOf(error.instancePath, data);
  const where = dotted(path);
  const not = `, not ${shown(path, valueAt(data, path))}`;
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
    case "type": {
      const type = String(error.params.type);
      // The top level has no path to name.
      const what = where ? "" : "the inventory ";
      const kind = where ? (TYPE_NAMES[type] ?? type) : "a mapping (of defaults, groups, hosts and rollout)";
      return { ...locate(path), path: where, message: `${what}must be ${kind}${not}` };
    }
    case "enum":
      return { ...locate(path), path: where, message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}${not}` };
    case "minimum":
    case "maximum":
      return { ...locate(path), path: where, message: `must be ${error.keyword === "minimum" ? "at least" : "at most"} ${String(error.params.limit)}${not}` };
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
      fail([...path, ...error.field.split(".").filter(Boolean)].flatMap(splitIndex), error.reason);
    }
  };
  const defaults = (data.defaults ?? {}) as Json;
  // Each setting is checked where it is written, once, however many hosts inherit it.
  checkSettings(defaults, ["defaults"], false, fail);
  const entries: Array<{ name: string; group?: string; host: Json; groupSettings: Json; path: (string | number)[] }> = [];
  // In the order they are written: JavaScript puts keys like "7" before all others.
  const written = (parent: string[], mapping: unknown): Array<[string, Json]> =>
    Object.entries((mapping ?? {}) as Record<string, Json>)
      .map((entry) => ({ entry, at: locate([...parent, entry[0]]) }))
      .sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column)
      .map(({ entry }) => entry);
  for (const [group, body] of written(["groups"], data.groups)) {
    checkSettings(body, ["groups", group], false, fail);
    for (const [name, host] of written(["groups", group, "hosts"], body.hosts)) {
      entries.push({ name, group, host, groupSettings: body, path: ["groups", group, "hosts", name] });
    }
  }
  for (const [name, host] of written(["hosts"], data.hosts)) {
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
    checkSettings(entry.host, entry.path, true, fail);
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
    const connectionSharing = (setting("connectionSharing") as boolean | undefined) ?? false;
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
      connectionSharing,
      snaps,
    });
  }
  return hosts;
}

type Fail = (path: (string | number)[], message: string) => void;

/**
 * The connection settings of defaults, a group or a host (and of its proxy), each problem at
 * the setting's own path. Only a host has an address (and must).
 */
function checkSettings(settings: Json, path: (string | number)[], isHost: boolean, fail: Fail): void {
  const connection = { ...settings, ...(isHost ? { host: settings.address } : {}), proxy: settings.proxy && asChecked(settings.proxy as InventoryConnection) };
  for (const problem of connectionProblems(connection, "", { hostRequired: isHost })) {
    // The connection checks say "host" where the inventory says "address".
    const field = problem.field.split(".").filter(Boolean).map((f) => (f === "host" ? "address" : f));
    fail([...path, ...field], problem.reason);
  }
  checkIdentityFile(settings.identityFile, [...path, "identityFile"], fail);
  if (settings.proxy !== undefined) checkIdentityFile((settings.proxy as Json).identityFile, [...path, "proxy", "identityFile"], fail);
}

/** An identity file is a path; a key pasted in its place is refused without being shown. */
function checkIdentityFile(value: unknown, path: (string | number)[], fail: Fail): void {
  if (typeof value !== "string") return;
  if (looksLikeKeyMaterial(value)) {
    fail(
      path,
      "secrets do not belong in the inventory: this looks like a private key (not shown); give the key file's path here, or load the key into an SSH agent",
    );
  } else if (!/^[^\0\n]+$/.test(value)) {
    fail(path, `invalid identity file path ${JSON.stringify(value)}: expected the path of a private key file`);
  }
}

/**
 * The file an identityFile names: a relative path starts at `baseDir`, the inventory's folder,
 * for the Pulumi program and `check` alike.
 */
export function identityFilePath(identityFile: string, baseDir: string): string {
  return isAbsolute(identityFile) ? identityFile : resolve(baseDir, identityFile);
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
