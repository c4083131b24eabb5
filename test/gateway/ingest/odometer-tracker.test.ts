import { describe, expect, it } from "vitest";
import { OdometerTracker } from "../../../gateway/ingest/odometer-tracker.ts";
import type { Sample } from "../../../protocol/index.ts";

const T0 = 1_700_000_000_000;
const s = (seq: number, good: number, reject = 0, over: Partial<Sample> = {}): Sample => ({
  v: 1,
  device: "pi-07",
  epoch: "e1",
  seq,
  ts: T0 + seq * 1000,
  good,
  reject,
  ...over,
});

function deltas(tracker: OdometerTracker, samples: Sample[]) {
  return samples.map((x) => {
    const r = tracker.accept("sr-01", "l1", x);
    return r.ok ? [r.point.good, r.point.reject] : r.reason;
  });
}

describe("OdometerTracker", () => {
  it("turns cumulative odometers into deltas, the first sample of an epoch counting from zero", () => {
    const t = new OdometerTracker();
    expect(deltas(t, [s(1, 100, 2), s(2, 150, 2), s(3, 151, 5)])).toEqual([
      [100, 2],
      [50, 0],
      [1, 3],
    ]);
  });

  it("produces a complete point keyed by the sample's ts", () => {
    const t = new OdometerTracker();
    const r = t.accept("sr-01", "l1", s(7, 10, 1, { run: true }));
    expect(r).toEqual({
      ok: true,
      resets: [],
      shiftedTs: false,
      point: {
        plant: "sr-01",
        line: "l1",
        epoch: "e1",
        device: "pi-07",
        seq: 7,
        ts: T0 + 7000,
        good: 10,
        reject: 1,
        goodOdo: 10,
        rejectOdo: 1,
        run: true,
      },
    });
  });

  it("rejects a duplicate seq and a stale (older) seq without adding counts", () => {
    const t = new OdometerTracker();
    expect(deltas(t, [s(1, 10), s(3, 30), s(3, 30), s(2, 20), s(1, 10), s(4, 45)])).toEqual([
      [10, 0],
      [20, 0],
      "duplicate",
      "stale",
      "stale",
      [15, 0],
    ]);
  });

  it("counts every mask exactly once whatever the delivery order", () => {
    const t = new OdometerTracker();
    const order = [2, 1, 5, 3, 4, 5, 6, 6, 2, 8, 7];
    const result = deltas(
      t,
      order.map((seq) => s(seq, seq * 10, seq)),
    );
    const total = result.reduce<number[]>(
      (sum, d) => (Array.isArray(d) ? [(sum[0] ?? 0) + (d[0] ?? 0), (sum[1] ?? 0) + (d[1] ?? 0)] : sum),
      [0, 0],
    );
    expect(total).toEqual([80, 8]);
  });

  it("starts a new epoch from zero and keeps the old epoch's series", () => {
    const t = new OdometerTracker();
    expect(
      deltas(t, [s(10, 500), s(1, 7, 0, { epoch: "e2" }), s(2, 9, 0, { epoch: "e2" }), s(11, 520)]),
    ).toEqual([
      [500, 0],
      [7, 0],
      [2, 0],
      [20, 0],
    ]);
  });

  it("treats a decrease within an epoch (with a higher seq) as a reset: the new odometer is all new counts", () => {
    const t = new OdometerTracker();
    t.accept("sr-01", "l1", s(1, 1000, 50));
    const r = t.accept("sr-01", "l1", s(2, 30, 60));
    expect(r.ok && [r.point.good, r.point.reject, r.resets]).toEqual([30, 10, ["good"]]);
    const next = t.accept("sr-01", "l1", s(3, 40, 61));
    expect(next.ok && [next.point.good, next.point.reject, next.resets]).toEqual([10, 1, []]);
  });

  it("keeps ts strictly increasing per series: a new seq at or before the last ts is stored at last ts + 1 ms", () => {
    const t = new OdometerTracker();
    const a = t.accept("sr-01", "l1", s(1, 10, 0, { ts: T0 }));
    const b = t.accept("sr-01", "l1", s(2, 20, 0, { ts: T0 }));
    const c = t.accept("sr-01", "l1", s(3, 30, 0, { ts: T0 - 5000 }));
    const d = t.accept("sr-01", "l1", s(4, 40, 0, { ts: T0 + 10 }));
    expect([a, b, c, d].map((r) => r.ok && [r.point.ts - T0, r.shiftedTs])).toEqual([
      [0, false],
      [1, true],
      [2, true],
      [10, false],
    ]);
  });

  it("keeps series of different lines and plants apart", () => {
    const t = new OdometerTracker();
    const a = t.accept("sr-01", "l1", s(1, 10));
    const b = t.accept("sr-01", "l2", s(1, 10));
    const c = t.accept("nc-01", "l1", s(1, 10));
    expect([a.ok, b.ok, c.ok]).toEqual([true, true, true]);
  });

  it("after restore, replays of stored samples add nothing and the next sample counts from the stored odometer", () => {
    const before = new OdometerTracker();
    const stored = [s(1, 100, 1), s(2, 180, 3)].map((x) => before.accept("sr-01", "l1", x));
    const last = stored[1];
    expect(last?.ok).toBe(true);
    if (!last?.ok) return;
    const t = new OdometerTracker();
    t.restore([{ ...last.point, seq: last.point.seq }]);
    expect(deltas(t, [s(1, 100, 1), s(2, 180, 3), s(3, 200, 3)])).toEqual(["stale", "duplicate", [20, 0]]);
  });

  it("restore keeps the newest mark when given several for one series", () => {
    const t = new OdometerTracker();
    const mark = { plant: "sr-01", line: "l1", epoch: "e1", ts: T0, goodOdo: 0, rejectOdo: 0 };
    t.restore([
      { ...mark, seq: 5, goodOdo: 50 },
      { ...mark, seq: 3, goodOdo: 30 },
    ]);
    expect(t.last("sr-01", "l1", "e1")?.seq).toBe(5);
    expect(deltas(t, [s(6, 55)])).toEqual([[5, 0]]);
  });

  it("after restore, a sample whose ts is not after the stored mark's ts is moved past it", () => {
    const t = new OdometerTracker();
    t.restore([
      { plant: "sr-01", line: "l1", epoch: "e1", seq: 5, ts: T0 + 9000, goodOdo: 50, rejectOdo: 0 },
    ]);
    const r = t.accept("sr-01", "l1", s(6, 60, 0, { ts: T0 + 9000 }));
    expect(r.ok && r.point.ts).toBe(T0 + 9001);
  });
});
