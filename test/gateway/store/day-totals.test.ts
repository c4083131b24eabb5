import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dayStart } from "../../../gateway/lines/production-day.ts";
import { DayTotals, type ExactSums } from "../../../gateway/store/day-totals.ts";
import { InfluxOutputAggregates, wholeHours } from "../../../gateway/store/influx-output-aggregates.ts";
import type { LineTotalRow } from "../../../gateway/store/output-aggregates.ts";
import { HOUR_MS, type HourlyRollups, type RollupListener } from "../../../gateway/store/rollup-hours.ts";
import type { SampleStore } from "../../../gateway/store/sample-store.ts";
import { testInflux } from "../../support/influx.ts";
import { FakeClock, waitFor } from "../support/fakes.ts";
import { history as historyOver, point, testRollups } from "./support.ts";

const TZ = "Asia/Shanghai";
const START = dayStart("2020-02-07", TZ).getTime(); // 2020-02-06T16:00Z
const DAY = 24 * HOUR_MS;

/** 3 days and 2 hours of history, 2 lines, a point every 20 min. */
const history = () => historyOver(START, START + 3 * DAY + 2 * HOUR_MS);

const sorted = (rows: LineTotalRow[]) => rows.map((r) => JSON.stringify(r)).sort();

/**
 * HourlyRollups backfilled over `db` at `now`, the held (rollups + day totals) and raw aggregates, and every
 * InfluxDB statement reported to `onQuery` (to tell answers from memory apart).
 */
async function openHeld(
  db: Awaited<ReturnType<typeof testInflux>>,
  now: number,
  onQuery: (statements: string[]) => void,
  rerollDelayMs?: number,
) {
  const clock = new FakeClock(now);
  const rollups = testRollups(db.store.influx, clock, rerollDelayMs);
  await rollups.open();
  const store = rollups.writesThrough(db.store);
  rollups.start();
  await waitFor(() => rollups.rolledUntil() !== null, 15_000, "backfill");
  const held = new InfluxOutputAggregates(db.store.influx, rollups, { zones: () => [TZ] });
  await held.prefilled();
  const raw = new InfluxOutputAggregates(db.store.influx);
  const query = db.store.influx.query.bind(db.store.influx);
  db.store.influx.query = ((q: string | string[], o?: object) => {
    onQuery(Array.isArray(q) ? q : [q]);
    return query(q as string, o);
  }) as typeof db.store.influx.query;
  return { rollups, store, held, raw };
}

/** In memory, against the real InfluxDB: every answer equals the raw points' to the unit. */
describe("DayTotals with HourlyRollups", () => {
  let db: Awaited<ReturnType<typeof testInflux>>;
  let rollups: HourlyRollups;
  let store: SampleStore;
  let held: InfluxOutputAggregates;
  let raw: InfluxOutputAggregates;
  let asked: string[];

  beforeEach(async () => {
    db = await testInflux("day_totals");
    await db.store.write(history());
    ({ rollups, store, held, raw } = await openHeld(
      db,
      START + 3 * DAY + 2 * HOUR_MS + 10 * 60_000,
      (statements) => asked.push(...statements),
      10,
    ));
    asked = [];
  });
  afterEach(async () => {
    await rollups.close();
    await db.drop();
  });

  const day = (date: string) => ({ fromDate: date, toDate: date, tz: TZ });
  const expectExact = async (q: { fromDate: string; toDate: string; tz: string }) =>
    expect(sorted(await held.totals(q))).toEqual(sorted(await raw.totals(q)));

  it("answers settled days from memory and today from its held hours plus InfluxDB for the rest", async () => {
    // 35 settled days (those before the history hold nothing, exactly) and today's two rolled hours.
    expect(held.daysHeld()).toBe(36);
    asked = [];
    const feb8 = await held.totals(day("2020-02-08"));
    expect(asked).toEqual([]);
    expect(sorted(feb8)).toEqual(sorted(await raw.totals(day("2020-02-08"))));
    asked = [];
    await held.totals({ fromDate: "2020-02-07", toDate: "2020-02-10", tz: TZ });
    // Only today's hours after the watermark (START + 3 days + 2 h) were asked for: sums and newest points.
    expect(asked).toHaveLength(2);
    for (const q of asked) expect(q).toContain(`time >= ${START + 3 * DAY + 2 * HOUR_MS}ms`);
    // Then held: no write came since.
    asked = [];
    await held.totals(day("2020-02-10"));
    expect(asked).toEqual([]);
    await expectExact({ fromDate: "2020-02-07", toDate: "2020-02-10", tz: TZ });
  });

  it("answers one plant's days (GET /api/plants/:plant/days) from memory, exact at once after a late write", async () => {
    const q = { fromDate: "2020-01-20", toDate: "2020-02-10", tz: TZ, plant: "p1" };
    const byDay = (rows: Array<{ date: string; line: string; good: number; reject: number }>) =>
      rows
        .filter((r) => r.good !== 0 || r.reject !== 0)
        .map((r) => `${r.date} ${r.line} ${r.good}/${r.reject}`)
        .sort();
    asked = [];
    const fromMemory = await held.daily(q);
    expect(asked.filter((a) => !a.includes("LIMIT 1") && !a.includes("epoch"))).toEqual([]);
    const expected = byDay(await raw.daily(q));
    expect(expected).toHaveLength(8); // 2 lines × 4 days with output
    expect(byDay(fromMemory)).toEqual(expected);
    expect(await held.daily({ ...q, plant: "other" })).toEqual([]);
    await store.write([point("l2", START + DAY + 3 * HOUR_MS + 7, 11, 0)]); // 2020-02-08, a rolled hour
    // At once: the marked day is read raw until it has settled again.
    expect(byDay(await held.daily(q))).toEqual(byDay(await raw.daily(q)));
    expect(byDay(await held.daily(q))).not.toEqual(expected);
  });

  it("a write into today's open hours changes the next answer at once, from memory; a rewrite reads again", async () => {
    const today = day("2020-02-10");
    const l1 = (rows: LineTotalRow[]) => rows.find((r) => r.line === "l1") as LineTotalRow;
    const before = l1(await held.totals(today));
    const t = START + 3 * DAY + 2 * HOUR_MS + 5 * 60_000; // after the watermark
    await store.write([point("l1", t, 40, 2), point("l2", t + 1000, 6, 0)]);
    asked = [];
    const after = await held.totals(today);
    expect(asked).toEqual([]);
    expect(l1(after)).toEqual({ ...before, good: before.good + 40, reject: before.reject + 2 });
    expect(sorted(after)).toEqual(sorted(await raw.totals(today)));
    // The same point again with other values (a replay of a re-counted sample, a re-sent minute).
    await store.write([point("l1", t, 45, 2)]);
    asked = [];
    const rewritten = await held.totals(today);
    expect(asked.length).toBeGreaterThan(0);
    expect(l1(rewritten).good).toBe(before.good + 45);
    expect(sorted(rewritten)).toEqual(sorted(await raw.totals(today)));
    // A write InfluxDB refused may have landed in part: read again, still exact.
    const failing: SampleStore = {
      sumOutput: (q) => db.store.sumOutput(q),
      lastMarks: () => db.store.lastMarks(),
      ping: () => db.store.ping(),
      write: async (points) => {
        await db.store.write(points);
        throw new Error("timed out after landing");
      },
    };
    await expect(rollups.writesThrough(failing).write([point("l2", t + 60_000, 7, 1)])).rejects.toThrow();
    asked = [];
    expect(sorted(await held.totals(today))).toEqual(sorted(await raw.totals(today)));
    expect(asked.filter((q) => q.includes("LIMIT 1"))).toHaveLength(1);
  });

  it("a late write for a past day changes that day's answer at once, and only that day's (Asia/Shanghai midnight)", async () => {
    const before = await held.totals(day("2020-02-08"));
    const lastMinuteOf8th = START + 2 * DAY - 60_000; // 23:59 local = 15:59Z
    await store.write([point("l1", lastMinuteOf8th, 1000, 7)]);
    expect(held.daysHeld()).toBe(35); // 8 Feb dropped; 9 Feb (from 16:00Z) kept
    const after = await held.totals(day("2020-02-08"));
    const l1 = (rows: LineTotalRow[]) => rows.find((r) => r.line === "l1") as LineTotalRow;
    expect(l1(after).good).toBe(l1(before).good + 1000);
    expect(l1(after).reject).toBe(l1(before).reject + 7);
    await expectExact(day("2020-02-08"));
    await expectExact(day("2020-02-09"));
    // Local midnight of the 9th (16:00Z) belongs to the 9th.
    await store.write([point("l2", START + 2 * DAY, 500, 0)]);
    await expectExact(day("2020-02-09"));
    await expectExact(day("2020-02-08"));
    // Once re-rolled, the days settle again and are held anew, still exact.
    await waitFor(
      () => !rollups.isDirty(START + 2 * DAY - HOUR_MS) && !rollups.isDirty(START + 2 * DAY),
      10_000,
      "re-roll",
    );
    await held.totals({ fromDate: "2020-02-08", toDate: "2020-02-09", tz: TZ });
    asked = [];
    await expectExact({ fromDate: "2020-02-07", toDate: "2020-02-09", tz: TZ });
    expect(asked.filter((q) => q.includes("output_1h") || q.includes("FROM output "))).toHaveLength(1); // raw only
  });
});

describe("DayTotals", () => {
  it("does not keep a day whose hours were written to while it was being read", async () => {
    let listener: RollupListener = {};
    const view = {
      rolledUntil: () => START + 2 * DAY + 5 * HOUR_MS,
      isDirty: () => false,
      subscribe: (l: RollupListener) => {
        listener = l;
      },
    };
    let calls = 0;
    let ranges = 0;
    const sums: ExactSums = {
      daily: async (fromDate) => {
        calls++;
        if (calls === 1) listener.marked?.(START + 5 * HOUR_MS); // a late write lands meanwhile
        return [{ date: fromDate, plant: "p1", line: "l1", good: calls, reject: 0 }];
      },
      range: async () => {
        ranges++;
        return [];
      },
      series: async () => [],
    };
    const totals = new DayTotals({ view, wholeHours }, sums);
    expect(await totals.totals(day("2020-02-07"))).toEqual([{ plant: "p1", line: "l1", good: 1, reject: 0 }]);
    expect(totals.size()).toBe(0);
    expect(await totals.totals(day("2020-02-07"))).toEqual([{ plant: "p1", line: "l1", good: 2, reject: 0 }]);
    expect(totals.size()).toBe(1);
    expect(await totals.totals(day("2020-02-07"))).toEqual([{ plant: "p1", line: "l1", good: 2, reject: 0 }]);
    expect(calls).toBe(2);
    // A day not yet wholly rolled is never kept (and without writeActivity its open hours are always read).
    await totals.totals(day("2020-02-09"));
    await totals.totals(day("2020-02-09"));
    expect(calls).toBe(4);
    await totals.totals(day("2020-02-10"));
    await totals.totals(day("2020-02-10"));
    expect(ranges).toBe(2);
  });
});

const day = (date: string) => ({ fromDate: date, toDate: date, tz: TZ });

/** Just after local midnight in Asia/Shanghai (16:00Z): yesterday's last hour and today are both open. */
describe("DayTotals at Asia/Shanghai midnight", () => {
  let db: Awaited<ReturnType<typeof testInflux>>;
  let rollups: HourlyRollups;
  let store: SampleStore;
  let held: InfluxOutputAggregates;
  let raw: InfluxOutputAggregates;
  const MIDNIGHT = START + 2 * DAY; // 2020-02-09 00:00 local
  let asked: number;

  beforeEach(async () => {
    db = await testInflux("day_totals_midnight");
    await db.store.write(history().filter((p) => p.ts < MIDNIGHT - 60_000));
    // 00:03 local: the watermark is 23:00 local (an hour ends 5 min before it is rolled).
    ({ rollups, store, held, raw } = await openHeld(db, MIDNIGHT + 3 * 60_000, () => {
      asked++;
    }));
    asked = 0;
  });
  afterEach(async () => {
    await rollups.close();
    await db.drop();
  });

  it("counts a write at 23:59:59.999 for yesterday and one at 00:00 for today, at once and exactly", async () => {
    expect(rollups.rolledUntil()).toBe(MIDNIGHT - HOUR_MS);
    const yesterday = day("2020-02-08");
    const today = day("2020-02-09");
    const y0 = await held.totals(yesterday);
    expect(await held.totals(today)).toEqual([]);
    await store.write([point("l1", MIDNIGHT - 1, 11, 1), point("l2", MIDNIGHT, 22, 2)]);
    asked = 0;
    const y1 = await held.totals(yesterday);
    expect(asked).toBe(0); // from memory: the held hours plus the open hour kept from the write
    const good = (rows: LineTotalRow[], line: string) => rows.find((r) => r.line === line)?.good ?? 0;
    expect(good(y1, "l1")).toBe(good(y0, "l1") + 11);
    expect(good(y1, "l2")).toBe(good(y0, "l2"));
    expect(await held.totals(today)).toEqual([{ plant: "p1", line: "l2", good: 22, reject: 2 }]);
    expect(sorted(y1)).toEqual(sorted(await raw.totals(yesterday)));
    expect(sorted(await held.totals(today))).toEqual(sorted(await raw.totals(today)));
    const both = { fromDate: "2020-02-07", toDate: "2020-02-09", tz: TZ };
    expect(sorted(await held.totals(both))).toEqual(sorted(await raw.totals(both)));
  });
});
