/** `snap-shm validate FILE [--json]`: snapd's verdict on a snap's shared-memory plugs and slots. */
import { compareBytes, goFormat, goValueToJson, GoValue } from "../model/go-value";
import { checkSharedMemory, CheckedInterface, SharedMemoryReport } from "../model/shared-memory";
import { readSnapYaml, SnapDeclaration, SnapDefinitionError, SourcePosition, UndeterminedRefusal, YamlSyntaxError } from "../model/snap-yaml";
import { parseArgs } from "node:util";
import { parsedOrUsageError } from "./args";
import { CliIo, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from "./io";

export const VALIDATE_HELP = `Usage: snap-shm validate FILE [--json]

Checks every shared-memory plug and slot of a snap.yaml or snapcraft.yaml exactly as
snapd does when it installs the snap (YAML 1.1, snapd's rules and messages).

  --json   print one JSON object: {snap, valid, summary, plugs, slots}

Exit status: 0 all valid, 1 a plug or slot is invalid (snapd's warning is printed) or
snapd refuses the snap outright, 2 unreadable input or bad usage, 3 every shared-memory
plug and slot is valid but whether snapd refuses the snap depends on its other interfaces'
checks, which the file alone cannot tell.

Plugs and slots of other interfaces are not judged (whether snapd knows the interface, and
its checks): snapd may drop some and list them in its warning too; they are named on stderr.
`;

/** Every shared-memory plug and slot is valid, but snapd's verdict on the snap cannot be told from the file. */
export const EXIT_UNDETERMINED = 3;

export function runValidate(argv: string[], io: CliIo): number {
  const { values, positionals } = parsedOrUsageError(() =>
    parseArgs({
      args: argv,
      options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    }),
  );
  if (values.help) {
    io.stdout(VALIDATE_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1) throw new UsageError("validate takes exactly one FILE");
  const [file] = positionals;
  let text: string;
  try {
    text = io.readFile(file);
  } catch (error) {
    io.stderr(`snap-shm validate: cannot read ${file}: ${(error as Error).message}\n`);
    return EXIT_USAGE;
  }
  try {
    const snap = readSnapYaml(text);
    const report = checkSharedMemory(snap);
    const undetermined = snap.undetermined ?? [];
    if (values.json) {
      const json = reportJson(report);
      io.stdout(`${JSON.stringify(undetermined.length > 0 ? { ...json, undetermined: undetermined.map(undeterminedJson) } : json)}\n`);
    } else {
      io.stdout(humanReport(report) + undetermined.map((u) => `${located(file, u.position)}${undeterminedText(u)}\n`).join(""));
    }
    const unjudged = otherInterfaces(snap);
    if (unjudged.length > 0) {
      io.stderr(
        `snap-shm validate: ${file}: not judged: ${unjudged.join(", ")}: plugs and slots of other interfaces than shared-memory, ` +
          `which snapd drops (listing them in its "has bad plugs or slots" warning) when it does not know their interface or the interface refuses them\n`,
      );
    }
    if (!report.valid) return EXIT_FINDINGS;
    return undetermined.length > 0 ? EXIT_UNDETERMINED : EXIT_OK;
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      io.stderr(`snap-shm validate: ${file} is not YAML snapd can read: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof SnapDefinitionError) {
      if (values.json) {
        const position = error.position ? { position: error.position } : {};
        io.stdout(`${JSON.stringify({ snap: null, valid: false, summary: null, error: error.reason, ...position, plugs: [], slots: [] })}\n`);
      } else {
        io.stdout(`${located(file, error.position)}snapd refuses this snap: ${error.reason}\n`);
      }
      return EXIT_FINDINGS;
    }
    throw error;
  }
}

/** `FILE:LINE:COLUMN: `, or `FILE: ` where the place is not known. */
function located(file: string, position: SourcePosition | undefined): string {
  return position ? `${file}:${position.line}:${position.column}: ` : `${file}: `;
}

function undeterminedText(u: UndeterminedRefusal): string {
  const sides = u.unlessDropped.map((d) => `${d.kind} "${d.name}" (interface "${d.interface}")`).join(" or ");
  return (
    `cannot tell from the file alone: snapd refuses this snap (${u.refusal}) unless it drops ${sides} while sanitizing, ` +
    `which depends on whether that snapd knows the interface and on the interface's own checks`
  );
}

function undeterminedJson(u: UndeterminedRefusal) {
  return { refusal: u.refusal, unlessDropped: u.unlessDropped, ...(u.position ? { position: u.position } : {}) };
}

/** The plugs and slots kept of interfaces other than shared-memory, which validate cannot judge. */
function otherInterfaces(snap: SnapDeclaration): string[] {
  const names = new Set([...snap.plugs, ...snap.slots].filter((d) => d.interface !== "shared-memory").map((d) => d.name));
  return [...names].sort(compareBytes);
}

function attrsJson(attrs: Map<string, GoValue>): Record<string, unknown> {
  return Object.fromEntries([...attrs].map(([k, v]) => [k, goValueToJson(v)]));
}

function interfaceJson(checked: CheckedInterface) {
  return {
    name: checked.name,
    interface: checked.interface,
    valid: checked.valid,
    ...(checked.error !== undefined ? { error: checked.error } : {}),
    attrs: attrsJson(checked.attrs),
  };
}

function reportJson(report: SharedMemoryReport) {
  return {
    snap: report.snap,
    valid: report.valid,
    summary: report.summary,
    plugs: report.plugs.map(interfaceJson),
    slots: report.slots.map(interfaceJson),
  };
}

function humanReport(report: SharedMemoryReport): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const lines = [`${report.snap}: ${count(report.plugs.length, "shared-memory plug")}, ${count(report.slots.length, "slot")}`];
  for (const checked of [...report.plugs, ...report.slots]) {
    const verdict = checked.valid
      ? `valid  ${[...checked.attrs].map(([k, v]) => `${k}=${goFormat(v)}`).join(" ")}`
      : `invalid: ${checked.error}`;
    lines.push(`  ${checked.kind} ${checked.name}: ${verdict}`);
  }
  if (report.summary !== null) lines.push(report.summary);
  else if (report.privatePlug !== null) lines.push(`${report.snap} asks for a private /dev/shm (plug ${report.privatePlug}).`);
  return `${lines.join("\n")}\n`;
}
