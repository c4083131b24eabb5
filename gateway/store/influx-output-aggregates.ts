import type { InfluxDB } from "influx";
import { addDays, dayStart, productionDay } from "../lines/production-day.ts";
import type {
  DailyOutputQuery,
  DailyOutputRow,
  HourlyOutputQuery,
  HourlyOutputRow,
  OutputAggregates,
} from "./output-aggregates.ts";

interface Row {
  time: Date;
  plant: string;
  line: string;
  good: number;
  reject: number;
}

const TZ_RE = /^[A-Za-z0-9_+\-/]+$/;

/**
 * Per-day output from raw `output` points with `GROUP BY time(1d) tz('…')`, which InfluxDB 1.6.7 buckets at
 * local midnight (STACK.md). The zone name goes into the query text (tz() takes no bound parameter), so it is
 * checked against the IANA name alphabet first.
 */
export class InfluxOutputAggregates implements OutputAggregates {
  constructor(private readonly influx: InfluxDB) {}

  /** One `GROUP BY time(bucket), plant, "line"` query over raw points in [from, to). */
  #sums(bucket: "1h" | "1d", from: number, to: number, tz: string, plant: string | undefined) {
    if (!TZ_RE.test(tz)) throw new RangeError(`not a time zone name: ${tz}`);
    const where = plant !== undefined ? " AND plant = $plant" : "";
    return this.influx.query<Row>(
      `SELECT sum(good) AS good, sum(reject) AS reject FROM output WHERE time >= ${from}ms AND time < ${to}ms${where} GROUP BY time(${bucket}), plant, "line" fill(none) tz('${tz}')`,
      { placeholders: plant !== undefined ? { plant } : {} },
    );
  }

  async hourly(q: HourlyOutputQuery): Promise<HourlyOutputRow[]> {
    const rows = await this.#sums("1h", q.from.getTime(), q.to.getTime(), q.tz, q.plant);
    return rows.map((r) => ({
      from: r.time.getTime(),
      plant: r.plant,
      line: r.line,
      good: r.good ?? 0,
      reject: r.reject ?? 0,
    }));
  }

  async daily(q: DailyOutputQuery): Promise<DailyOutputRow[]> {
    const from = dayStart(q.fromDate, q.tz).getTime();
    const to = dayStart(addDays(q.toDate, 1), q.tz).getTime();
    const rows = await this.#sums("1d", from, to, q.tz, q.plant);
    return rows.map((r) => ({
      date: productionDay(r.time.getTime(), q.tz),
      plant: r.plant,
      line: r.line,
      good: r.good ?? 0,
      reject: r.reject ?? 0,
    }));
  }
}
