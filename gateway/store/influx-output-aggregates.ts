import type { InfluxDB } from "influx";
import { addDays, dayStart, productionDay, zoneOffsetMs } from "../lines/production-day.ts";
import { DayTotals } from "./day-totals.ts";
import type { SeriesSums } from "./open-hours.ts";
import type {
  DailyOutputQuery,
  DailyOutputRow,
  HourlyOutputQuery,
  HourlyOutputRow,
  LineTotalRow,
  OutputAggregates,
} from "./output-aggregates.ts";
import { HOUR_MS, ROLLUP, type RollupView } from "./rollup-hours.ts";

interface Row {
  time?: Date;
  plant: string;
  line: string;
  good: number | null;
  reject: number | null;
}

type Bucket = "1h" | "1d" | "none";

/** A stretch of [from, to) read from one measurement. */
interface Segment {
  from: number;
  to: number;
  source: "output" | typeof ROLLUP;
}

const TZ_RE = /^[A-Za-z0-9_+\-/]+$/;

/**
 * Output sums from InfluxDB. With a RollupView (the gateway's HourlyRollups, ADR 0010), clean rolled hours
 * are read from `output_1h` and the rest (the current hours, dirty hours) from raw `output` points — exact
 * either way. Rollup hours are UTC hours, so they are used only when the zone's offset is a whole number of
 * hours over the whole range (Asia/Shanghai is; Asia/Kolkata is not and always reads raw).
 * `GROUP BY time(1d) tz('…')` buckets at local midnight (STACK.md); the zone name goes into the query text
 * (tz() takes no bound parameter), so it is checked against the IANA name alphabet first.
 */
export class InfluxOutputAggregates implements OutputAggregates {
  /** Settled days' per-line totals in memory (ADR 0012); only with rollups. */
  readonly #days: DayTotals | null;

  constructor(
    private readonly influx: InfluxDB,
    private readonly rollups: RollupView | null = null,
    options: { zones?: () => string[] } = {},
  ) {
    this.#days =
      rollups === null
        ? null
        : new DayTotals(
            { view: rollups, wholeHours, ...options },
            {
              daily: (fromDate, toDate, tz) => this.#daily({ fromDate, toDate, tz }),
              range: (from, to, tz) => this.#range(from, to, tz, undefined),
              series: (from, to, newest) => this.#series(from, to, newest),
            },
          );
    // A restart finds the watermark already there: no advance will come for the days before it.
    void this.#days?.prefill();
  }

  /** Settled days held in memory (0 without rollups). */
  daysHeld(): number {
    return this.#days?.size() ?? 0;
  }

  /** Resolves once the background fill of recent days has finished (tests). */
  prefilled(): Promise<void> {
    return this.#days?.prefill() ?? Promise.resolve();
  }

  async hourly(q: HourlyOutputQuery): Promise<HourlyOutputRow[]> {
    const rows = await this.#sums("1h", q.from.getTime(), q.to.getTime(), q.tz, q.plant);
    const out = new Map<string, HourlyOutputRow>();
    for (const r of rows) {
      const from = (r.time as Date).getTime();
      merge(out, `${from}|${r.plant}|${r.line}`, r, () => ({ from, plant: r.plant, line: r.line }));
    }
    return [...out.values()];
  }

  /** One plant's days from the held totals when every day is held (ADR 0012), else from InfluxDB. */
  async daily(q: DailyOutputQuery): Promise<DailyOutputRow[]> {
    if (this.#days !== null && q.plant !== undefined) {
      const held = await this.#days.daily(q);
      if (held !== null) return held;
    }
    return this.#daily(q);
  }

  async #daily(q: DailyOutputQuery): Promise<DailyOutputRow[]> {
    const { from, to } = dayRange(q);
    const rows = await this.#sums("1d", from, to, q.tz, q.plant);
    const out = new Map<string, DailyOutputRow>();
    // One zone conversion per bucket, not per row: 300 lines × 30 days share 30 bucket times.
    const dates = new Map<number, string>();
    for (const r of rows) {
      const t = (r.time as Date).getTime();
      const date = dates.get(t) ?? productionDay(t, q.tz);
      dates.set(t, date);
      merge(out, `${date}|${r.plant}|${r.line}`, r, () => ({ date, plant: r.plant, line: r.line }));
    }
    return [...out.values()];
  }

  async totals(q: DailyOutputQuery): Promise<LineTotalRow[]> {
    if (this.#days !== null && q.plant === undefined) return this.#days.totals(q);
    const { from, to } = dayRange(q);
    return this.#range(from, to, q.tz, q.plant);
  }

  /** Per-line sums over [from, to) (whole UTC hours where the rollup is to be used). */
  async #range(from: number, to: number, tz: string, plant: string | undefined): Promise<LineTotalRow[]> {
    const rows = await this.#sums("none", from, to, tz, plant);
    const out = new Map<string, LineTotalRow>();
    for (const r of rows) merge(out, `${r.plant}|${r.line}`, r, () => ({ plant: r.plant, line: r.line }));
    return [...out.values()];
  }

  /**
   * Raw sums and the newest point of each (plant, line, epoch) series over [from, to), one request: what
   * OpenHours needs to tell a write that appends to a series from one that rewrites a point (ADR 0012).
   */
  async #series(from: number, to: number, newest: boolean): Promise<SeriesSums[]> {
    type SeriesRow = Row & { epoch: string };
    const where = `WHERE time >= ${from}ms AND time < ${to}ms GROUP BY plant, "line", epoch`;
    const sum = `SELECT sum(good) AS good, sum(reject) AS reject FROM output ${where}`;
    // The newest points cost a second pass over the series (~1.5× the read): only for a read that may be kept.
    const [sums, last] = newest
      ? ((await this.influx.query<SeriesRow>([
          sum,
          `SELECT good, reject FROM output ${where} ORDER BY time DESC LIMIT 1`,
        ])) as unknown as SeriesRow[][])
      : [await this.influx.query<SeriesRow>(sum), []];
    const lasts = new Map<string, SeriesSums["last"]>();
    for (const r of last ?? []) {
      const ts = (r.time as Date).getTime();
      lasts.set(`${r.plant}\n${r.line}\n${r.epoch}`, { ts, good: r.good ?? 0, reject: r.reject ?? 0 });
    }
    // No newest point: not asked (the read is not kept), or the series changed between the statements.
    const unknown = { ts: Number.POSITIVE_INFINITY, good: 0, reject: 0 };
    return (sums ?? []).map((r) => ({
      ...{ plant: r.plant, line: r.line, epoch: r.epoch, good: r.good ?? 0, reject: r.reject ?? 0 },
      last: lasts.get(`${r.plant}\n${r.line}\n${r.epoch}`) ?? unknown,
    }));
  }

  /** One query per segment, sent as one request; rows of all segments together. */
  async #sums(bucket: Bucket, from: number, to: number, tz: string, plant: string | undefined) {
    if (!TZ_RE.test(tz)) throw new RangeError(`not a time zone name: ${tz}`);
    const where = plant !== undefined ? " AND plant = $plant" : "";
    const group =
      bucket === "none" ? 'GROUP BY plant, "line"' : `GROUP BY time(${bucket}), plant, "line" fill(none)`;
    const queries = this.#segments(from, to, tz).map(
      (s) =>
        `SELECT sum(good) AS good, sum(reject) AS reject FROM ${s.source} WHERE time >= ${s.from}ms AND time < ${s.to}ms${where} ${group} tz('${tz}')`,
    );
    if (queries.length === 1) {
      return this.influx.query<Row>(queries[0] as string, {
        placeholders: plant !== undefined ? { plant } : {},
      });
    }
    const results = await this.influx.query<Row>(queries, {
      placeholders: plant !== undefined ? { plant } : {},
    });
    return (results as unknown as Row[][]).flat();
  }

  /** Runs of rolled-and-clean hours (rollup) and the rest (raw); all raw without rollups or whole hours. */
  #segments(from: number, to: number, tz: string): Segment[] {
    const rolled = this.rollups?.rolledUntil() ?? null;
    if (this.rollups === null || rolled === null || rolled <= from || !wholeHours(from, to, tz)) {
      return [{ from, to, source: "output" }];
    }
    const out: Segment[] = [];
    const push = (t: number, source: Segment["source"]) => {
      const last = out[out.length - 1];
      if (last !== undefined && last.source === source) last.to = t + HOUR_MS;
      else out.push({ from: t, to: t + HOUR_MS, source });
    };
    const end = Math.min(to, rolled);
    for (let t = from; t < end; t += HOUR_MS) push(t, this.rollups.isDirty(t) ? "output" : ROLLUP);
    if (end < to) push(end, "output");
    const last = out[out.length - 1] as Segment;
    last.to = last.source === "output" ? to : last.to;
    return out;
  }
}

function dayRange(q: DailyOutputQuery): { from: number; to: number } {
  return { from: dayStart(q.fromDate, q.tz).getTime(), to: dayStart(addDays(q.toDate, 1), q.tz).getTime() };
}

/** [from, to) are UTC hour boundaries and the zone's offset is whole hours throughout (checked every 6 h). */
export function wholeHours(from: number, to: number, tz: string): boolean {
  if (from % HOUR_MS !== 0 || to % HOUR_MS !== 0) return false;
  for (let t = from; ; t = Math.min(t + 6 * HOUR_MS, to)) {
    if (zoneOffsetMs(t, tz) % HOUR_MS !== 0) return false;
    if (t === to) return true;
  }
}

function merge<K extends object>(
  out: Map<string, K & { good: number; reject: number }>,
  key: string,
  r: Row,
  make: () => K,
): void {
  const row = out.get(key) ?? { ...make(), good: 0, reject: 0 };
  row.good += r.good ?? 0;
  row.reject += r.reject ?? 0;
  out.set(key, row);
}
