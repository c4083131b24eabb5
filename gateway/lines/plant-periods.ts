import type {
  Counts,
  LinePeriod,
  Plant,
  PlantDaysResponse,
  PlantShiftsResponse,
} from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { LineStore, StoredTransition } from "../store/line-store.ts";
import type { OutputAggregates } from "../store/output-aggregates.ts";
import type { SampleStore } from "../store/sample-store.ts";
import { computeOee, minutes, runningIntervals } from "./oee.ts";
import { dayBounds, plannedDay } from "./planned-days.ts";
import { addDays, dayStart } from "./production-day.ts";
import { clip, type Interval, plannedIntervals, shiftsOfDate, subtract, totalMs } from "./shift-calendar.ts";

export interface PlantPeriodDeps {
  aggregates: OutputAggregates;
  store: Pick<SampleStore, "sumOutput">;
  lineStore: Pick<LineStore, "transitions">;
  clock: Clock;
}

const ZERO: Counts = { good: 0, reject: 0 };

/** One line over [from, to): counts, run and planned minutes, OEE. `mine`: the line's transitions by time. */
function linePeriod(
  line: Plant["lines"][number],
  counts: Counts,
  mine: StoredTransition[],
  from: number,
  to: number,
  now: number,
  planned: Interval[],
): LinePeriod {
  const initial = mine.filter((s) => s.at < from).pop()?.state ?? null;
  const running = runningIntervals(initial, mine, from, to, now);
  const runPlanned = totalMs(running) - totalMs(subtract(running, planned));
  const runMs = totalMs(running);
  const oee = computeOee({
    ...{ plannedMs: totalMs(planned), runPlannedMs: runPlanned, runMs },
    ...{ good: counts.good, reject: counts.reject, ratedPerMin: line.ratedPerMin },
  });
  return {
    ...{ line: line.id, name: line.name, good: counts.good, reject: counts.reject },
    ...{ runMinutes: minutes(runMs), plannedMinutes: minutes(totalMs(planned)), oee },
  };
}

/** Each line's transitions, sorted by time: grouped once per request, not once per line and period. */
function byLine(states: StoredTransition[]): Map<string, StoredTransition[]> {
  const out = new Map<string, StoredTransition[]>();
  for (const s of [...states].sort((a, b) => a.at - b.at)) {
    const mine = out.get(s.line);
    if (mine === undefined) out.set(s.line, [s]);
    else mine.push(s);
  }
  return out;
}

function periodLines(
  plant: Plant,
  sums: Map<string, Counts>,
  states: Map<string, StoredTransition[]>,
  iv: Interval,
  now: number,
  plannedOf: (line: string) => Interval[],
) {
  const lines = plant.lines.map((l) =>
    linePeriod(l, sums.get(l.id) ?? ZERO, states.get(l.id) ?? [], iv[0], iv[1], now, plannedOf(l.id)),
  );
  const total = lines.reduce((s, l) => ({ good: s.good + l.good, reject: s.reject + l.reject }), ZERO);
  return { lines, total };
}

/** Planned time of a shift (any interval): one calendar walk per set of downtime windows that apply. */
function plannedWithin(plant: Plant, iv: Interval, now: number): (line: string) => Interval[] {
  const memo = new Map<string, Interval[]>();
  return (line) => {
    const key = plant.plannedDowntime
      .flatMap((w, i) => (w.lines === undefined || w.lines.includes(line) ? [i] : []))
      .join(",");
    const planned =
      memo.get(key) ?? plannedIntervals(plant, line, iv[0], Math.min(iv[1], Math.max(iv[0], now)));
    memo.set(key, planned);
    return planned;
  };
}

/** A production day's plan up to `now` (the whole day once it is over), from the memoised day plans. */
function plannedOfDay(plant: Plant, date: string, now: number): (line: string) => Interval[] {
  return (line) => {
    const d = plannedDay(plant, line, date);
    const end = Math.min(d.to, Math.max(d.from, now));
    return end >= d.to ? d.planned : clip(d.planned, d.from, end);
  };
}

/** Per production day, per line: good, reject, run minutes, OEE (GET /api/plants/:plant/days). */
export async function plantDays(
  d: PlantPeriodDeps,
  plant: Plant,
  fromDate: string,
  toDate: string,
): Promise<PlantDaysResponse> {
  const [from] = dayBounds(plant, fromDate);
  const [, to] = dayBounds(plant, toDate);
  const [rows, states] = await Promise.all([
    d.aggregates.daily({ fromDate, toDate, tz: plant.timezone, plant: plant.id }),
    d.lineStore.transitions({ from: new Date(from), to: new Date(to), plant: plant.id }),
  ]);
  const now = d.clock.now();
  const lineStates = byLine(states);
  const sumsOf = new Map<string, Map<string, Counts>>();
  for (const r of rows) {
    const sums = sumsOf.get(r.date) ?? new Map<string, Counts>();
    sums.set(r.line, { good: r.good, reject: r.reject });
    sumsOf.set(r.date, sums);
  }
  const days: PlantDaysResponse["days"] = [];
  for (let date = fromDate; date <= toDate; date = addDays(date, 1)) {
    const plannedOf = plannedOfDay(plant, date, now);
    const iv = dayBounds(plant, date);
    days.push({ date, ...periodLines(plant, sumsOf.get(date) ?? new Map(), lineStates, iv, now, plannedOf) });
  }
  return { plant: plant.id, from: fromDate, to: toDate, days };
}

/** Per shift that starts on `date` (a night shift spanning midnight is one shift), per line (GET …/shifts). */
export async function plantShifts(
  d: PlantPeriodDeps,
  plant: Plant,
  date: string,
): Promise<PlantShiftsResponse> {
  const shifts = shiftsOfDate(plant, date);
  const first = shifts[0]?.from ?? dayStart(date, plant.timezone).getTime();
  const last = shifts[shifts.length - 1]?.to ?? first;
  const states = await d.lineStore.transitions({
    from: new Date(first),
    to: new Date(last),
    plant: plant.id,
  });
  const now = d.clock.now();
  const lineStates = byLine(states);
  const out: PlantShiftsResponse["shifts"] = [];
  for (const s of shifts) {
    const rows = await d.store.sumOutput({ from: new Date(s.from), to: new Date(s.to), plant: plant.id });
    const sums = new Map(rows.map((r) => [r.line, { good: r.good, reject: r.reject }]));
    const iv = clip([[s.from, s.to]], s.from, s.to)[0] ?? ([s.from, s.to] as Interval);
    out.push({
      ...{ name: s.name, from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString() },
      ...periodLines(plant, sums, lineStates, iv, now, plannedWithin(plant, iv, now)),
    });
  }
  return { plant: plant.id, date, shifts: out };
}
