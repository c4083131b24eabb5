import type { InfluxDB } from "influx";
import type { Logger } from "pino";
import type { Clock } from "../clock.ts";
import { retryUntilUp } from "./durable-writes.ts";
import { InfluxSampleStore } from "./influx-sample-store.ts";
import type { OutputPoint, SampleStore } from "./sample-store.ts";

export const HOUR_MS = 3600_000;
export const ROLLUP = "output_1h";
const STATE = "rollup_state";
const DIRTY = "rollup_dirty";
const DAY_MS = 24 * HOUR_MS;

export const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;

/** Told, synchronously, what changes the rollup: the query side's in-memory day totals (day-totals.ts). */
export interface RollupListener {
  /** A write is about to land in the rolled hour `hour` (called before the write, for every such write). */
  marked?(hour: number): void;
  /** The watermark moved: every hour before `until` is rolled (dirty ones excepted). */
  advanced?(until: number): void;
  /** A write through `writesThrough` settled (`ok`: InfluxDB accepted all of it); called for every write. */
  wrote?(points: readonly OutputPoint[], ok: boolean): void;
}

/** What a query needs to know: which UTC hours `output_1h` holds exactly. */
export interface RollupView {
  /** Hours before this (ms) are rolled, except dirty ones; null while nothing is (first backfill). */
  rolledUntil(): number | null;
  isDirty(hour: number): boolean;
  subscribe?(listener: RollupListener): void;
  /** Writes through `writesThrough` in flight now, and begun in all: a read with none meanwhile saw one state. */
  writeActivity?(): { inFlight: number; begun: number };
}

interface Dirty {
  /** Bumped by every write into the hour: a re-roll that started before it is stale. */
  gen: number;
  /** Writes into the hour not yet settled: the hour is not re-rolled while any is. */
  inflight: number;
  /** Resolves once `rollup_dirty` says so in InfluxDB (a crash after the data write still re-rolls it). */
  persisted: Promise<void>;
  clearing: boolean;
}

export interface HourlyRollupsOptions {
  influx: InfluxDB;
  clock: Clock;
  log: Logger;
  /** An hour is rolled this long after it ends (default 5 min): points still in batches or the spool land first. */
  graceMs?: number;
  /** How often the watermark advances and failed re-rolls retry (default 60 s). */
  tickMs?: number;
  /** Delay before re-rolling hours that late writes touched, coalescing a burst (default 1 s). */
  rerollDelayMs?: number;
}

/**
 * The hourly rollup `output_1h` (tags plant, line; fields good, reject; time = UTC hour start), kept exact
 * by the gateway (ADR 0010): a watermark `rolledUntil` below which every hour was rolled with
 * `SELECT … INTO` after it closed, and a set of dirty hours — hours below the watermark that a late or
 * replayed write touched — which queries read raw until they are re-rolled. The dirty mark is persisted
 * in InfluxDB before the data write, so a gateway killed between a write and its re-roll re-rolls on start.
 */
export class HourlyRollups implements RollupView {
  readonly #o: Required<HourlyRollupsOptions>;
  #rolled: number | null = null;
  /** Writes into hours below this mark them dirty; moved up before an advance rolls those hours. */
  #horizon: number | null = null;
  readonly #dirty = new Map<number, Dirty>();
  readonly #writes = new Set<Promise<unknown>>();
  #begun = 0;
  readonly #queue = new Set<number>();
  readonly #listeners: RollupListener[] = [];
  #persist: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #rerollTimer: NodeJS.Timeout | undefined;
  #busy: Promise<void> | undefined;
  #closed = false;

  constructor(o: HourlyRollupsOptions) {
    this.#o = { graceMs: 5 * 60_000, tickMs: 60_000, rerollDelayMs: 1000, ...o };
  }

  rolledUntil(): number | null {
    return this.#rolled;
  }

  isDirty(hour: number): boolean {
    return this.#dirty.has(hour);
  }

  subscribe(listener: RollupListener): void {
    this.#listeners.push(listener);
  }

  writeActivity(): { inFlight: number; begun: number } {
    return { inFlight: this.#writes.size, begun: this.#begun };
  }

  #tell(f: (l: RollupListener) => void): void {
    for (const l of this.#listeners) {
      try {
        f(l);
      } catch (err) {
        this.#o.log.warn({ err }, "rollup listener failed");
      }
    }
  }

  /** Loads the watermark and the dirty hours a previous run left. Call before any write. */
  async open(): Promise<void> {
    const [state, dirty] = await this.#o.influx.query<{ time: Date; until: number; n: number }>([
      `SELECT last(until) AS until FROM ${STATE}`,
      `SELECT n FROM ${DIRTY} WHERE n = 1`,
    ]);
    const until = (state as unknown as Array<{ until: number }>)[0]?.until;
    this.#rolled = typeof until === "number" ? until : null;
    this.#horizon = this.#rolled;
    for (const r of dirty as unknown as Array<{ time: Date }>) {
      const h = r.time.getTime();
      this.#dirty.set(h, { gen: 1, inflight: 0, persisted: Promise.resolve(), clearing: false });
      this.#queue.add(h);
    }
  }

  /** Starts advancing (the first run backfills all history) and re-rolling what `open` found dirty. */
  start(): void {
    const tick = () => {
      if (this.#closed) return;
      this.#run(() => this.#advance())
        .then(() => this.#run(() => this.#rerollQueued()))
        .finally(() => {
          if (!this.#closed) this.#timer = setTimeout(tick, this.#o.tickMs);
        });
    };
    tick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#rerollTimer);
    await this.#busy;
    await this.#persist;
  }

  /** The store, with every write into a rolled hour marking it dirty first and re-rolling it after. */
  writesThrough(store: SampleStore): SampleStore {
    return {
      write: (points) => this.#write(store, points),
      sumOutput: (q) => store.sumOutput(q),
      lastMarks: () => store.lastMarks(),
      ping: () => store.ping(),
    };
  }

  async #write(store: SampleStore, points: readonly OutputPoint[]): Promise<void> {
    const hours = this.#pastHours(points);
    if (hours.length > 0) await Promise.all(hours.map((h) => this.#mark(h)));
    const written = store.write(points);
    this.#writes.add(written);
    this.#begun++;
    let ok = false;
    try {
      await written;
      ok = true;
    } finally {
      this.#writes.delete(written);
      this.#tell((l) => l.wrote?.(points, ok));
      for (const h of hours) {
        const d = this.#dirty.get(h);
        if (d !== undefined) d.inflight--;
        this.#queue.add(h);
      }
      if (hours.length > 0) this.#scheduleReroll();
    }
  }

  #pastHours(points: readonly OutputPoint[]): number[] {
    const horizon = this.#horizon;
    if (horizon === null) return [];
    let out: Set<number> | undefined;
    for (const p of points) {
      if (p.ts >= horizon) continue;
      out ??= new Set();
      out.add(floorHour(p.ts));
    }
    return out === undefined ? [] : [...out];
  }

  async #mark(hour: number): Promise<void> {
    this.#tell((l) => l.marked?.(hour));
    const d = this.#dirty.get(hour);
    if (d !== undefined && !d.clearing) {
      d.gen++;
      d.inflight++;
      return d.persisted;
    }
    const persisted = this.#persistDirty(hour, 1);
    this.#dirty.set(hour, {
      gen: (d?.gen ?? 0) + 1,
      inflight: (d?.inflight ?? 0) + 1,
      persisted,
      clearing: false,
    });
    return persisted;
  }

  /** Serialised: a clear (0) and a later mark (1) of one hour reach InfluxDB in that order. */
  #persistDirty(hour: number, n: 0 | 1): Promise<void> {
    const next = this.#persist.then(() =>
      this.#o.influx.writePoints([{ measurement: DIRTY, fields: { n }, timestamp: hour }], {
        precision: "ms",
      }),
    );
    this.#persist = next.catch(() => {});
    return next;
  }

  #scheduleReroll(): void {
    if (this.#rerollTimer !== undefined || this.#closed) return;
    this.#rerollTimer = setTimeout(() => {
      this.#rerollTimer = undefined;
      void this.#run(() => this.#rerollQueued());
    }, this.#o.rerollDelayMs);
  }

  /** One advance or re-roll at a time; failures are logged and retried on the next tick. */
  #run(step: () => Promise<void>): Promise<void> {
    const prev = this.#busy ?? Promise.resolve();
    const next = prev.then(async () => {
      if (this.#closed) return;
      try {
        await step();
      } catch (err) {
        this.#o.log.warn({ err }, "hourly rollup failed, retrying later");
      }
    });
    this.#busy = next;
    return next;
  }

  async #rerollQueued(): Promise<void> {
    for (const h of [...this.#queue]) {
      const d = this.#dirty.get(h);
      this.#queue.delete(h);
      if (d === undefined || d.inflight > 0) continue;
      const gen = d.gen;
      try {
        await this.#roll(h, h + HOUR_MS);
      } catch (err) {
        this.#queue.add(h);
        throw err;
      }
      if (d.gen !== gen || d.inflight > 0 || this.#dirty.get(h) !== d) continue;
      d.clearing = true;
      await this.#persistDirty(h, 0);
      if (d.clearing && this.#dirty.get(h) === d) this.#dirty.delete(h);
    }
  }

  /** Rolls every hour that closed (plus grace) since the watermark; the first run backfills all history. */
  async #advance(): Promise<void> {
    const target = floorHour(this.#o.clock.now() - this.#o.graceMs);
    if (this.#rolled !== null && target <= this.#rolled) return;
    const from = this.#rolled ?? (await this.#firstHour());
    this.#horizon = target;
    // Writes that started before the horizon moved were not marked dirty: let them land before rolling.
    await Promise.allSettled([...this.#writes]);
    if (from !== null && from < target) {
      const started = Date.now();
      for (let t = from; t < target; t += DAY_MS) await this.#roll(t, Math.min(t + DAY_MS, target));
      if (this.#rolled === null) {
        this.#o.log.info(
          { from: new Date(from), to: new Date(target), ms: Date.now() - started },
          "rollup backfilled",
        );
      }
    }
    await this.#o.influx.writePoints([{ measurement: STATE, fields: { until: target }, timestamp: 0 }], {
      precision: "ms",
    });
    this.#rolled = target;
    this.#tell((l) => l.advanced?.(target));
  }

  async #firstHour(): Promise<number | null> {
    const rows = await this.#o.influx.query<{ time: Date }>("SELECT first(good) FROM output");
    const t = rows[0]?.time.getTime();
    return t === undefined ? null : floorHour(t);
  }

  #roll(from: number, to: number): Promise<unknown> {
    return this.#o.influx.query(
      `SELECT sum(good) AS good, sum(reject) AS reject INTO ${ROLLUP} FROM output WHERE time >= ${from}ms AND time < ${to}ms GROUP BY time(1h), plant, "line"`,
    );
  }
}

/** The gateway's rollups when its store is InfluxDB (none for an injected test store), state loaded. */
export async function openRollups(
  store: SampleStore,
  clock: Clock,
  log: Logger,
): Promise<HourlyRollups | undefined> {
  if (!(store instanceof InfluxSampleStore)) return undefined;
  const rollups = new HourlyRollups({ influx: store.influx, clock, log });
  await retryUntilUp(() => rollups.open(), "read rollup state", log);
  return rollups;
}
