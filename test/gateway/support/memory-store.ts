import type {
  OdometerMark,
  OutputPoint,
  OutputQuery,
  SampleStore,
} from "../../../gateway/store/sample-store.ts";
import type { Counts } from "../../../protocol/index.ts";

/**
 * An in-memory SampleStore with InfluxDB's keying: a point is identified by (plant, line, epoch, ts), and
 * writing it again overwrites it. `failWrites` makes writes reject (a server outage); `writes` records
 * every batch so tests can wait for and inspect them.
 */
export class MemoryStore implements SampleStore {
  readonly points = new Map<string, OutputPoint>();
  readonly writes: OutputPoint[][] = [];
  failWrites = false;
  /** Writes refused while `failWrites` was set. */
  failedWrites = 0;
  #waiters: Array<() => void> = [];

  async write(points: readonly OutputPoint[]): Promise<void> {
    if (this.failWrites) {
      this.failedWrites++;
      throw new Error("store down");
    }
    this.writes.push([...points]);
    for (const p of points) this.points.set(`${p.plant}/${p.line}/${p.epoch}/${p.ts}`, { ...p });
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async sumOutput(q: OutputQuery): Promise<Array<{ plant: string; line: string } & Counts>> {
    const sums = new Map<string, { plant: string; line: string } & Counts>();
    for (const p of this.points.values()) {
      if (p.ts < q.from.getTime() || p.ts >= q.to.getTime()) continue;
      if ((q.plant !== undefined && p.plant !== q.plant) || (q.line !== undefined && p.line !== q.line))
        continue;
      const key = `${p.plant}/${p.line}`;
      const s = sums.get(key) ?? { plant: p.plant, line: p.line, good: 0, reject: 0 };
      s.good += p.good;
      s.reject += p.reject;
      sums.set(key, s);
    }
    return [...sums.values()].sort((a, b) => `${a.plant}/${a.line}`.localeCompare(`${b.plant}/${b.line}`));
  }

  async lastMarks(): Promise<OdometerMark[]> {
    const newest = new Map<string, OutputPoint>();
    for (const p of this.points.values()) {
      const key = `${p.plant}/${p.line}/${p.epoch}`;
      const known = newest.get(key);
      if (known === undefined || p.ts > known.ts) newest.set(key, p);
    }
    return [...newest.values()].map(({ plant, line, epoch, seq, ts, goodOdo, rejectOdo }) => ({
      plant,
      line,
      epoch,
      seq,
      ts,
      goodOdo,
      rejectOdo,
    }));
  }

  async ping(): Promise<boolean> {
    return !this.failWrites;
  }

  /** Totals over every stored point, optionally for one line. */
  total(plant?: string, line?: string): Counts {
    let good = 0;
    let reject = 0;
    for (const p of this.points.values()) {
      if ((plant !== undefined && p.plant !== plant) || (line !== undefined && p.line !== line)) continue;
      good += p.good;
      reject += p.reject;
    }
    return { good, reject };
  }

  /** Resolves at the next successful write. */
  nextWrite(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
