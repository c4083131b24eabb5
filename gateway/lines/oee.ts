import type { LineState, Oee } from "../../protocol/index.ts";
import { clip, type Interval, totalMs, union } from "./shift-calendar.ts";

export interface OeeInput {
  /** Planned production time (shifts minus planned downtime). */
  plannedMs: number;
  /** Running time within the planned time. */
  runPlannedMs: number;
  /** Running time in total (the line may run outside its shifts). */
  runMs: number;
  good: number;
  reject: number;
  ratedPerMin: number;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

function bounded(x: number, what: string, explanation: string[]): number {
  if (x > 1) {
    explanation.push(`${what} above 100 % (${round(x * 100)} %): capped at 100 %`);
    return 1;
  }
  return round(Math.max(0, x));
}

/**
 * OEE = availability × performance × quality (issue 5):
 * availability = run time / planned time, performance = (good + reject) / (run time × rated speed),
 * quality = good / (good + reject). Each factor is bounded to [0, 1]; a factor that cannot be measured is null
 * and `explanation` says why, so a dashboard never shows 0 % for "no data".
 */
export function computeOee(i: OeeInput): Oee {
  const explanation: string[] = [];
  const total = i.good + i.reject;
  let availability: number | null = null;
  if (i.plannedMs > 0) availability = bounded(i.runPlannedMs / i.plannedMs, "availability", explanation);
  else explanation.push("no planned production time (outside shifts or planned downtime)");
  let performance: number | null = null;
  if (i.runMs > 0 && i.ratedPerMin > 0) {
    performance = bounded(total / ((i.runMs / 60_000) * i.ratedPerMin), "performance", explanation);
  } else {
    explanation.push(
      total > 0 ? "counts without recorded run time (line state unknown)" : "the line did not run",
    );
  }
  let quality: number | null = null;
  if (total > 0) quality = round(i.good / total);
  else explanation.push("no masks counted");
  const oee =
    availability !== null && performance !== null && quality !== null
      ? round(availability * performance * quality)
      : null;
  return { availability, performance, quality, oee, explanation };
}

/** A stored state change (InfluxDB `line_state`). */
export interface StateChange {
  at: number;
  state: LineState;
}

/**
 * Running intervals within [from, to) from a line's state changes, given the state it was in at `from`
 * (the last change before it). The current state lasts until `now`, never into the future.
 */
export function runningIntervals(
  initial: LineState | null,
  changes: readonly StateChange[],
  from: number,
  to: number,
  now: number,
): Interval[] {
  const end = Math.min(to, now);
  const out: Interval[] = [];
  let state = initial;
  let at = from;
  for (const c of [...changes].sort((a, b) => a.at - b.at)) {
    if (c.at < from) {
      state = c.state;
      continue;
    }
    if (state === "running") out.push([at, c.at]);
    state = c.state;
    at = c.at;
  }
  if (state === "running") out.push([at, end]);
  return clip(union(out), from, end);
}

export const minutes = (ms: number) => Math.round(ms / 600) / 100;
export { totalMs };
