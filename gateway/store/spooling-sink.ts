import type { Logger } from "pino";
import { MasktallyError } from "../../protocol/index.ts";
import type { DiskSpool } from "./disk-spool.ts";
import type { OutputPoint, SampleStore } from "./sample-store.ts";

export class StoreTimeoutError extends MasktallyError {
  constructor(ms: number) {
    super("STORE_TIMEOUT", `store write took longer than ${ms} ms`);
  }
}

export interface SpoolingSinkOptions {
  store: Pick<SampleStore, "write">;
  spool: DiskSpool;
  log: Logger;
  /** A direct write slower than this counts as a failure and its batch goes to the spool (default 5 s). */
  writeTimeoutMs?: number;
  /** Points per store write while draining the spool (default 5,000: STACK.md's efficient batch size). */
  drainBatch?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** After each successful store write (direct or drained): its size and latency in ms. */
  onStoreWrite?: (points: number, ms: number) => void;
}

/**
 * The BatchWriter's PointSink once a disk spool exists: a batch goes straight to InfluxDB when it is up and
 * nothing is spooled; otherwise — InfluxDB down, slower than `writeTimeoutMs`, or earlier points still
 * spooled (order) — it is appended to the spool, and the write resolves (→ PUBACK) once it is fsynced.
 * A drain loop writes the spool to InfluxDB oldest first, retrying with capped backoff.
 */
export class SpoolingSink {
  readonly #o: Required<Omit<SpoolingSinkOptions, "onStoreWrite">> & SpoolingSinkOptions;
  #storeUp = true;
  #draining: Promise<void> | undefined;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(o: SpoolingSinkOptions) {
    this.#o = { writeTimeoutMs: 5000, drainBatch: 5000, retryInitialMs: 200, retryMaxMs: 5000, ...o };
  }

  /** Points in the spool, not yet in the store. */
  get spooled(): number {
    return this.#o.spool.depth;
  }

  /** False from a failed store write until the next successful one. */
  get storeUp(): boolean {
    return this.#storeUp;
  }

  /** Starts draining what an earlier run left in the spool. */
  start(): void {
    if (this.spooled > 0) this.#kick();
  }

  async write(points: readonly OutputPoint[]): Promise<void> {
    if (points.length === 0) return;
    if (this.#storeUp && this.spooled === 0 && this.#draining === undefined) {
      try {
        await this.#storeWrite(points);
        return;
      } catch (err) {
        this.#down(err, points.length);
      }
    }
    await this.#o.spool.append(points);
    this.#kick();
  }

  /** Stops the drain loop (what is left stays spooled for the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#draining;
  }

  async #storeWrite(points: readonly OutputPoint[]): Promise<void> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeoutError(this.#o.writeTimeoutMs)), this.#o.writeTimeoutMs);
    });
    try {
      // A write that times out may still land later: harmless, the spool writes the same points again.
      await Promise.race([this.#o.store.write(points), timeout]);
    } finally {
      clearTimeout(timer);
    }
    this.#o.onStoreWrite?.(points.length, performance.now() - started);
  }

  #down(err: unknown, points: number): void {
    if (this.#storeUp) {
      this.#o.log.warn({ err, points }, "store write failed: spooling to disk until it is back");
    }
    this.#storeUp = false;
  }

  #kick(): void {
    if (this.#draining !== undefined || this.#closed) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // An append may have landed between the loop's last check and now.
      if (this.spooled > 0 && !this.#closed) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    let delay = this.#o.retryInitialMs;
    let failures = 0;
    while (!this.#closed && this.spooled > 0) {
      const chunk = await this.#o.spool.peek(this.#o.drainBatch);
      if (chunk === null) break;
      try {
        await this.#storeWrite(chunk.points);
        await chunk.commit();
        if (!this.#storeUp) this.#o.log.info({ left: this.spooled }, "store is back: draining the spool");
        this.#storeUp = true;
        delay = this.#o.retryInitialMs;
        failures = 0;
      } catch (err) {
        this.#down(err, chunk.points.length);
        failures++;
        // One line per ~10 failures: an outage of minutes must not flood the log.
        if (failures % 10 === 1) {
          this.#o.log.warn({ err, spooled: this.spooled, failures }, "spool drain failed, retrying");
        }
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#o.retryMaxMs);
      }
    }
    if (this.spooled === 0 && !this.#closed) this.#o.log.info("spool drained");
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
