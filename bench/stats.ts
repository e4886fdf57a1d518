/** Pure statistics for the benchmark: no I/O, tested in tests/bench. */

/**
 * The p-th percentile (0 to 100) of the samples, by linear interpolation between closest
 * ranks (the "R-7" rule, as numpy's default and spreadsheets' PERCENTILE): rank
 * h = (n - 1) * p / 100, value = x[floor h] + (h - floor h) * (x[floor h + 1] - x[floor h]).
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error("percentile of no samples");
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile ${p} is not between 0 and 100`);
  const sorted = [...samples].sort((a, b) => a - b);
  const h = ((sorted.length - 1) * p) / 100;
  const low = Math.floor(h);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (h - low) * (sorted[high] - sorted[low]);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    median: median(samples),
    p95: percentile(samples, 95),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** How a measured figure stands against a goal. */
export interface Verdict {
  met: boolean;
  /** What the goal says, e.g. "≤ 1.5×" or "≥ 10×". */
  goal: string;
  /** A sentence: met, or missed by how much. */
  text: string;
}

/**
 * Checks `value` against an upper bound (`at most`) or a lower bound (`at least`); `unit` is
 * printed after the numbers ("×", " ms"). A miss says by how much, absolutely and relatively.
 */
export function verdict(value: number, bound: number, kind: "at most" | "at least", unit: string, digits = 2): Verdict {
  const met = kind === "at most" ? value <= bound : value >= bound;
  const goal = `${kind === "at most" ? "≤" : "≥"} ${fmt(bound, digits)}${unit}`;
  if (met) return { met, goal, text: `met (${fmt(value, digits)}${unit})` };
  const over = kind === "at most" ? value / bound : bound / value;
  const how = kind === "at most" ? `${fmt(value - bound, digits)}${unit} over` : `${fmt(bound - value, digits)}${unit} short`;
  return { met, goal, text: `missed by ${how} (${fmt(value, digits)}${unit}, ${fmt(over, 2)}× the goal)` };
}

/** A number with a fixed count of decimals, without trailing noise. */
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(digits);
}

/** a / b, guarded: a ratio of nothing is not a number. */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}
