/**
 * `snap-shm summary CHECK_JSON [--preview FILE]`: a pull request's review summary in Markdown,
 * from `snap-shm check --json` output and, optionally, the text of `pulumi preview --diff`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Ajv, { ValidateFunction } from "ajv";
import { parsedOrUsageError } from "./args";
import { CheckedPart, CheckOutcome, describeSelfHeal, instanceInSync } from "./check-command";
import { CliIo, EXIT_OK, EXIT_USAGE, UsageError } from "./io";

export const SUMMARY_HELP = `Usage: snap-shm summary CHECK_JSON [--preview FILE]

Turns the JSON of 'snap-shm check --json' (a file, or - for standard input) into a Markdown
summary for a pull request: the verdict, one row per host and snap instance, and, with
--preview, the output of 'pulumi preview --diff' in a collapsed block.

  --preview FILE  include this preview output (colours are stripped)

Exit status: 0 summary printed, 2 unreadable input or bad usage.
`;

const PARTS = ["directory", "apparmor", "mount"] as const;
const PART_TITLES = { directory: "Directory", apparmor: "AppArmor", mount: "Mount" };

export function runSummary(argv: string[], io: CliIo): number {
  const { values, positionals } = parsedOrUsageError(() =>
    parseArgs({ args: argv, options: { preview: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true }),
  );
  if (values.help) {
    io.stdout(SUMMARY_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError("summary takes exactly one CHECK_JSON");
  const text = readInput(io, positionals[0]);
  if (text === undefined) return EXIT_USAGE;
  const outcome = parseOutcome(text, positionals[0]);
  let preview: string | undefined;
  if (values.preview !== undefined) {
    preview = readInput(io, values.preview);
    if (preview === undefined) return EXIT_USAGE;
  }
  io.stdout(reviewSummary(outcome, preview));
  return EXIT_OK;
}

/** A file's text, or undefined once why it cannot be read is printed (unreadable input is exit 2). */
function readInput(io: CliIo, file: string): string | undefined {
  try {
    return io.readFile(file);
  } catch (error) {
    io.stderr(`snap-shm summary: cannot read ${file}: ${(error as Error).message}\n`);
    return undefined;
  }
}

function parseOutcome(text: string, file: string): CheckOutcome {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const wrong = outcomeProblem(value);
  if (wrong !== undefined) throw new UsageError(`${file} is not the output of 'snap-shm check --json': ${wrong}`);
  return value as CheckOutcome;
}

export const CHECK_OUTPUT_SCHEMA_PATH = join(__dirname, "..", "..", "schema", "check-output.schema.json");

let validateOutcome: ValidateFunction | undefined;

/**
 * Where `value` is not what `snap-shm check --json` prints (schema/check-output.schema.json),
 * as `hosts[0].instances[1].parts must be object`; undefined when it is.
 */
function outcomeProblem(value: unknown): string | undefined {
  validateOutcome ??= new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(CHECK_OUTPUT_SCHEMA_PATH, "utf8")));
  if (validateOutcome(value)) return undefined;
  const [error] = validateOutcome.errors!;
  const where = error.instancePath
    .split("/")
    .slice(1)
    .map((step) => (/^\d+$/.test(step) ? `[${step}]` : `.${step}`))
    .join("")
    .replace(/^\./, "");
  return `${where || "the top level"} ${error.message}`;
}

/** The Markdown summary. */
export function reviewSummary(outcome: CheckOutcome, preview?: string): string {
  const reachable = outcome.hosts.filter((h) => h.reachable);
  const inSync = reachable.filter((h) => h.instances.every(instanceInSync));
  const lines = [
    "## snap-shm review",
    "",
    outcome.inSync
      ? `**In sync**: every part of every host (${outcome.hosts.length} host(s)).`
      : `**Drift found, or a host could not be checked**: ${inSync.length} of ${outcome.hosts.length} host(s) in sync, ${outcome.hosts.length - reachable.length} unreachable.`,
    "",
    `| Host | Snap | Mode | ${PARTS.map((p) => PART_TITLES[p]).join(" | ")} | Self-heal |`,
    `|---|---|---|${PARTS.map(() => "---").join("|")}|---|`,
  ];
  for (const host of outcome.hosts) {
    if (!host.reachable) {
      lines.push(row([host.name, "—", "—", `❌ unreachable: ${host.error ?? "unknown"}`, "", "", ""]));
    } else if (host.instances.length === 0) {
      lines.push(row([host.name, "—", "—", "no snaps", "", "", ""]));
    }
    for (const instance of host.reachable ? host.instances : []) {
      const heal = instance.selfHeal?.inSync === false ? `⚠️ ${describeSelfHeal(instance.selfHeal)}` : describeSelfHeal(instance.selfHeal);
      lines.push(row([host.name, instance.instance, instance.mode, ...PARTS.map((p) => cell(instance.parts[p])), heal]));
    }
  }
  if (preview !== undefined) {
    const text = stripColours(preview).replace(/\s+$/, "");
    const fence = "`".repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    lines.push("", "<details><summary>pulumi preview --diff</summary>", "", `${fence}diff`, text, fence, "", "</details>");
  }
  return `${lines.join("\n")}\n`;
}

function cell(part: CheckedPart | null): string {
  if (part === null) return "not probed";
  return part.inSync ? "✅ in sync" : `⚠️ drifted: ${part.differs.join(", ")}`;
}

/** A table row; pipes and line breaks in values would break the table. */
function row(cells: string[]): string {
  return `| ${cells.map((c) => c.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>")).join(" | ")} |`;
}

function stripColours(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}
