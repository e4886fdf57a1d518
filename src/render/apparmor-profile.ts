/**
 * The product's marked block in an AppArmor profile: inserted just before the profile's
 * closing brace, found again, replaced, removed. Removing gives back the original bytes.
 *
 * A text that is not one profile with its closing brace at the start of a line, or whose
 * block is half there, is refused with a ProfileShapeError: the operation never guesses.
 */
import { splitLines, TextLine } from "./text-lines";

export const BLOCK_BEGIN = "# BEGIN snap-shm private-shm";
export const BLOCK_END = "# END snap-shm private-shm";

export class ProfileShapeError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "ProfileShapeError";
  }
}

export interface ProfileBlock {
  /** Offset of the BEGIN marker line. */
  start: number;
  /** Offset just past the END marker line. */
  end: number;
  /** The text between the marker lines. */
  body: string;
}

interface ProfileShape {
  /** Offset of the line holding the profile's closing brace. */
  closingLineStart: number;
  block: ProfileBlock | null;
}

/** The block as it is written: markers at `indent`, `body` (ending in a newline) between. */
export function renderBlock(body: string, indent = ""): string {
  if (!body.endsWith("\n")) throw new ProfileShapeError("the block body must end with a newline");
  for (const line of splitLines(body)) {
    if (isMarker(line.content)) throw new ProfileShapeError("the block body must not contain the block markers");
    const { closers, openers } = blockBracesOf(line.content);
    if (closers.length > 0 || openers > 0) {
      throw new ProfileShapeError("the block body must not open or close a block");
    }
  }
  return `${indent}${BLOCK_BEGIN}\n${body}${indent}${BLOCK_END}\n`;
}

/** Inserts the block before the closing brace, or replaces the block that is there. */
export function insertBlock(profile: string, body: string, indent = ""): string {
  const block = renderBlock(body, indent);
  const shape = analyseProfile(profile);
  const [from, to] = shape.block ? [shape.block.start, shape.block.end] : [shape.closingLineStart, shape.closingLineStart];
  return profile.slice(0, from) + block + profile.slice(to);
}

/** The block in a profile, or `null` when it has none. */
export function findBlock(profile: string): ProfileBlock | null {
  return analyseProfile(profile).block;
}

/** The profile without the block (unchanged when it has none). */
export function removeBlock(profile: string): string {
  const { block } = analyseProfile(profile);
  return block ? profile.slice(0, block.start) + profile.slice(block.end) : profile;
}

function isMarker(content: string): boolean {
  const trimmed = content.trim();
  return trimmed === BLOCK_BEGIN || trimmed === BLOCK_END;
}

function analyseProfile(text: string): ProfileShape {
  let depth = 0;
  let profiles = 0;
  let closingLineStart: number | undefined;
  let begin: TextLine | undefined;
  let end: TextLine | undefined;
  for (const line of splitLines(text)) {
    const trimmed = line.content.trim();
    if (trimmed === BLOCK_BEGIN || trimmed === BLOCK_END) {
      if (depth !== 1) throw new ProfileShapeError("the snap-shm block is outside the profile body");
      if (trimmed === BLOCK_BEGIN) {
        if (begin) throw new ProfileShapeError("the snap-shm block begins twice");
        begin = line;
      } else {
        if (!begin) throw new ProfileShapeError("the snap-shm block ends before it begins");
        if (end) throw new ProfileShapeError("the snap-shm block ends twice");
        end = line;
      }
      continue;
    }
    const { closers, openers } = blockBracesOf(line.content);
    for (const index of closers) {
      depth--;
      if (depth < 0) throw new ProfileShapeError("a closing brace has no opening brace");
      if (depth === 0) {
        if (line.content.slice(0, index).trim() !== "") {
          throw new ProfileShapeError("the profile closing brace is not at the start of its line");
        }
        closingLineStart = line.start;
      }
    }
    for (let i = 0; i < openers; i++) {
      if (depth === 0) profiles++;
      depth++;
    }
  }
  if (profiles === 0) throw new ProfileShapeError("the text has no profile (no opening brace)");
  if (profiles > 1) throw new ProfileShapeError(`the text has ${profiles} profiles, not one`);
  if (depth !== 0 || closingLineStart === undefined) throw new ProfileShapeError("the profile has no closing brace");
  if (begin && !end) throw new ProfileShapeError("the snap-shm block begins but never ends");
  const block =
    begin && end ? { start: begin.start, end: end.end, body: text.slice(begin.end, end.start) } : null;
  if (block && !end!.terminated) throw new ProfileShapeError("the snap-shm block ends without a newline");
  return { closingLineStart, block };
}

/**
 * The braces of one profile line that open or close a block. Braces paired within the line
 * are globs or variables (`{,**}`, `@{HOME}`) and do not count; neither do braces in quoted
 * strings or comments (`#` at the start of the line or after white space).
 */
function blockBracesOf(content: string): { closers: number[]; openers: number } {
  const closers: number[] = [];
  let open = 0;
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const ch = content[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === "#" && (i === 0 || /\s/.test(content[i - 1]))) {
      break;
    } else if (ch === "{") {
      open++;
    } else if (ch === "}") {
      if (open > 0) open--;
      else closers.push(i);
    }
  }
  return { closers, openers: open };
}
