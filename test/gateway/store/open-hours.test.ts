import { describe, expect, it } from "vitest";
import { OpenHours, type SeriesSums } from "../../../gateway/store/open-hours.ts";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";

const FROM = 1_000_000;
const TO = FROM + 3600_000;

function point(line: string, ts: number, good: number, reject = 0, epoch = "e1"): OutputPoint {
  return { plant: "p1", line, epoch, device: "d", seq: ts, ts, good, reject, goodOdo: 0, rejectOdo: 0 };
}

/** A fake InfluxDB: the points it holds, summed per series on each read; counts reads. */
function fakeStore() {
  const points = new Map<string, OutputPoint>();
  const activity = { inFlight: 0, begun: 0 };
  let reads = 0;
  const newest: boolean[] = [];
  let during: (() => void) | undefined;
  const land = (ps: OutputPoint[]) => {
    for (const p of ps) points.set(`${p.plant}|${p.line}|${p.epoch}|${p.ts}`, p);
  };
  const read = async (from: number, to: number, withNewest = true): Promise<SeriesSums[]> => {
    reads++;
    newest.push(withNewest);
    await Promise.resolve();
    during?.();
    during = undefined;
    const out = new Map<string, SeriesSums>();
    for (const p of [...points.values()].sort((a, b) => a.ts - b.ts)) {
      if (p.ts < from || p.ts >= to) continue;
      const k = `${p.plant}|${p.line}|${p.epoch}`;
      const s = out.get(k) ?? { plant: p.plant, line: p.line, epoch: p.epoch, good: 0, reject: 0, last: p };
      s.good += p.good;
      s.reject += p.reject;
      s.last = { ts: p.ts, good: p.good, reject: p.reject };
      out.set(k, s);
    }
    return [...out.values()];
  };
  const open = new OpenHours(read, () => ({ ...activity }));
  /** A write through the gateway: begins, lands, settles (and is reported). */
  const write = (ps: OutputPoint[], ok = true) => {
    activity.begun++;
    land(ps);
    open.wrote(ps, ok);
  };
  const raw = async () =>
    (await read(FROM, TO)).map((s) => ({ line: s.line, good: s.good, reject: s.reject }));
  return {
    open,
    land,
    write,
    activity,
    reads: () => reads,
    newest,
    whileReading: (f: () => void) => {
      during = f;
    },
    raw: async () => {
      const before = reads;
      const rows = await raw();
      reads = before;
      return rows.reduce<Record<string, [number, number]>>((m, r) => {
        const [g, j] = m[r.line] ?? [0, 0];
        m[r.line] = [g + r.good, j + r.reject];
        return m;
      }, {});
    },
  };
}

const byLine = (rows: Array<{ line: string; good: number; reject: number }>) =>
  Object.fromEntries(rows.map((r) => [r.line, [r.good, r.reject]]));

describe("OpenHours", () => {
  it("reads a range once, then adds the writes that append to their series", async () => {
    const s = fakeStore();
    s.land([point("l1", FROM, 5, 1), point("l1", FROM + 1000, 7), point("l2", FROM, 3)]);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual({ l1: [12, 1], l2: [3, 0] });
    expect(s.reads()).toBe(1);
    s.write([point("l1", FROM + 2000, 4, 2), point("l3", FROM + 2000, 9), point("l2", FROM, 3)]);
    // Appended (l1, new series l3) or the newest point rewritten unchanged (l2): answered from memory.
    expect(byLine(await s.open.sums(FROM, TO))).toEqual({ l1: [16, 3], l2: [3, 0], l3: [9, 0] });
    expect(s.reads()).toBe(1);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual(await s.raw());
    // A new device epoch is a new series of the same line.
    s.write([point("l1", FROM + 500, 1, 0, "e2")]);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual({ l1: [17, 3], l2: [3, 0], l3: [9, 0] });
    // Outside the range: not counted.
    s.write([point("l1", TO, 100), point("l1", FROM - 1, 100)]);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual(await s.raw());
    expect(s.reads()).toBe(1);
  });

  it("reads again after a write that rewrites an older point with other values (a replay, a re-sent minute)", async () => {
    const s = fakeStore();
    s.land([point("l1", FROM, 5), point("l1", FROM + 1000, 7)]);
    await s.open.sums(FROM, TO);
    s.write([point("l1", FROM, 50)]);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual({ l1: [57, 0] });
    expect(s.reads()).toBe(2);
    // The newest point re-sent with larger sums: read again too.
    s.write([point("l1", FROM + 1000, 8)]);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual({ l1: [58, 0] });
    expect(s.reads()).toBe(3);
    // An older point with an unchanged value still drops the range (it might have been a new point).
    s.write([point("l1", FROM + 10, 0)]);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual(await s.raw());
    expect(s.reads()).toBe(4);
  });

  it("drops the range on a failed write into it, which may have landed in part", async () => {
    const s = fakeStore();
    s.land([point("l1", FROM, 5)]);
    await s.open.sums(FROM, TO);
    s.write([point("l1", TO + 1, 5)], false); // outside: kept
    await s.open.sums(FROM, TO);
    expect(s.reads()).toBe(1);
    s.write([point("l1", FROM + 1, 5)], false);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual({ l1: [10, 0] });
    expect(s.reads()).toBe(2);
  });

  it("answers from a read that overlapped a write but does not keep it", async () => {
    const s = fakeStore();
    s.land([point("l1", FROM, 5)]);
    // A write begins and lands while the read runs; it settles after the read's answer.
    const late = [point("l1", FROM + 1000, 7)];
    s.whileReading(() => {
      s.activity.begun++;
      s.activity.inFlight++;
      s.land(late);
    });
    const first = await s.open.sums(FROM, TO);
    s.activity.inFlight--;
    s.open.wrote(late, true);
    // Had the read been kept, the settled write would now be counted twice.
    expect(byLine(first)).toEqual({ l1: [12, 0] });
    expect(s.open.size()).toBe(0);
    expect(byLine(await s.open.sums(FROM, TO))).toEqual({ l1: [12, 0] });
    expect(s.open.size()).toBe(1);
    // A write in flight when the read began: not kept either.
    s.activity.inFlight++;
    s.open.dropBefore(TO);
    expect(s.open.size()).toBe(0);
    await s.open.sums(FROM, TO);
    expect(s.open.size()).toBe(0);
    expect(s.reads()).toBe(3);
    // ... and it does not ask for the newest points, which only a kept read needs.
    expect(s.newest).toEqual([true, true, false]);
  });

  it("lets concurrent requests share one read", async () => {
    const s = fakeStore();
    s.land([point("l1", FROM, 5)]);
    const [a, b] = await Promise.all([s.open.sums(FROM, TO), s.open.sums(FROM, TO)]);
    expect(byLine(a)).toEqual({ l1: [5, 0] });
    expect(b).toEqual(a);
    expect(s.reads()).toBe(1);
  });
});
