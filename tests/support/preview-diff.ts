/**
 * The update of one command (`command:remote:Command`, or a `command:local:Command` over a
 * shared connection) laid out as `pulumi preview --diff` lays out
 * a changed multi-line string (pkg/backend/display/object_diff.go, printLineDiff): a line
 * diff, blank lines left out, two lines of context around each change and "..." for the
 * rest. No Pulumi CLI runs on these machines; this renders the same layout from the
 * registered inputs so the README's example is what the resources really register.
 */

type Op = "same" | "delete" | "insert";

/** Line-level diff chunks (longest common subsequence), in order. */
function lineChunks(oldText: string, newText: string): Array<{ op: Op; lines: string[] }> {
  const a = oldText.split("\n");
  const b = newText.split("\n");
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const chunks: Array<{ op: Op; lines: string[] }> = [];
  const push = (op: Op, line: string) => {
    const last = chunks[chunks.length - 1];
    if (last && last.op === op) last.lines.push(line);
    else chunks.push({ op, lines: [line] });
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      push("same", a[i++]);
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) push("delete", a[i++]);
    else push("insert", b[j++]);
  }
  return chunks;
}

export function previewDiff(urn: string, property: string, oldText: string, newText: string, type = "command:remote:Command"): string {
  const out = [`    ~ ${type}: (update)`, `        [urn=${urn}]`, `      ~ ${property}: `];
  const margin = { same: "            ", delete: "          - ", insert: "          + " };
  const chunks = lineChunks(oldText, newText);
  const CONTEXT = 2;
  chunks.forEach((chunk, index) => {
    const lines = chunk.lines.filter((line) => line.trim() !== "");
    const write = (from: number, to: number) => lines.slice(from, to).forEach((line) => out.push(`${margin[chunk.op]}${line}`));
    if (chunk.op !== "same") return write(0, lines.length);
    if (index === 0 && lines.length > CONTEXT + 1) {
      out.push(`${margin.same}...`);
      return write(lines.length - CONTEXT, lines.length);
    }
    if (index === chunks.length - 1 && index > 0 && lines.length > CONTEXT + 1) {
      write(0, CONTEXT);
      return out.push(`${margin.same}...`);
    }
    if (index > 0 && index < chunks.length - 1 && lines.length > 2 * CONTEXT + 1) {
      write(0, CONTEXT);
      out.push(`${margin.same}...`);
      return write(lines.length - CONTEXT, lines.length);
    }
    write(0, lines.length);
  });
  return `${out.join("\n")}\n`;
}
