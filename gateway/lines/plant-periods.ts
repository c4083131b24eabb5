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
import { addDays, dayStart } from "./production-day.ts";
import { clip, type Interval, plannedIntervals, shiftsOfDate, subtract, totalMs } from "./shift-calendar.ts";

export interface PlantPeriodDeps {
  aggregates: OutputAggregates;
  store: Pick<SampleStore, "sumOutput">;
  lineStore: Pick<LineStore, "transitions">;
  clock: Clock;
}

const ZERO: Counts = { good: 0, reject: 0 };

/** One line over [from, to): counts, run and planned minutes, OEE. */
function linePeriod(
  plant: Plant,
  lineId: string,
  counts: Counts,
  states: StoredTransition[],
  from: number,
  to: number,
  now: number,
  planned: Interval[],
): LinePeriod {
  const line = plant.lines.find((l) => l.id === lineId);
  const mine = states.filter((s) => s.line === lineId).sort((a, b) => a.at - b.at);
  const initial = mine.filter((s) => s.at < from).pop()?.state ?? null;
  const running = runningIntervals(initial, mine, from, to, now);
  const runPlanned = totalMs(running) - totalMs(subtract(running, planned));
  const runMs = totalMs(running);
  const oee = computeOee({
    ...{ plannedMs: totalMs(planned), runPlannedMs: runPlanned, runMs },
    ...{ good: counts.good, reject: counts.reject, ratedPerMin: line?.ratedPerMin ?? 0 },
  });
  return {
    ...{ line: lineId, name: line?.name ?? lineId, good: counts.good, reject: counts.reject },
    ...{ runMinutes: minutes(runMs), plannedMinutes: minutes(totalMs(planned)), oee },
  };
}

function periodLines(
  plant: Plant,
  sums: Map<string, Counts>,
  states: StoredTransition[],
  iv: Interval,
  now: number,
) {
  // Lines differ in plan only by the planned-downtime windows that apply to them: one calendar walk per set.
  const memo = new Map<string, Interval[]>();
  const plannedOf = (line: string) => {
    const key = plant.plannedDowntime
      .flatMap((w, i) => (w.lines === undefined || w.lines.includes(line) ? [i] : []))
      .join(",");
    const planned =
      memo.get(key) ?? plannedIntervals(plant, line, iv[0], Math.min(iv[1], Math.max(iv[0], now)));
    memo.set(key, planned);
    return planned;
  };
  const lines = plant.lines.map((l) =>
    linePeriod(plant, l.id, sums.get(l.id) ?? ZERO, states, iv[0], iv[1], now, plannedOf(l.id)),
  );
  const total = lines.reduce((s, l) => ({ good: s.good + l.good, reject: s.reject + l.reject }), ZERO);
  return { lines, total };
}

/** Per production day, per line: good, reject, run minutes, OEE (GET /api/plants/:plant/days). */
export async function plantDays(
  d: PlantPeriodDeps,
  plant: Plant,
  fromDate: string,
  toDate: string,
): Promise<PlantDaysResponse> {
  const tz = plant.timezone;
  const from = dayStart(fromDate, tz);
  const to = dayStart(addDays(toDate, 1), tz);
  const [rows, states] = await Promise.all([
    d.aggregates.daily({ fromDate, toDate, tz, plant: plant.id }),
    d.lineStore.transitions({ from, to, plant: plant.id }),
  ]);
  const now = d.clock.now();
  const days: PlantDaysResponse["days"] = [];
  for (let date = fromDate; date <= toDate; date = addDays(date, 1)) {
    const sums = new Map(
      rows.filter((r) => r.date === date).map((r) => [r.line, { good: r.good, reject: r.reject }]),
    );
    const iv: Interval = [dayStart(date, tz).getTime(), dayStart(addDays(date, 1), tz).getTime()];
    days.push({ date, ...periodLines(plant, sums, states, iv, now) });
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
  const out: PlantShiftsResponse["shifts"] = [];
  for (const s of shifts) {
    const rows = await d.store.sumOutput({ from: new Date(s.from), to: new Date(s.to), plant: plant.id });
    const sums = new Map(rows.map((r) => [r.line, { good: r.good, reject: r.reject }]));
    const iv = clip([[s.from, s.to]], s.from, s.to)[0] ?? ([s.from, s.to] as Interval);
    out.push({
      ...{ name: s.name, from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString() },
      ...periodLines(plant, sums, states, iv, now),
    });
  }
  return { plant: plant.id, date, shifts: out };
}
