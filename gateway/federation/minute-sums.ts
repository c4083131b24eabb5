import type { InfluxDB } from "influx";
import { MINUTE_MS } from "../../protocol/index.ts";
import type { SampleStore } from "../store/sample-store.ts";

/** The absolute sums a plant has stored for one line and one minute (t = the minute's start, ms). */
export interface MinuteRow {
  plant: string;
  line: string;
  t: number;
  good: number;
  reject: number;
}

/** Per-minute sums of the `output` measurement over [from, to) (both minute-aligned), every line. */
export interface MinuteSums {
  range(from: number, to: number): Promise<MinuteRow[]>;
}

/**
 * One `GROUP BY time(1m)` query for the whole range: minute buckets are UTC-aligned, and every zone the
 * registry can name is a whole number of minutes off UTC, so they roll up exactly into hours and days.
 */
export class InfluxMinuteSums implements MinuteSums {
  constructor(private readonly influx: InfluxDB) {}

  async range(from: number, to: number): Promise<MinuteRow[]> {
    const rows = await this.influx.query<{
      time: Date;
      plant: string;
      line: string;
      good: number | null;
      reject: number | null;
    }>(
      `SELECT sum(good) AS good, sum(reject) AS reject FROM output WHERE time >= ${from}ms AND time < ${to}ms GROUP BY time(1m), plant, "line" fill(none)`,
    );
    return rows.map((r) => ({
      plant: r.plant,
      line: r.line,
      t: r.time.getTime(),
      good: r.good ?? 0,
      reject: r.reject ?? 0,
    }));
  }
}

/** Any SampleStore, one sumOutput per minute: for tests with the memory store and short ranges. */
export class StoreMinuteSums implements MinuteSums {
  constructor(private readonly store: Pick<SampleStore, "sumOutput">) {}

  async range(from: number, to: number): Promise<MinuteRow[]> {
    const out: MinuteRow[] = [];
    for (let t = from; t < to; t += MINUTE_MS) {
      const rows = await this.store.sumOutput({ from: new Date(t), to: new Date(t + MINUTE_MS) });
      for (const r of rows) out.push({ plant: r.plant, line: r.line, t, good: r.good, reject: r.reject });
    }
    return out;
  }
}
