import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";
import { type TestInflux, testInflux } from "../../support/influx.ts";

let db: TestInflux;
beforeAll(async () => {
  db = await testInflux("store");
});
afterAll(async () => {
  await db?.drop();
});

const T0 = Date.UTC(2026, 10, 29, 0, 0, 0);

function point(over: Partial<OutputPoint>): OutputPoint {
  return {
    plant: "sr-01",
    line: "l1",
    epoch: "e1",
    device: "pi-01",
    seq: 1,
    ts: T0,
    good: 0,
    reject: 0,
    goodOdo: 0,
    rejectOdo: 0,
    ...over,
  };
}

describe("InfluxSampleStore against a real InfluxDB", () => {
  it("sums stored deltas exactly with from ≤ t < to, per line, and rewriting a point does not add it twice", async () => {
    await db.store.write([
      point({ seq: 1, ts: T0, good: 100, reject: 2, goodOdo: 100, rejectOdo: 2 }),
      point({ seq: 2, ts: T0 + 1000, good: 7, reject: 1, goodOdo: 107, rejectOdo: 3 }),
      point({ line: "l2", seq: 1, ts: T0 + 500, good: 40, goodOdo: 40 }),
      point({ plant: "sr-02", seq: 1, ts: T0 + 2000, good: 9_007_199_254_740, goodOdo: 9_007_199_254_740 }),
    ]);
    // A replay of seq 2 with the same timestamp overwrites, it does not add.
    await db.store.write([point({ seq: 2, ts: T0 + 1000, good: 7, reject: 1, goodOdo: 107, rejectOdo: 3 })]);

    const all = await db.store.sumOutput({ from: new Date(T0), to: new Date(T0 + 3000) });
    expect(all).toEqual([
      { plant: "sr-01", line: "l1", good: 107, reject: 3 },
      { plant: "sr-01", line: "l2", good: 40, reject: 0 },
      { plant: "sr-02", line: "l1", good: 9_007_199_254_740, reject: 0 },
    ]);
    // The upper bound is exclusive, the lower inclusive.
    expect(
      await db.store.sumOutput({ from: new Date(T0), to: new Date(T0 + 1000), plant: "sr-01", line: "l1" }),
    ).toEqual([{ plant: "sr-01", line: "l1", good: 100, reject: 2 }]);
    expect(
      await db.store.sumOutput({ from: new Date(T0 + 1000), to: new Date(T0 + 3000), plant: "sr-01" }),
    ).toEqual([{ plant: "sr-01", line: "l1", good: 7, reject: 1 }]);
  });

  it("filters by plant with a bound parameter, so a quote in the value cannot change the query", async () => {
    expect(
      await db.store.sumOutput({ from: new Date(0), to: new Date(T0 + 3000), plant: "x' OR '1'='1" }),
    ).toEqual([]);
  });

  it("recovers the newest odometer mark of every (plant, line, epoch) series", async () => {
    await db.store.write([
      point({ line: "l3", epoch: "e2", seq: 9, ts: T0 + 50, good: 5, goodOdo: 55, rejectOdo: 4 }),
    ]);
    const marks = await db.store.lastMarks();
    expect(marks.find((m) => m.plant === "sr-01" && m.line === "l1" && m.epoch === "e1")).toEqual({
      plant: "sr-01",
      line: "l1",
      epoch: "e1",
      seq: 2,
      ts: T0 + 1000,
      goodOdo: 107,
      rejectOdo: 3,
    });
    expect(marks.find((m) => m.line === "l3")).toEqual({
      plant: "sr-01",
      line: "l3",
      epoch: "e2",
      seq: 9,
      ts: T0 + 50,
      goodOdo: 55,
      rejectOdo: 4,
    });
    expect(marks).toHaveLength(4);
  });

  it("answers ping while the server is up", async () => {
    expect(await db.store.ping()).toBe(true);
  });
});
