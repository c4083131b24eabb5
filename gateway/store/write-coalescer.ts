/**
 * Sends the points written while a request is being prepared or is in flight as one request, with at most
 * one request in flight. Line history comes in bursts: when 5,000 devices reconnect after a restart (or all
 * go quiet), every line changes state within a second, and one HTTP request per transition opened thousands
 * of sockets to InfluxDB at once — about 20 KB of gateway memory per line that stayed resident long after the
 * burst (bench/README.md, memory). An isolated write still goes out on the next turn of the event loop.
 */
export class WriteCoalescer<P> {
  readonly #batches: Array<{ points: P[]; done: Promise<void>; settle: (err?: unknown) => void }> = [];
  #busy = false;

  /** `send` writes one batch (at most `maxBatch` points); its rejection rejects every write of the batch. */
  constructor(
    private readonly send: (points: P[]) => Promise<void>,
    private readonly maxBatch = 5000,
  ) {}

  /** Resolves once the batch holding `point` is written; rejects with that batch's error. */
  write(point: P): Promise<void> {
    let batch = this.#batches[this.#batches.length - 1];
    if (batch === undefined || batch.points.length >= this.maxBatch) {
      batch = newBatch<P>();
      this.#batches.push(batch);
    }
    batch.points.push(point);
    if (!this.#busy) {
      this.#busy = true;
      // The rest of this I/O phase (other sockets' publishes) joins the batch.
      setImmediate(() => this.#next());
    }
    return batch.done;
  }

  #next(): void {
    const batch = this.#batches.shift();
    if (batch === undefined) {
      this.#busy = false;
      return;
    }
    this.send(batch.points)
      .then(
        () => batch.settle(),
        (err: unknown) => batch.settle(err ?? new Error("write failed")),
      )
      .finally(() => this.#next());
  }
}

function newBatch<P>() {
  let settle!: (err?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    settle = (err) => (err === undefined ? resolve() : reject(err));
  });
  // Callers attach their own handlers; this one only keeps a batch nobody awaits from being "unhandled".
  done.catch(() => undefined);
  return { points: [] as P[], done, settle };
}
