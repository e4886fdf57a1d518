/**
 * The text of a host operation as a `remote.Command` carries it: a short command line with
 * one quoted `key=value` argument per line (so a reviewer's diff shows the value that
 * changed), and the operation's shell script on standard input.
 *
 * The scripts are the POSIX sh files in src/host/; a part's script is lib.sh, the part's own
 * file and main.sh, with blank lines and comment lines left out (shellcheck directives kept,
 * so the script as sent is the one checked).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type HostPart = "directory" | "apparmor" | "mount" | "self-heal";
export type HostAction = "apply" | "remove" | "probe";
/**
 * A part's script; `host`: every part, for probing all instances of a host in one run;
 * `heal`: the program a self-heal installs on the host (the directory, AppArmor and mount
 * applies), which the self-heal part carries inside its own script.
 */
export type HostScript = HostPart | "host" | "heal";

/** Where the .sh files are, from src/render/ or dist/render/ alike. */
export const HOST_SCRIPT_DIR = join(__dirname, "..", "..", "src", "host");

/** The heal program's files; the self-heal part sends these same files (see selfHealScript). */
const HEAL_FILES = ["lib.sh", "snapd-version.sh", "directory.sh", "apparmor.sh", "mount.sh", "self-heal.sh", "main.sh"];

const SCRIPT_FILES: Record<HostScript, string[]> = {
  // The directory apply runs the prerequisite check first.
  directory: ["lib.sh", "snapd-version.sh", "prerequisites.sh", "directory.sh", "native.sh", "main.sh"],
  apparmor: ["lib.sh", "snapd-version.sh", "apparmor.sh", "native.sh", "main.sh"],
  mount: ["lib.sh", "mount.sh", "native.sh", "main.sh"],
  "self-heal": HEAL_FILES,
  heal: HEAL_FILES,
  host: ["lib.sh", "snapd-version.sh", "directory.sh", "apparmor.sh", "mount.sh", "native.sh", "self-heal.sh", "main.sh"],
};

/** The argument keys each operation takes, in the order they are written. */
const ARGUMENT_KEYS = [
  "instance",
  "operation-mode",
  "plug",
  "path",
  "mode",
  "owner",
  "group",
  "purge",
  "profiles",
  "profile",
  "entry",
  "generation",
  "app-snippet",
  "app-snippet-single-level",
  "app-snippet-recursive",
  "update-ns-snippet",
  "self-heal",
  "revision",
  "via",
] as const;
export type HostArgumentKey = (typeof ARGUMENT_KEYS)[number];
export type HostArguments = Partial<Record<HostArgumentKey, string>>;

/** What sudo says when it would ask for a password is replaced by a message that says what to do. */
export const SUDO_PASSWORD_MESSAGE =
  "snap-shm: sudo -n failed: sudo on this host asks for a password (or refuses this user), and there is no terminal to type one; give the SSH user passwordless sudo, or connect as root";

export interface HostCommand {
  /** The command line, run by the SSH user's login shell. */
  command: string;
  /** The operation's script, read by `sh -s` from standard input. */
  stdin: string;
}

const scriptCache = new Map<HostScript, string>();

/** The script for a part (or for a whole host's probe), as it is sent to hosts. */
export function hostScript(part: HostScript): string {
  let script = scriptCache.get(part);
  if (script === undefined) {
    const files = SCRIPT_FILES[part];
    script = part === "self-heal" ? selfHealScript(files) : sentText(files);
    scriptCache.set(part, script);
  }
  return script;
}

/** The files as they are sent. */
function sentText(files: string[]): string {
  return scriptAsSent(files.map((file) => readFileSync(join(HOST_SCRIPT_DIR, file), "utf8")).join("\n"));
}

/**
 * A shell script as it is sent and stored: blank lines and comment lines left out (they are
 * in the files), shellcheck directives kept.
 */
export function scriptAsSent(text: string): string {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "" && (!/^\s*#/.test(line) || /^\s*# shellcheck /.test(line)))
    .join("\n")
    .concat("\n");
}

/**
 * The self-heal part writes the heal program (these same files) into a file on the host, and
 * runs their functions itself. Its script carries the text once, as two single-quoted words
 * (no expansion: the text exactly) in `heal_functions` and `heal_entry`: it defines the
 * functions and runs the entry point from them with `eval`, and the apply writes the two
 * values back into the heal script.
 * Sending the functions a second time as code would double what every self-heal command
 * stores in the stack's state (its standard input is kept there, twice).
 */
function selfHealScript(files: string[]): string {
  const directive = "# shellcheck disable=SC1003,SC2016 # a program's text, kept as it is";
  return [
    directive,
    `heal_functions=${shellQuote(sentText(files.slice(0, -1)))}`,
    directive,
    `heal_entry=${shellQuote(sentText(files.slice(-1)))}`,
    'eval "$heal_functions"',
    'eval "$heal_entry"',
    "",
  ].join("\n");
}

/** A POSIX shell single-quoted word: the value exactly, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line for one operation. Values must already be validated; they are quoted
 * here whatever they hold, never concatenated into shell syntax.
 */
export function hostCommandLine(part: HostPart, action: HostAction, args: HostArguments, become: boolean): string {
  return commandLine(part, action, args.instance ?? "", argumentWords(args), become);
}

/** The command line probing every instance on a host in one run (script `host`). */
export function hostProbeCommandLine(instances: HostArguments[], become: boolean): string {
  return commandLine("host", "probe", "", instances.flatMap(argumentWords), become);
}

/**
 * The result line a run ends with when `sudo -n` refuses, before any script runs: the shape
 * lib.sh's `finish` prints on a failure (the error is the message without its `snap-shm: `).
 */
export function sudoRefusedResult(part: string, action: string, instance: string): string {
  return JSON.stringify({
    snapShm: 1,
    part,
    action,
    instance,
    ok: false,
    found: {},
    changed: [],
    notes: [],
    error: SUDO_PASSWORD_MESSAGE.replace(/^snap-shm: /, ""),
  });
}

function argumentWords(args: HostArguments): string[] {
  return ARGUMENT_KEYS.filter((key) => args[key] !== undefined).map((key) => shellQuote(`${key}=${args[key]}`));
}

/**
 * With `become`, a first line checks that `sudo -n` lets the user in: where it would ask for a
 * password, the run says so on standard error and ends, as every run does, with its result
 * line (printf, not echo: some shells' echo reads backslashes in the JSON).
 */
function commandLine(part: string, action: string, instance: string, words: string[], become: boolean): string {
  const run = [`${become ? "sudo -n " : ""}sh -s -- ${shellQuote(part)} ${shellQuote(action)}`, ...words].join(" \\\n  ");
  if (!become) return run;
  const refused = `echo ${shellQuote(SUDO_PASSWORD_MESSAGE)} >&2; printf '%s\\n' ${shellQuote(sudoRefusedResult(part, action, instance))}; exit 1;`;
  return `sudo -n sh -c : 2>/dev/null || { ${refused} }\n${run}`;
}

export function hostCommand(part: HostPart, action: HostAction, args: HostArguments, become: boolean): HostCommand {
  return { command: hostCommandLine(part, action, args, become), stdin: hostScript(part) };
}
