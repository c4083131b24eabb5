import { dayBounds } from "../lines/planned-days.ts";
import { addDays, productionDay } from "../lines/production-day.ts";
import { OpenHours, type SeriesSums } from "./open-hours.ts";
import type { DailyOutputQuery, DailyOutputRow, LineTotalRow } from "./output-aggregates.ts";
import { HOUR_MS, type RollupView } from "./rollup-hours.ts";

/** Exact sums from InfluxDB (InfluxOutputAggregates): per production day, and per line over [from, to). */
export interface ExactSums {
  daily(fromDate: string, toDate: string, tz: string): Promise<DailyOutputRow[]>;
  range(from: number, to: number, tz: string): Promise<LineTotalRow[]>;
  /** Raw sums (and with `newest`, the newest point) per (plant, line, epoch) series over [from, to): for OpenHours. */
  series(from: number, to: number, newest: boolean): Promise<SeriesSums[]>;
}

export interface DayTotalsOptions {
  view: RollupView;
  /** Whether `tz`'s offset is a whole number of hours over [from, to): rolled UTC hours tile its days. */
  wholeHours: (from: number, to: number, tz: string) => boolean;
  /** Time zones to keep the recent days of (the registry's plants'); [] = fill only on demand. */
  zones?: () => string[];
  /** Days before the watermark filled in the background after each advance (default 35: a month view). */
  prefillDays?: number;
  /** Bound on the rows kept (oldest days out first; default 300,000 ≈ 1,000 lines × 300 days). */
  maxRows?: number;
}

interface Day {
  from: number;
  to: number;
  /** The rows sum [from, upTo): `to` for a settled day; the watermark for today (its rolled, clean hours). */
  upTo: number;
  rows: LineTotalRow[];
}

const add = (out: Map<string, LineTotalRow>, r: LineTotalRow) => {
  const key = `${r.plant}|${r.line}`;
  const row = out.get(key) ?? { plant: r.plant, line: r.line, good: 0, reject: 0 };
  row.good += r.good;
  row.reject += r.reject;
  out.set(key, row);
};

/**
 * Per-line totals of whole production days, kept in memory once every hour of the day is rolled and clean
 * (ADR 0012): such a day's sums change only through a write into one of its hours, and HourlyRollups tells
 * us of each such write (`marked`) before it lands — the day is then dropped and read from InfluxDB again
 * (raw for its dirty hours) until it has settled once more. A query that raced a mark is not kept. So an
 * answer from here equals the raw sums, as the rollup does (ADR 0010); /api/capacity for a past day and the
 * cumulative output since the registry's startDate no longer ask InfluxDB for 300 series per day.
 */
export class DayTotals {
  readonly #o: DayTotalsOptions;
  readonly #days = new Map<string, Day>();
  #rows = 0;
  /** Bumped by every mark: a fill that started before it may hold pre-write sums. */
  #epoch = 0;
  #prefilling: Promise<void> | null = null;
  /** Today's hours after the watermark, kept exact from the writes (open-hours.ts); null if the view can't tell of them. */
  readonly #open: OpenHours | null;

  constructor(
    o: DayTotalsOptions,
    private readonly sums: ExactSums,
  ) {
    this.#o = o;
    const activity = o.view.writeActivity?.bind(o.view);
    this.#open =
      o.view.subscribe !== undefined && activity !== undefined
        ? new OpenHours((from, to, newest) => sums.series(from, to, newest), activity)
        : null;
    o.view.subscribe?.({
      marked: (h) => this.#invalidate(h),
      advanced: (until) => {
        this.#open?.dropBefore(until);
        void this.prefill();
      },
      wrote: (points, ok) => this.#open?.wrote(points, ok),
    });
  }

  /** Per-line totals over the production days [fromDate, toDate] of `tz`, from memory where settled. */
  async totals(q: DailyOutputQuery): Promise<LineTotalRow[]> {
    const out = new Map<string, LineTotalRow>();
    const missing: string[] = [];
    const asks: Array<Promise<LineTotalRow[]>> = [];
    const rolled = this.#o.view.rolledUntil();
    for (let date = q.fromDate; date <= q.toDate; date = addDays(date, 1)) {
      const day = this.#days.get(`${q.tz}|${date}`);
      if (day !== undefined) {
        for (const r of day.rows) add(out, r);
        // Today: its settled hours from memory, the rest (one hour or so) open.
        if (day.upTo < day.to) asks.push(this.#openSums(day.upTo, day.to, q.tz));
        continue;
      }
      const [from, to] = dayBounds({ timezone: q.tz }, date);
      // A day the rollup has not reached at all (today's first hour, a future date) is open throughout.
      if (rolled !== null && from >= rolled) asks.push(this.#openSums(from, to, q.tz));
      else missing.push(date);
    }
    if (missing.length > 0) asks.push(this.#fetch(missing, q.tz));
    for (const rows of await Promise.all(asks)) for (const r of rows) add(out, r);
    return [...out.values()];
  }

  /**
   * Per production day and line of one plant (or all), from memory — or null when a day of the range is
   * neither held nor open (then the caller reads InfluxDB once for the whole range rather than day by day).
   * GET /api/plants/:plant/days asks for 30 days of one plant: all held after the prefill.
   */
  async daily(q: DailyOutputQuery): Promise<DailyOutputRow[] | null> {
    const rolled = this.#o.view.rolledUntil();
    const dates: string[] = [];
    for (let date = q.fromDate; date <= q.toDate; date = addDays(date, 1)) {
      const held = this.#days.has(`${q.tz}|${date}`);
      if (!held && (rolled === null || dayBounds({ timezone: q.tz }, date)[0] < rolled)) return null;
      dates.push(date);
    }
    const days = await Promise.all(
      dates.map((date) => this.totals({ fromDate: date, toDate: date, tz: q.tz })),
    );
    const out: DailyOutputRow[] = [];
    days.forEach((rows, i) => {
      const date = dates[i] as string;
      for (const r of rows) if (q.plant === undefined || r.plant === q.plant) out.push({ date, ...r });
    });
    return out;
  }

  /** Per-line sums over [from, to) past the watermark: held from the writes where possible, else from InfluxDB. */
  #openSums(from: number, to: number, tz: string): Promise<LineTotalRow[]> {
    return this.#open !== null ? this.#open.sums(from, to) : this.sums.range(from, to, tz);
  }

  /** Days held in memory (the gauge masktally_day_totals_days). */
  size(): number {
    return this.#days.size;
  }

  /** Fills the settled days among the last `prefillDays` of each zone (in the background; one run at a time). */
  prefill(): Promise<void> {
    const until = this.#o.view.rolledUntil();
    if (this.#prefilling !== null || until === null) return this.#prefilling ?? Promise.resolve();
    const run = async () => {
      for (const tz of new Set(this.#o.zones?.() ?? [])) {
        let last = productionDay(until - 1, tz);
        if (dayBounds({ timezone: tz }, last)[1] > until) last = addDays(last, -1);
        const first = addDays(last, 1 - (this.#o.prefillDays ?? 35));
        // A day held with only some hours (yesterday, filled as today) has settled since: read it whole.
        for (let d = first; d <= last; d = addDays(d, 1)) this.#dropPartial(`${tz}|${d}`);
        await this.totals({ fromDate: first, toDate: last, tz });
        await this.#fillToday(tz, until);
      }
    };
    this.#prefilling = run()
      .catch(() => {}) // a failed prefill leaves days to be read on demand
      .finally(() => {
        this.#prefilling = null;
      });
    return this.#prefilling;
  }

  /** Today's rolled, clean hours [midnight, until) into memory, so today's answers ask InfluxDB for the rest only. */
  async #fillToday(tz: string, until: number): Promise<void> {
    const date = productionDay(until, tz);
    const [from, to] = dayBounds({ timezone: tz }, date);
    const held = this.#days.get(`${tz}|${date}`);
    if (from >= until || (held !== undefined && held.upTo >= until) || !this.#settled(from, until, tz))
      return;
    const epoch = this.#epoch;
    const rows = await this.sums.range(from, until, tz);
    if (epoch === this.#epoch) this.#keep(`${tz}|${date}`, { from, to, upTo: until, rows });
  }

  #dropPartial(key: string): void {
    const d = this.#days.get(key);
    if (d === undefined || d.upTo >= d.to) return;
    this.#days.delete(key);
    this.#rows -= d.rows.length;
  }

  /** The sums of `dates` (ascending) from InfluxDB, one request; keeps those of settled days. */
  async #fetch(dates: string[], tz: string): Promise<LineTotalRow[]> {
    const epoch = this.#epoch;
    const settled = new Map<string, Day>();
    for (const date of dates) {
      const [from, to] = dayBounds({ timezone: tz }, date);
      if (this.#settled(from, to, tz)) settled.set(date, { from, to, upTo: to, rows: [] });
    }
    const wanted = new Set(dates);
    const rows = await this.sums.daily(dates[0] as string, dates[dates.length - 1] as string, tz);
    const out: LineTotalRow[] = [];
    for (const r of rows) {
      if (!wanted.has(r.date)) continue; // a day in the span that was read from memory
      const row = { plant: r.plant, line: r.line, good: r.good, reject: r.reject };
      out.push(row);
      settled.get(r.date)?.rows.push(row);
    }
    if (epoch === this.#epoch) for (const [date, day] of settled) this.#keep(`${tz}|${date}`, day);
    return out;
  }

  /** Every hour of [from, to) rolled and clean, and the zone's days tiled by UTC hours. */
  #settled(from: number, to: number, tz: string): boolean {
    const rolled = this.#o.view.rolledUntil();
    if (rolled === null || to > rolled || !this.#o.wholeHours(from, to, tz)) return false;
    for (let t = from; t < to; t += HOUR_MS) if (this.#o.view.isDirty(t)) return false;
    return true;
  }

  #keep(key: string, day: Day): void {
    const old = this.#days.get(key);
    if (old !== undefined) this.#rows -= old.rows.length;
    this.#days.delete(key);
    this.#days.set(key, day);
    this.#rows += day.rows.length;
    for (const [k, d] of this.#days) {
      if (this.#rows <= (this.#o.maxRows ?? 300_000) || k === key) break;
      this.#days.delete(k);
      this.#rows -= d.rows.length;
    }
  }

  #invalidate(hour: number): void {
    this.#epoch++;
    for (const [k, d] of this.#days) {
      if (d.from <= hour && hour < d.to) {
        this.#days.delete(k);
        this.#rows -= d.rows.length;
      }
    }
  }
}
