/**
 * Edits of snapd's desired mount profile (`/var/lib/snapd/mount/snap.I.fstab`): the entry
 * present exactly once, every other line kept byte for byte, and the file deleted when the
 * entry was all that was left (snapd never leaves an empty mount profile behind).
 */
import { splitLines, TextLine } from "./text-lines";

export class FstabConflictError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "FstabConflictError";
  }
}

export interface FstabEdit {
  text: string;
  changed: boolean;
}

export interface FstabRemoval extends FstabEdit {
  /** Nothing but white space is left: delete the file, as snapd does. */
  deleteFile: boolean;
}

/** An fstab line's six fields, with fs_freq and fs_passno defaulting to 0; `null` for blanks and comments. */
function fieldsOf(content: string): string[] | null {
  const trimmed = content.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return null;
  const fields = trimmed.split(/\s+/);
  while (fields.length < 6) fields.push("0");
  return fields;
}

function sameEntry(a: string[] | null, b: string[]): boolean {
  return a !== null && a.length === b.length && a.every((field, i) => field === b[i]);
}

function entryFields(entry: string): string[] {
  const fields = fieldsOf(entry);
  if (fields === null || fields.length !== 6 || entry.includes("\n")) {
    throw new FstabConflictError(`not a single fstab entry: ${JSON.stringify(entry)}`);
  }
  return fields;
}

interface EntryLines {
  lines: TextLine[];
  /** Lines with exactly the entry's fields. */
  matches: TextLine[];
  /** Other entries that mount on the entry's target. */
  conflicts: TextLine[];
}

function entryLines(text: string, entry: string): EntryLines {
  const wanted = entryFields(entry);
  const lines = splitLines(text);
  const result: EntryLines = { lines, matches: [], conflicts: [] };
  for (const line of lines) {
    const fields = fieldsOf(line.content);
    if (sameEntry(fields, wanted)) result.matches.push(line);
    else if (fields !== null && fields[1] === wanted[1]) result.conflicts.push(line);
  }
  return result;
}

/**
 * The lines not cut, byte for byte. When the cut took the last line and it had no newline,
 * the text keeps ending without one.
 */
function withoutLines(lines: TextLine[], text: string, cut: TextLine[]): string {
  const kept = lines.filter((line) => !cut.includes(line));
  let result = kept.map((line) => text.slice(line.start, line.end)).join("");
  const last = lines[lines.length - 1];
  if (last && !last.terminated && cut.includes(last) && result.endsWith("\n")) result = result.slice(0, -1);
  return result;
}

/**
 * The text with `entry` present exactly once (appended when missing). Another entry that
 * mounts on the same target is refused: two binds over /dev/shm would hide each other.
 */
export function addMountEntry(text: string, entry: string): FstabEdit {
  const { lines, matches, conflicts } = entryLines(text, entry);
  if (conflicts.length > 0) {
    throw new FstabConflictError(
      `another entry already mounts on ${entryFields(entry)[1]}: ${JSON.stringify(conflicts[0].content)}`,
    );
  }
  if (matches.length === 0) {
    const appended = text === "" || text.endsWith("\n") ? `${text}${entry}\n` : `${text}\n${entry}`;
    return { text: appended, changed: true };
  }
  const duplicates = matches.slice(1);
  return { text: withoutLines(lines, text, duplicates), changed: duplicates.length > 0 };
}

/** The text without `entry` (other entries kept, even on the same target), and whether the file should go. */
export function removeMountEntry(text: string, entry: string): FstabRemoval {
  const { lines, matches } = entryLines(text, entry);
  const result = withoutLines(lines, text, matches);
  return { text: result, changed: matches.length > 0, deleteFile: result.trim() === "" };
}

/** Whether `entry` is present exactly once (and nothing else mounts on its target). */
export function hasMountEntry(text: string, entry: string): boolean {
  const { matches, conflicts } = entryLines(text, entry);
  return matches.length === 1 && conflicts.length === 0;
}
