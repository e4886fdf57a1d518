#!/usr/bin/env node
/** `snap-shm`: reviews of private /dev/shm set-ups where no Pulumi engine runs. */
import { readFileSync } from "node:fs";
import { CHECK_HELP, runCheck } from "./check-command";
import { CliIo, EXIT_OK, EXIT_USAGE, UsageError } from "./io";
import { runRender, RENDER_HELP } from "./render-command";
import { runSummary, SUMMARY_HELP } from "./review-summary";
import { runValidate, VALIDATE_HELP } from "./validate-command";

const COMMANDS: Record<string, { run: (argv: string[], io: CliIo) => number | Promise<number>; help: string }> = {
  validate: { run: runValidate, help: VALIDATE_HELP },
  render: { run: runRender, help: RENDER_HELP },
  check: { run: runCheck, help: CHECK_HELP },
  summary: { run: runSummary, help: SUMMARY_HELP },
};

export const MAIN_HELP = `Usage: snap-shm COMMAND [ARGS]

Commands:
  validate FILE       check a snap.yaml or snapcraft.yaml's shared-memory plugs and slots as snapd does
  render INSTANCE     print what would be written on a host for a snap instance
  check INVENTORY     probe every host of an inventory for drift, over SSH
  summary CHECK_JSON  turn 'check --json' (and a preview's diff) into a Markdown review summary

Run 'snap-shm COMMAND --help' for a command's options.
`;

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the help goes to stderr, where usage errors go.
    io.stderr(`snap-shm: no command given\n\n${MAIN_HELP}`);
    return EXIT_USAGE;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout(MAIN_HELP);
    return EXIT_OK;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`snap-shm: unknown command ${JSON.stringify(name)}\n\n${MAIN_HELP}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`snap-shm ${name}: ${error.message}\n\n${command.help}`);
      return EXIT_USAGE;
    }
    // A failure no command foresaw: one line and exit 2, never a stack trace, and never
    // exit 1, which says the input was read and has findings.
    io.stderr(`snap-shm ${name}: unexpected error: ${oneLine(error)}\n`);
    return EXIT_USAGE;
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ");
}

if (require.main === module) {
  void main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFileSync(path === "-" ? 0 : path, "utf8"),
  }).then((status) => {
    process.exitCode = status;
  });
}
