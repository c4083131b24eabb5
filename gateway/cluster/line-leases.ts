import type { Logger } from "pino";
import { lineKey } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { OdometerTracker } from "../ingest/odometer-tracker.ts";
import type { OdometerMark } from "../store/sample-store.ts";

/** The shared lease table (Redis in production, a map in unit tests). Every call is atomic on the server. */
export interface LeaseStore {
  /** Takes the lease if nobody holds it (`SET key owner NX PX ttl`); true when `owner` now holds it. */
  acquire(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease only if `owner` still holds it. */
  renew(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Deletes the lease only if `owner` still holds it. */
  release(key: string, owner: string): Promise<void>;
}

export interface LineLeasesOptions {
  store: LeaseStore;
  instanceId: string;
  tracker: OdometerTracker;
  /** The newest stored marks (SampleStore.lastMarks); read again whenever a line is (re)acquired. */
  marks: () => Promise<OdometerMark[]>;
  clock: Clock;
  log: Logger;
  /** Lease time to live (default 10 s). A dead instance's lines move after at most this. */
  ttlMs?: number;
  /** A line with no sample for this long is handed back, so its device may move (default 2 × ttl). */
  idleMs?: number;
  /** Tests: waits `ms` (default setTimeout). */
  wait?: (ms: number) => Promise<void>;
}

interface Held {
  /** Local time until which the lease is surely ours: renewal *sent* + ttl × 0.8 (clock-rate margin). */
  until: number;
  lastUsed: number;
  inFlight: number;
}

/**
 * One owner per line's odometer series across gateway instances (ADR 0011). Only the instance holding a
 * line's lease turns its samples into counts; it re-reads the line's marks from the shared store every time
 * it acquires the line, so counts the previous holder stored are never counted again. `enter` before the
 * tracker, `leave` after the point is stored: a PUBACK is sent only if the lease held over the whole span.
 */
export class LineLeases {
  readonly #held = new Map<string, Held>();
  readonly #acquiring = new Map<string, Promise<boolean>>();
  readonly #ttl: number;
  readonly #idle: number;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly o: LineLeasesOptions) {
    this.#ttl = o.ttlMs ?? 10_000;
    this.#idle = o.idleMs ?? 2 * this.#ttl;
    this.#log = o.log.child({ module: "leases", instance: o.instanceId });
  }

  start(): void {
    this.#timer = setInterval(() => void this.#renewAll(), Math.max(100, Math.floor(this.#ttl / 3)));
    this.#timer.unref();
  }

  /** Lines this instance holds now. */
  held(): string[] {
    return [...this.#held.keys()];
  }

  /** Resolves true when this instance owns the line (taking it over if free); then `leave` must follow. */
  async enter(plant: string, line: string): Promise<boolean> {
    const key = lineKey(plant, line);
    const own = this.#valid(key);
    if (own === undefined) {
      if (this.#stopped || !(await this.#acquireOnce(key, plant, line))) return false;
    }
    const held = this.#valid(key);
    if (held === undefined) return false;
    held.inFlight += 1;
    held.lastUsed = this.o.clock.now();
    return true;
  }

  /** Ends what `enter` began; true when the lease was still ours at the end (the PUBACK may go). */
  leave(plant: string, line: string): boolean {
    const key = lineKey(plant, line);
    const held = this.#held.get(key);
    if (held === undefined) return false;
    held.inFlight -= 1;
    return held.until > this.o.clock.now();
  }

  /** Stops renewing and hands every line back (after the writer flushed: nothing of ours is in flight). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const keys = [...this.#held.keys()];
    this.#held.clear();
    await Promise.allSettled(keys.map((k) => this.o.store.release(this.#redisKey(k), this.o.instanceId)));
  }

  #valid(key: string): Held | undefined {
    const held = this.#held.get(key);
    if (held !== undefined && held.until > this.o.clock.now()) return held;
    return undefined;
  }

  #redisKey(key: string): string {
    return `masktally:lease:${key}`;
  }

  #acquireOnce(key: string, plant: string, line: string): Promise<boolean> {
    let pending = this.#acquiring.get(key);
    if (pending === undefined) {
      pending = this.#acquire(key, plant, line).finally(() => this.#acquiring.delete(key));
      this.#acquiring.set(key, pending);
    }
    return pending;
  }

  async #acquire(key: string, plant: string, line: string): Promise<boolean> {
    const redisKey = this.#redisKey(key);
    const id = this.o.instanceId;
    // Renew first: after a local expiry (a slow renewal) the lease may still be ours in Redis.
    if (!(await this.o.store.renew(redisKey, id, this.#ttl))) {
      if (!(await this.o.store.acquire(redisKey, id, 2 * this.#ttl))) return false;
      // Fencing by time: a holder whose lease vanished without its knowing (Redis restarted or failed over)
      // stops acknowledging within 0.8 × ttl of its last renewal; the publish waits here until it surely has.
      await (this.o.wait ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(this.#ttl);
    }
    const sent = this.o.clock.now();
    if (!(await this.o.store.renew(redisKey, id, this.#ttl))) return false;
    // Another instance may have counted this line since we last held it: its marks are in the store, because
    // a holder acknowledges a sample only once its point is written there (no spool in cluster mode, ADR 0011).
    const marks = (await this.o.marks()).filter((m) => m.plant === plant && m.line === line);
    this.o.tracker.restore(marks);
    this.#held.set(key, { until: sent + this.#ttl * 0.8, lastUsed: this.o.clock.now(), inFlight: 0 });
    this.#log.info({ line: key, series: marks.length }, "line lease acquired");
    return true;
  }

  async #renewAll(): Promise<void> {
    const now = this.o.clock.now();
    await Promise.allSettled(
      [...this.#held].map(async ([key, held]) => {
        const redisKey = this.#redisKey(key);
        if (held.inFlight === 0 && now - held.lastUsed > this.#idle) {
          this.#held.delete(key);
          await this.o.store.release(redisKey, this.o.instanceId);
          this.#log.info({ line: key }, "idle line lease released");
          return;
        }
        try {
          if (await this.o.store.renew(redisKey, this.o.instanceId, this.#ttl))
            held.until = now + this.#ttl * 0.8;
          else if (this.#held.get(key) === held) {
            this.#held.delete(key);
            this.#log.warn({ line: key }, "line lease lost");
          }
        } catch (err) {
          // Keep the old deadline: without Redis the lease simply runs out locally.
          this.#log.warn({ line: key, err: (err as Error).message }, "line lease renewal failed");
        }
      }),
    );
  }
}
