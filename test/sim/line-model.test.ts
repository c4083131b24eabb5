import { describe, expect, it } from "vitest";
import { type LineEvent, LineModel } from "../../sim/line-model.ts";
import { hashSeed, mulberry32 } from "../../sim/random.ts";

const pulses = (events: LineEvent[], kind?: "good" | "reject") =>
  events.filter((e) => (kind ? e.kind === kind : e.kind !== "run")).length;
const runs = (events: LineEvent[]) =>
  events.flatMap((e) => (e.kind === "run" ? [[e.t, e.running] as const] : []));

describe("mulberry32", () => {
  it("gives the same sequence for the same seed and a different one for another seed", () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(hashSeed("7:sr-01/l1")).toBe(hashSeed("7:sr-01/l1"));
    expect(hashSeed("7:sr-01/l1")).not.toBe(hashSeed("7:sr-01/l2"));
  });
});

describe("LineModel", () => {
  it("produces identical events for the same seed however time is advanced", () => {
    const opts = {
      seed: 42,
      ratedPerMin: 300,
      randomStops: { meanIntervalSec: 120, meanDurationSec: 20 },
    } as const;
    const once = new LineModel(opts).advance(3_600_000);
    const chunked = new LineModel(opts);
    const parts: LineEvent[] = [];
    for (let t = 0; t <= 3_600_000; t += 777) parts.push(...chunked.advance(t));
    parts.push(...chunked.advance(3_600_000));
    expect(parts).toEqual(once);
    expect(new LineModel({ ...opts, seed: 43 }).advance(3_600_000)).not.toEqual(once);
  });

  it("makes exactly one pulse per rated cycle without jitter, rejects or stops", () => {
    const m = new LineModel({ seed: 1, ratedPerMin: 120, jitter: 0, rejectRate: 0, randomStops: false });
    const events = m.advance(60_000);
    expect(runs(events)).toEqual([[0, true]]);
    expect(pulses(events, "good")).toBe(120);
    expect(pulses(events, "reject")).toBe(0);
    expect(m.totals).toEqual({ good: 120, reject: 0 });
    expect(events[1]).toEqual({ t: 500, kind: "good" });
  });

  it("runs near its rated speed with jitter and rejects near the reject rate", () => {
    const m = new LineModel({ seed: 9, ratedPerMin: 120, jitter: 0.1, rejectRate: 0.02, randomStops: false });
    const events = m.advance(3_600_000);
    const total = pulses(events);
    expect(total).toBeGreaterThanOrEqual(7150);
    expect(total).toBeLessThanOrEqual(7250);
    expect(pulses(events, "reject")).toBeGreaterThan(100);
    expect(pulses(events, "reject")).toBeLessThan(190);
    expect(m.totals.good + m.totals.reject).toBe(total);
  });

  it("stops for a scheduled window: run signal off and no pulses from START to START+DURATION", () => {
    const m = new LineModel({
      seed: 1,
      ratedPerMin: 120,
      jitter: 0,
      rejectRate: 0,
      randomStops: false,
      stops: [{ startSec: 10, durationSec: 20 }],
    });
    const events = m.advance(60_000);
    expect(runs(events)).toEqual([
      [0, true],
      [10_000, false],
      [30_000, true],
    ]);
    // 500 … 9500 before the stop (19), 30500 … 60000 after it (60).
    expect(pulses(events)).toBe(79);
    expect(events.some((e) => e.kind !== "run" && e.t >= 10_000 && e.t < 30_000)).toBe(false);
  });

  it("starts stopped when a scheduled stop covers time 0", () => {
    const m = new LineModel({
      seed: 1,
      ratedPerMin: 60,
      jitter: 0,
      randomStops: false,
      stops: [{ startSec: 0, durationSec: 5 }],
    });
    expect(runs(m.advance(10_000))).toEqual([
      [0, false],
      [5_000, true],
    ]);
    expect(m.running).toBe(true);
  });

  it("stops at random, each stop at least a second, when random stops are enabled", () => {
    const m = new LineModel({
      seed: 5,
      ratedPerMin: 200,
      randomStops: { meanIntervalSec: 60, meanDurationSec: 10 },
    });
    const r = runs(m.advance(3_600_000));
    const stops = r.filter(([, running]) => !running);
    expect(stops.length).toBeGreaterThan(20);
    for (let i = 1; i + 1 < r.length; i += 2) {
      const [stopAt, running] = r[i]!;
      const [startAt] = r[i + 1]!;
      expect(running).toBe(false);
      expect(startAt - stopAt).toBeGreaterThanOrEqual(1000);
    }
  });
});
