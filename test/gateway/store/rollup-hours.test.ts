import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dayStart } from "../../../gateway/lines/production-day.ts";
import { InfluxOutputAggregates } from "../../../gateway/store/influx-output-aggregates.ts";
import { HOUR_MS, type HourlyRollups } from "../../../gateway/store/rollup-hours.ts";
import type { OutputPoint, SampleStore } from "../../../gateway/store/sample-store.ts";
import { testInflux } from "../../support/influx.ts";
import { FakeClock, waitFor } from "../support/fakes.ts";
import { history as historyOver, point, testRollups } from "./support.ts";

const TZ = "Asia/Shanghai";
const START = dayStart("2020-02-07", TZ).getTime();

/** 3 days of history, 2 lines, a point every 20 min with varying counts. */
const history = () => historyOver(START, START + 3 * 24 * HOUR_MS);

/**
 * The hourly rollup against the real InfluxDB: every answer read through the rollups equals the raw-point
 * answer to the unit — after the backfill, after a late point into a rolled hour, after a replay rewriting
 * a past hour's point, and after a restart that found a dirty hour not yet re-rolled.
 */
describe("HourlyRollups", () => {
  let db: Awaited<ReturnType<typeof testInflux>>;
  let clock: FakeClock;
  const running: HourlyRollups[] = [];

  beforeEach(async () => {
    db = await testInflux("rollup_hours");
    clock = new FakeClock(START + 3 * 24 * HOUR_MS + 10 * 60_000);
    await db.store.write(history());
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    await db.drop();
  });

  async function open(rerollDelayMs = 10): Promise<{ rollups: HourlyRollups; store: SampleStore }> {
    const rollups = testRollups(db.store.influx, clock, rerollDelayMs);
    running.push(rollups);
    await rollups.open();
    return { rollups, store: rollups.writesThrough(db.store) };
  }

  /** Daily, hourly and total answers through the rollups equal the raw ones (and are not empty). */
  async function expectExact(rollups: HourlyRollups, tz = TZ): Promise<void> {
    const rolled = new InfluxOutputAggregates(db.store.influx, rollups);
    const raw = new InfluxOutputAggregates(db.store.influx);
    const days = { fromDate: "2020-02-06", toDate: "2020-02-10", tz };
    const hours = { from: new Date(START), to: new Date(START + 4 * 24 * HOUR_MS), tz };
    const sort = <T extends { plant: string; line: string }>(rows: T[]) =>
      rows.map((r) => JSON.stringify(r)).sort();
    const [d, h, t] = await Promise.all([rolled.daily(days), rolled.hourly(hours), rolled.totals(days)]);
    expect(sort(d)).toEqual(sort(await raw.daily(days)));
    expect(sort(h)).toEqual(sort(await raw.hourly(hours)));
    expect(sort(t)).toEqual(sort(await raw.totals(days)));
    expect(d.length).toBeGreaterThanOrEqual(6);
  }

  async function rollupSum(hour: number): Promise<number> {
    const rows = await db.store.influx.query<{ good: number }>(
      `SELECT sum(good) AS good FROM output_1h WHERE time >= ${hour}ms AND time < ${hour + HOUR_MS}ms`,
    );
    return rows[0]?.good ?? 0;
  }

  it("backfills all history, then advances hour by hour", async () => {
    const { rollups } = await open();
    rollups.start();
    await waitFor(() => rollups.rolledUntil() !== null, 15_000, "backfill");
    // Rolled up to the last closed hour (5 min grace): the current hour is read raw.
    expect(rollups.rolledUntil()).toBe(START + 3 * 24 * HOUR_MS);
    const all = await db.store.sumOutput({ from: new Date(0), to: new Date(clock.now()) });
    const rolledTotal = await db.store.influx.query<{ good: number; reject: number }>(
      "SELECT sum(good) AS good, sum(reject) AS reject FROM output_1h",
    );
    expect(rolledTotal[0]?.good).toBe(all.reduce((s, r) => s + r.good, 0));
    expect(rolledTotal[0]?.reject).toBe(all.reduce((s, r) => s + r.reject, 0));
    await expectExact(rollups);
    await expectExact(rollups, "Asia/Kolkata");
    // The answer does come from the rollup: a write that bypasses it (never done by the gateway) is not seen.
    await db.store.write([point("l1", START + 2 * HOUR_MS + 1, 999, 0)]);
    const q = { fromDate: "2020-02-07", toDate: "2020-02-07", tz: TZ };
    const viaRollup = await new InfluxOutputAggregates(db.store.influx, rollups).totals({
      ...q,
      plant: "p1",
    });
    const raw = await new InfluxOutputAggregates(db.store.influx).totals(q);
    const l1 = (rows: typeof raw) => rows.find((r) => r.line === "l1")?.good ?? -1;
    expect(l1(raw)).toBe(l1(viaRollup) + 999);
    await db.store.write([point("l1", START + 2 * HOUR_MS + 1, 0, 0)]);
    clock.advance(2 * HOUR_MS);
    await waitFor(() => rollups.rolledUntil() === START + 3 * 24 * HOUR_MS + 2 * HOUR_MS, 10_000, "advance");
    await expectExact(rollups);
  });

  it("reads a late or replayed hour raw until it is re-rolled, then the rollup has it", async () => {
    const { rollups, store } = await open();
    rollups.start();
    await waitFor(() => rollups.rolledUntil() !== null, 15_000, "backfill");
    const late = START + 30 * HOUR_MS;
    const before = await rollupSum(late);
    // A late sample: a new point in a rolled hour.
    await store.write([point("l1", late + 5 * 60_000, 1000, 7)]);
    await expectExact(rollups);
    await waitFor(() => !rollups.isDirty(late), 10_000, "re-roll");
    expect(await rollupSum(late)).toBe(before + 1000);
    await expectExact(rollups);
    // A replay that rewrites an existing point of a past hour (a re-sent federated minute, say) with more.
    const replayed = START + 40 * HOUR_MS;
    const old = history().find((p) => p.line === "l2" && p.ts >= replayed) as OutputPoint;
    const was = await rollupSum(replayed);
    await store.write([{ ...old, good: old.good + 50 }]);
    await expectExact(rollups);
    await waitFor(() => !rollups.isDirty(replayed), 10_000, "re-roll");
    expect(await rollupSum(replayed)).toBe(was + 50);
    await expectExact(rollups);
  });

  it("re-rolls, after a restart, a past hour written just before the gateway stopped", async () => {
    const first = await open(60_000);
    first.rollups.start();
    await waitFor(() => first.rollups.rolledUntil() !== null, 15_000, "backfill");
    const late = START + 50 * HOUR_MS;
    const before = await rollupSum(late);
    await first.store.write([point("l2", late + 60_000, 500, 5, "e2")]);
    expect(first.rollups.isDirty(late)).toBe(true);
    await first.rollups.close(); // killed before the (60 s) re-roll delay
    const second = await open();
    expect(second.rollups.isDirty(late)).toBe(true);
    await expectExact(second.rollups);
    second.rollups.start();
    await waitFor(() => !second.rollups.isDirty(late), 10_000, "re-roll after restart");
    expect(await rollupSum(late)).toBe(before + 500);
    await expectExact(second.rollups);
  });
});
