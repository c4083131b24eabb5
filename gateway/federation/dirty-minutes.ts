import { lineKey, MINUTE_MS } from "../../protocol/index.ts";
import type { OutputPoint, SampleStore } from "../store/sample-store.ts";

/** Minutes per "plant/line" whose stored sums changed since they were last forwarded. */
export type DirtySet = Map<string, Set<number>>;

/**
 * The minutes a plant gateway still has to forward upstream. Marked when points reach InfluxDB (not when
 * they are accepted: a point parked in the disk spool is marked when the spool drains it), taken by the
 * forwarder's tick, and given back when the tick fails.
 */
export class DirtyMinutes {
  #dirty: DirtySet = new Map();

  constructor(private readonly plants: ReadonlySet<string> | null = null) {}

  mark(plant: string, line: string, ts: number): void {
    if (this.plants !== null && !this.plants.has(plant)) return;
    const key = lineKey(plant, line);
    let minutes = this.#dirty.get(key);
    if (minutes === undefined) {
      minutes = new Set();
      this.#dirty.set(key, minutes);
    }
    minutes.add(Math.floor(ts / MINUTE_MS) * MINUTE_MS);
  }

  get size(): number {
    let n = 0;
    for (const m of this.#dirty.values()) n += m.size;
    return n;
  }

  /** Everything dirty so far; the set starts empty again. */
  take(): DirtySet {
    const taken = this.#dirty;
    this.#dirty = new Map();
    return taken;
  }

  /** Puts back what a failed tick took. */
  giveBack(taken: DirtySet): void {
    for (const [key, minutes] of taken) {
      const [plant, line] = key.split("/") as [string, string];
      for (const t of minutes) this.mark(plant, line, t);
    }
  }
}

/** The store, with every successfully written point marking its minute dirty. */
export function markingWrites(store: SampleStore, dirty: DirtyMinutes): SampleStore {
  return {
    write: async (points: readonly OutputPoint[]) => {
      await store.write(points);
      for (const p of points) dirty.mark(p.plant, p.line, p.ts);
    },
    sumOutput: (q) => store.sumOutput(q),
    lastMarks: () => store.lastMarks(),
    ping: () => store.ping(),
  };
}
