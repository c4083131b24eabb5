import type { Logger } from "pino";
import { MasktallyError } from "../../protocol/index.ts";
import type { OutputPoint } from "../store/sample-store.ts";

/**
 * Where batches go: the SpoolingSink (InfluxDB, or the fsynced disk spool while InfluxDB is down or slow;
 * ADR 0005), or the SampleStore itself in tests without a data dir.
 */
export interface PointSink {
  write(points: readonly OutputPoint[]): Promise<void>;
}

export class WriterClosedError extends MasktallyError {
  constructor(message = "writer closed before the point was stored") {
    super("WRITER_CLOSED", message);
  }
}

export interface BatchWriterOptions {
  sink: PointSink;
  log: Logger;
  /** Flush a partial batch this long after its first point (ms). */
  flushMs?: number;
  /**
   * Most points in one request (default 5,000, where InfluxDB 1.x writes fastest per point). With one request
   * in flight, a batch takes everything that arrived while the previous one was written: under load batches
   * grow with the write time instead of queueing behind it (1,000 kept 40,000 samples/s from 100 devices
   * waiting on a loaded machine, bench/README.md).
   */
  maxBatch?: number;
  /**
   * Requests in flight (default 1). Keep it at 1: with two, batch k+1 could reach InfluxDB while k is neither
   * stored nor spooled; a gateway killed then resumes from k+1's odometer marks and drops k's resent samples
   * as stale (ADR 0005). Lanes sharded by line would keep per-line order with parallelism.
   */
  maxInFlight?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Called after each successful write with its size and latency (ms), for metrics. */
  onWritten?: (size: number, ms: number) => void;
  /** Called when a write fails and will be retried; `down` true until the next success. */
  onHealth?: (up: boolean) => void;
}

interface Pending {
  point: OutputPoint;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Collects points into batches (every `flushMs` or `maxBatch` points, at most `maxInFlight` requests) and
 * resolves each point's promise only once its batch is stored — the gateway sends the device's PUBACK then.
 * Failed writes are retried with capped backoff for as long as the writer is open, holding the promises:
 * the device just waits for its PUBACK, and nothing acknowledged is ever held only in memory.
 * Promises resolve in enqueue order, so PUBACKs leave in the order the samples came.
 */
export class BatchWriter {
  readonly #o: Required<Omit<BatchWriterOptions, "onWritten" | "onHealth">> & BatchWriterOptions;
  #buffer: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #inFlightPoints = 0;
  /** Settles after every batch started so far has settled: chains the in-order release. */
  #released: Promise<void> = Promise.resolve();
  #closed = false;
  /** Set when close() gave up: retries stop and every unsettled point is rejected. */
  #abandoned = false;
  /** Wakes the retry loops sleeping between attempts (close() gives up). */
  readonly #wake = new Set<() => void>();

  constructor(opts: BatchWriterOptions) {
    this.#o = { flushMs: 50, maxBatch: 5000, maxInFlight: 1, retryInitialMs: 100, retryMaxMs: 5000, ...opts };
  }

  /** Points waiting or being written. */
  get pending(): number {
    return this.#buffer.length + this.#inFlightPoints;
  }

  /** Resolves when the point is stored; rejects with WriterClosedError if the writer is closed first. */
  enqueue(point: OutputPoint): Promise<void> {
    if (this.#closed) return Promise.reject(new WriterClosedError());
    const stored = new Promise<void>((resolve, reject) => this.#buffer.push({ point, resolve, reject }));
    if (this.#buffer.length >= this.#o.maxBatch) this.#drain();
    else this.#timer ??= setTimeout(() => this.#drain(), this.#o.flushMs);
    return stored;
  }

  /**
   * Resolves once every point enqueued before the call is stored; rejects if one of them was abandoned.
   * A PUBACK for a dropped duplicate waits on this: the original may still be on its way to the store.
   */
  barrier(): Promise<void> {
    if (this.#buffer.length === 0) {
      return this.#released.then(() => {
        if (this.#abandoned) throw new WriterClosedError();
      });
    }
    return new Promise<void>((resolve, reject) => {
      const last = this.#buffer[this.#buffer.length - 1] as Pending;
      const { resolve: res, reject: rej } = last;
      last.resolve = () => {
        res();
        resolve();
      };
      last.reject = (err) => {
        rej(err);
        reject(err);
      };
    });
  }

  /** Writes everything buffered now and waits for it. */
  async flush(): Promise<void> {
    this.#drain();
    await this.barrier().catch(() => undefined);
  }

  /**
   * Stops accepting points and waits up to `timeoutMs` for the buffered ones to be stored; what is still
   * unwritten then is rejected (never acknowledged to a device, so the device will send it again).
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
    this.#abandoned = this.pending > 0;
    for (const wake of this.#wake) wake();
    for (const p of this.#buffer.splice(0)) p.reject(new WriterClosedError());
  }

  /** Starts batches while a request slot is free; a finishing request drains again. */
  #drain(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#buffer.length > 0 && this.#inFlight < this.#o.maxInFlight) {
      this.#start(this.#buffer.splice(0, this.#o.maxBatch));
    }
  }

  #start(batch: Pending[]): void {
    this.#inFlight++;
    this.#inFlightPoints += batch.length;
    const written = this.#writeWithRetry(batch.map((p) => p.point)).finally(() => {
      this.#inFlight--;
      this.#inFlightPoints -= batch.length;
      if (this.#buffer.length > 0) this.#drain();
    });
    written.catch(() => undefined); // handled below, once the batches before it are released
    const previous = this.#released;
    this.#released = previous
      .then(() => written)
      .then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: Error) => {
          for (const p of batch) p.reject(err);
        },
      );
  }

  async #writeWithRetry(points: OutputPoint[]): Promise<void> {
    let delay = this.#o.retryInitialMs;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await this.#o.sink.write(points);
        this.#o.onWritten?.(points.length, performance.now() - started);
        if (attempt > 1) this.#o.onHealth?.(true);
        return;
      } catch (err) {
        if (this.#abandoned)
          throw new WriterClosedError(`store write failed while closing: ${(err as Error).message}`);
        if (attempt === 1) this.#o.onHealth?.(false);
        this.#o.log.warn(
          { err, points: points.length, attempt, retryInMs: delay },
          "store write failed, retrying",
        );
        await this.#sleep(delay);
        delay = Math.min(delay * 2, this.#o.retryMaxMs);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wake.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wake.add(wake);
    });
  }
}
