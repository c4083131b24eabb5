/**
 * Medians over repeated bench runs (`masktally bench --repeat N`): one 2-core machine shared with other work
 * is noisy (bench/README.md, Noise), so a figure is worth quoting only as a median with its range.
 *
 * A merged result has the shape of one run's result, each number replaced by its median, so the JSON keys
 * (`ingest.zeroLossRate`, …) and the scenario's own table keep working; `repeat` adds every numeric figure's
 * median, min, max and per-run values, and the runs themselves.
 */
export interface FigureRange {
  median: number;
  min: number;
  max: number;
  /** One value per run; null where that run had no number there (a ladder that stopped earlier, n/a). */
  values: Array<number | null>;
}

export interface RepeatSummary {
  count: number;
  /** By path into the result, e.g. `ladders[0].steps[2].p99Ms`. */
  ranges: Record<string, FigureRange>;
  results: unknown[];
}

/**
 * Nearest-rank median: for an even count the lower middle value, so it is always a value that was measured
 * (a zero-loss rate is a ladder step, never the mean of two).
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length / 2) - 1)] ?? 0;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * One value from the runs' values at the same place: numbers → median; booleans → median (false < true);
 * arrays element by element and objects key by key (an element or key missing from a run is left out);
 * anything else → the value the runs agree on. Where some runs have a number and others not (null: a figure
 * that was n/a in that run), the median of the numbers if at least half the runs have one, else the first
 * other value.
 */
export function mergeValues(values: readonly unknown[]): unknown {
  const present = values.filter((v) => v !== undefined);
  if (present.length === 0) return undefined;
  const numbers = present.filter((v): v is number => typeof v === "number");
  if (numbers.length === present.length) return median(numbers);
  if (present.every((v) => typeof v === "boolean")) return median(present.map((v) => (v ? 1 : 0))) === 1;
  if (present.every(Array.isArray)) {
    const length = Math.max(...present.map((a) => a.length));
    return Array.from({ length }, (_, i) => mergeValues(present.map((a) => a[i])));
  }
  if (present.every(isObject)) {
    const keys = [...new Set(present.flatMap((o) => Object.keys(o)))];
    return Object.fromEntries(keys.map((k) => [k, mergeValues(present.map((o) => o[k]))]));
  }
  if (numbers.length > 0 && numbers.length * 2 >= present.length) return median(numbers);
  return present.find((v) => typeof v !== "number");
}

/** Every numeric leaf of a result, by path. */
function leaves(value: unknown, path: string, out: Map<string, number>): void {
  if (typeof value === "number") out.set(path, value);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) leaves(v, `${path}[${i}]`, out);
  } else if (isObject(value))
    for (const [k, v] of Object.entries(value)) leaves(v, path === "" ? k : `${path}.${k}`, out);
}

/** Median, min, max and per-run values of every figure that is a number in at least one run. */
export function figureRanges(results: readonly unknown[]): Record<string, FigureRange> {
  const perRun = results.map((r) => {
    const m = new Map<string, number>();
    leaves(r, "", m);
    return m;
  });
  const paths = [...new Set(perRun.flatMap((m) => [...m.keys()]))];
  const out: Record<string, FigureRange> = {};
  for (const path of paths) {
    const values = perRun.map((m) => m.get(path) ?? null);
    const numbers = values.filter((v): v is number => v !== null);
    out[path] = { median: median(numbers), min: Math.min(...numbers), max: Math.max(...numbers), values };
  }
  return out;
}

/** One run: its result unchanged. Several: the medians, with `repeat` (ranges and runs) alongside. */
export function summarize(results: readonly unknown[]): unknown {
  if (results.length === 1) return results[0];
  const merged = mergeValues(results);
  const repeat: RepeatSummary = {
    count: results.length,
    ranges: figureRanges(results),
    results: [...results],
  };
  return isObject(merged) ? { ...merged, repeat } : { median: merged, repeat };
}

/** The table printed after a scenario's median report: figure | median | min–max | per run. */
export function rangeTable(scenario: string, ranges: Record<string, FigureRange>, count: number): string {
  const rows = Object.entries(ranges);
  const width = Math.max(6, ...rows.map(([p]) => p.length));
  return [
    `${scenario}: medians over ${count} runs`,
    `${"figure".padEnd(width)} | median | min–max | runs`,
    ...rows.map(
      ([p, r]) =>
        `${p.padEnd(width)} | ${r.median} | ${r.min}–${r.max} | ${r.values.map((v) => v ?? "–").join(", ")}`,
    ),
  ].join("\n");
}
