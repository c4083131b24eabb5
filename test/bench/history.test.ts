import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeHistory } from "../../bench/support/history.ts";
import { benchLines } from "../../bench/support/registry.ts";
import { InfluxOutputAggregates } from "../../gateway/store/influx-output-aggregates.ts";
import { testInflux } from "../support/influx.ts";

/** The query benchmark's history writer at tiny scale: what it reports writing is what InfluxDB sums. */
describe("bench history", () => {
  let db: Awaited<ReturnType<typeof testInflux>>;
  beforeAll(async () => {
    db = await testInflux("bench_history");
  });
  afterAll(async () => {
    await db.drop();
  });

  it("writes exactly the totals it reports, and hourly sums add up to them", async () => {
    const lines = benchLines(12, 5);
    const from = Date.UTC(2024, 0, 1, 0, 0);
    const to = from + 3 * 3600_000 - 1;
    const written = await writeHistory({
      url: db.url,
      database: db.database,
      lines,
      from,
      to,
      stepMs: 60_000,
    });
    expect(written.points).toBe(12 * 180);
    const store = db.store;
    const sums = await store.sumOutput({ from: new Date(from), to: new Date(to + 1) });
    const total = sums.reduce((s, r) => ({ good: s.good + r.good, reject: s.reject + r.reject }), {
      good: 0,
      reject: 0,
    });
    expect(total).toEqual({ good: written.good, reject: written.reject });
    const hourly = await new InfluxOutputAggregates(store.influx).hourly({
      from: new Date(from),
      to: new Date(to + 1),
      tz: "Asia/Shanghai",
    });
    expect(hourly).toHaveLength(12 * 3);
    expect(hourly.reduce((s, r) => s + r.good, 0)).toBe(written.good);
    expect(hourly.reduce((s, r) => s + r.reject, 0)).toBe(written.reject);
  });
});
