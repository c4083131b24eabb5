import type { Plant } from "../../protocol/index.ts";
import { addDays, dayStart } from "./production-day.ts";
import { type Interval, plannedIntervals, totalMs } from "./shift-calendar.ts";

/**
 * Planned production time per line and whole production day, memoised: the calendar walks (shifts and
 * downtime windows through Intl time-zone arithmetic) dominated /api/capacity and /api/plants/:plant/days
 * (issue 7), yet a day's plan depends only on the calendar — time zone, shifts, the downtime windows that
 * apply to the line — and the date, never on the clock.
 *
 * The memo is keyed by that calendar's content, so a registry reload that changes a calendar simply asks
 * under another key (and plants sharing the usual two shifts share one walk per date). The content key of a
 * Plant object is itself remembered per object (WeakMap): a reload parses new objects.
 */

export interface PlannedDay {
  /** [start, end) of the production day: local midnight to local midnight. */
  from: number;
  to: number;
  /** The line's planned intervals within [from, to), sorted and disjoint. */
  planned: Interval[];
  plannedMs: number;
}

/** Entries kept: a quarter of /days (MAX_DAYS) for many distinct calendars. */
const MAX_ENTRIES = 20_000;

const bounds = new Map<string, Interval>();
const plans = new Map<string, PlannedDay>();
const keys = new WeakMap<Plant, { calendar: string; lines: Map<string, string> }>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  // Oldest first out: a Map iterates in insertion order.
  if (memo.size >= MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
  memo.set(key, value);
  return value;
}

/** The content key of the line's calendar: zone, shifts and the downtime windows that apply to it. */
function calendarKey(plant: Plant, line: string): string {
  let k = keys.get(plant);
  if (k === undefined) {
    k = { calendar: JSON.stringify([plant.timezone, plant.shifts]), lines: new Map() };
    keys.set(plant, k);
  }
  let key = k.lines.get(line);
  if (key === undefined) {
    const windows = plant.plannedDowntime.filter((w) => w.lines === undefined || w.lines.includes(line));
    key = `${k.calendar}|${JSON.stringify(windows.map((w) => [w.start, w.end, w.dates]))}`;
    k.lines.set(line, key);
  }
  return key;
}

/** [start, end) of the production day `date` in the plant's time zone (memoised). */
export function dayBounds(plant: Pick<Plant, "timezone">, date: string): Interval {
  const key = `${plant.timezone}|${date}`;
  return (
    bounds.get(key) ??
    remember(bounds, key, [
      dayStart(date, plant.timezone).getTime(),
      dayStart(addDays(date, 1), plant.timezone).getTime(),
    ])
  );
}

/** The line's plan over the whole production day `date` in the plant's time zone (memoised; do not mutate). */
export function plannedDay(plant: Plant, line: string, date: string): PlannedDay {
  const key = `${date}|${calendarKey(plant, line)}`;
  const day = plans.get(key);
  if (day !== undefined) return day;
  const [from, to] = dayBounds(plant, date);
  const planned = plannedIntervals(plant, line, from, to);
  return remember(plans, key, { from, to, planned, plannedMs: totalMs(planned) });
}
