import type { Plant } from "../../protocol/index.ts";
import { addDays, localTime, productionDay } from "./production-day.ts";

/**
 * Shift and planned-time arithmetic in a plant's time zone, pure (docs/adr/0007-production-day-shifts-and-alerts.md).
 * A shift occurrence belongs to the date it starts on: the night shift 20:00 → 08:00 of 10 Feb is one shift,
 * "2020-02-10 night", even though it ends on 11 Feb.
 */

/** [from, to) in ms since the Unix epoch. */
export type Interval = [number, number];

export interface ShiftOccurrence {
  name: string;
  /** Local date the shift starts on. */
  date: string;
  from: number;
  to: number;
}

const byStart = (a: { start: string }, b: { start: string }) => a.start.localeCompare(b.start);

/** The shifts that start on `date` in the plant's calendar, in start order. */
export function shiftsOfDate(plant: Pick<Plant, "shifts" | "timezone">, date: string): ShiftOccurrence[] {
  const tz = plant.timezone;
  const shifts = [...plant.shifts].sort(byStart);
  return shifts.map((s, i) => {
    const from = localTime(date, s.start, tz);
    let to: number;
    if (s.end !== undefined) {
      to = localTime(s.end > s.start ? date : addDays(date, 1), s.end, tz);
    } else {
      const next = shifts[i + 1];
      to =
        next !== undefined
          ? localTime(date, next.start, tz)
          : localTime(addDays(date, 1), shifts[0]?.start ?? s.start, tz);
    }
    return { name: s.name, date, from, to };
  });
}

/** Every shift occurrence that overlaps [from, to). */
export function shiftsBetween(plant: Pick<Plant, "shifts" | "timezone">, from: number, to: number) {
  const out: ShiftOccurrence[] = [];
  const last = productionDay(to, plant.timezone);
  for (let d = addDays(productionDay(from, plant.timezone), -1); d <= last; d = addDays(d, 1)) {
    for (const s of shiftsOfDate(plant, d)) if (s.to > from && s.from < to) out.push(s);
  }
  return out;
}

/** The shift occurrence running at `ts`, or null outside every shift. */
export function shiftAt(plant: Pick<Plant, "shifts" | "timezone">, ts: number): ShiftOccurrence | null {
  return shiftsBetween(plant, ts, ts + 1).find((s) => s.from <= ts && ts < s.to) ?? null;
}

/** Planned-downtime windows of one line that overlap [from, to). */
export function downtimeWindows(plant: Plant, line: string, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  const tz = plant.timezone;
  const last = productionDay(to, tz);
  for (const w of plant.plannedDowntime) {
    if (w.lines !== undefined && !w.lines.includes(line)) continue;
    for (let d = addDays(productionDay(from, tz), -1); d <= last; d = addDays(d, 1)) {
      if (w.dates !== undefined && !w.dates.includes(d)) continue;
      const start = localTime(d, w.start, tz);
      const end = localTime(w.end > w.start ? d : addDays(d, 1), w.end, tz);
      if (end > from && start < to) out.push([start, end]);
    }
  }
  return out;
}

/** Sorted, non-overlapping union of intervals. */
export function union(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const top = out[out.length - 1];
    if (top !== undefined && a <= top[1]) top[1] = Math.max(top[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** `base` minus `cut`, both unions of intervals. */
export function subtract(base: readonly Interval[], cut: readonly Interval[]): Interval[] {
  let out = union(base);
  for (const [c0, c1] of union(cut)) {
    out = out.flatMap(([a, b]): Interval[] => {
      if (c1 <= a || c0 >= b) return [[a, b]];
      const parts: Interval[] = [];
      if (c0 > a) parts.push([a, c0]);
      if (c1 < b) parts.push([c1, b]);
      return parts;
    });
  }
  return out;
}

export function clip(intervals: readonly Interval[], from: number, to: number): Interval[] {
  return intervals.map(([a, b]): Interval => [Math.max(a, from), Math.min(b, to)]).filter(([a, b]) => b > a);
}

export const totalMs = (intervals: readonly Interval[]) => intervals.reduce((s, [a, b]) => s + (b - a), 0);

/** Planned production time of a line within [from, to): its shifts minus planned downtime. */
export function plannedIntervals(plant: Plant, line: string, from: number, to: number): Interval[] {
  const shifts = shiftsBetween(plant, from, to).map((s): Interval => [s.from, s.to]);
  return clip(subtract(shifts, downtimeWindows(plant, line, from, to)), from, to);
}

export function plannedMs(plant: Plant, line: string, from: number, to: number): number {
  return totalMs(plannedIntervals(plant, line, from, to));
}

/** Whether `ts` is planned production time for the line (in a shift and not in planned downtime). */
export function isPlanned(plant: Plant, line: string, ts: number): boolean {
  return plannedMs(plant, line, ts, ts + 1) > 0;
}
