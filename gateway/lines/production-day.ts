/**
 * Production-day arithmetic in a plant's time zone (DESIGN.md: days are never computed in UTC).
 * Pure: Intl only, no date library. A production day runs from local midnight to the next local midnight
 * (docs/adr/0007: the bureau's daily report is by calendar date; a night shift is attributed to the day it
 * starts on for shift figures, while day figures split its counts at midnight).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(ts: number, tz: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ts))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** How far the zone's wall clock is ahead of UTC at `ts`, in ms (whole seconds). */
export function zoneOffsetMs(ts: number, tz: string): number {
  const w = wallClock(ts, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (ts - (((ts % 1000) + 1000) % 1000));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The production day ("YYYY-MM-DD") that contains `ts` (ms since the Unix epoch) in time zone `tz`. */
export function productionDay(ts: number, tz: string): string {
  const w = wallClock(ts, tz);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(date: string): [number, number, number] {
  const m = DATE_RE.exec(date);
  if (m === null) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The instant the production day `date` ("YYYY-MM-DD") begins in time zone `tz`: local midnight. */
export function dayStart(date: string, tz: string): Date {
  return new Date(localTime(date, "00:00", tz));
}

/**
 * The instant (ms) the wall clock in `tz` shows `hhmm` ("HH:MM") on `date`. A wall time skipped by a DST
 * change resolves to the instant one offset later; a repeated one to its first occurrence.
 */
export function localTime(date: string, hhmm: string, tz: string): number {
  const [y, m, d] = parseDate(date);
  const [hh = 0, mm = 0] = hhmm.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // Two passes: the offset at the first guess may differ from the offset at the wall time across a DST change.
  const start = wall - zoneOffsetMs(wall, tz);
  return wall - zoneOffsetMs(start, tz);
}

/** "HH:MM" of `ts` on the wall clock of `tz` (alert messages: "stopped since 14:05"). */
export function localHhmm(ts: number, tz: string): string {
  const w = wallClock(ts, tz);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

/** The calendar date `days` after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parseDate(date);
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** [start, end) of the production day containing `ts`. */
export function dayRange(ts: number, tz: string): { date: string; from: Date; to: Date } {
  const date = productionDay(ts, tz);
  return { date, from: dayStart(date, tz), to: dayStart(addDays(date, 1), tz) };
}
