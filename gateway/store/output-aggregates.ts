import type { Counts } from "../../protocol/index.ts";
import { addDays, dayStart } from "../lines/production-day.ts";
import type { SampleStore } from "./sample-store.ts";

export interface DailyOutputRow extends Counts {
  /** Production day (local date in `tz`). */
  date: string;
  plant: string;
  line: string;
}

export interface DailyOutputQuery {
  /** First and last production day, inclusive. */
  fromDate: string;
  toDate: string;
  tz: string;
  plant?: string | undefined;
}

export interface HourlyOutputRow extends Counts {
  /** Start of the hour (ms). */
  from: number;
  plant: string;
  line: string;
}

export interface LineTotalRow extends Counts {
  plant: string;
  line: string;
}

export interface HourlyOutputQuery {
  /** Whole local hours: `from` is the start of one, `to` the end of one. */
  from: Date;
  to: Date;
  tz: string;
  plant?: string | undefined;
}

/**
 * Output summed per production day, hour or range — what the day, hourly and capacity views need, behind this
 * interface so the rollup-backed InfluxOutputAggregates (ADR 0010) can answer long ranges fast.
 */
export interface OutputAggregates {
  daily(q: DailyOutputQuery): Promise<DailyOutputRow[]>;
  /** Output summed per local hour in [from, to); hours without output have no row. */
  hourly(q: HourlyOutputQuery): Promise<HourlyOutputRow[]>;
  /** Output summed per line over the production days [fromDate, toDate]; lines without output have no row. */
  totals(q: DailyOutputQuery): Promise<LineTotalRow[]>;
}

/** Per-day sums from any SampleStore, one sumOutput per day: for the memory store and short ranges. */
export class SumOutputAggregates implements OutputAggregates {
  constructor(private readonly store: Pick<SampleStore, "sumOutput">) {}

  async daily(q: DailyOutputQuery): Promise<DailyOutputRow[]> {
    const out: DailyOutputRow[] = [];
    for (let date = q.fromDate; date <= q.toDate; date = addDays(date, 1)) {
      const rows = await this.store.sumOutput({
        from: dayStart(date, q.tz),
        to: dayStart(addDays(date, 1), q.tz),
        plant: q.plant,
      });
      for (const r of rows) out.push({ date, plant: r.plant, line: r.line, good: r.good, reject: r.reject });
    }
    return out;
  }

  async totals(q: DailyOutputQuery): Promise<LineTotalRow[]> {
    const rows = await this.store.sumOutput({
      from: dayStart(q.fromDate, q.tz),
      to: dayStart(addDays(q.toDate, 1), q.tz),
      plant: q.plant,
    });
    return rows.map((r) => ({ plant: r.plant, line: r.line, good: r.good, reject: r.reject }));
  }

  async hourly(q: HourlyOutputQuery): Promise<HourlyOutputRow[]> {
    const out: HourlyOutputRow[] = [];
    for (let from = q.from.getTime(); from < q.to.getTime(); from += 3600_000) {
      const rows = await this.store.sumOutput({
        from: new Date(from),
        to: new Date(from + 3600_000),
        plant: q.plant,
      });
      for (const r of rows) out.push({ from, plant: r.plant, line: r.line, good: r.good, reject: r.reject });
    }
    return out;
  }
}
