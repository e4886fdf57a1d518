/** `snap-shm validate FILE [--json]`: snapd's verdict on a snap's shared-memory plugs and slots. */
import { goFormat, goValueToJson, GoValue } from "../model/go-value";
import { checkSharedMemory, CheckedInterface, SharedMemoryReport } from "../model/shared-memory";
import { readSnapYaml, SnapDefinitionError, YamlSyntaxError } from "../model/snap-yaml";
import { parseArgs } from "node:util";
import { parsedOrUsageError } from "./args";
import { CliIo, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError } from "./io";

export const VALIDATE_HELP = `Usage: snap-shm validate FILE [--json]

Checks every shared-memory plug and slot of a snap.yaml or snapcraft.yaml exactly as
snapd does when it installs the snap (YAML 1.1, snapd's rules and messages).

  --json   print one JSON object: {snap, valid, summary, plugs, slots}

Exit status: 0 all valid, 1 a plug or slot is invalid (snapd's warning is printed),
2 unreadable input or bad usage.
`;

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
    const report = checkSharedMemory(readSnapYaml(text));
    io.stdout(values.json ? `${JSON.stringify(reportJson(report))}\n` : humanReport(report));
    return report.valid ? EXIT_OK : EXIT_FINDINGS;
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      io.stderr(`snap-shm validate: ${file} is not YAML snapd can read: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof SnapDefinitionError) {
      if (values.json) {
        io.stdout(`${JSON.stringify({ snap: null, valid: false, summary: null, error: error.message, plugs: [], slots: [] })}\n`);
      } else {
        io.stdout(`${file}: snapd refuses this snap: ${error.message}\n`);
      }
      return EXIT_FINDINGS;
    }
    throw error;
  }
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
