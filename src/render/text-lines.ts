/** Lines of a text with their offsets, terminators kept, so edits can give back exact bytes. */
export interface TextLine {
  /** Offset of the first character. */
  start: number;
  /** Offset just past the terminator (or the end of the text). */
  end: number;
  /** The line without its terminator. */
  content: string;
  /** Whether the line ends with "\n". */
  terminated: boolean;
}

export function splitLines(text: string): TextLine[] {
  const lines: TextLine[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf("\n", start);
    const end = newline === -1 ? text.length : newline + 1;
    lines.push({ start, end, content: text.slice(start, newline === -1 ? end : newline), terminated: newline !== -1 });
    start = end;
  }
  return lines;
}
