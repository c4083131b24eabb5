import { describe, expect, it } from "vitest";
import { BatchWriter, WriterClosedError } from "../../../gateway/ingest/batch-writer.ts";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";
import { silentLogger, waitFor } from "../support/fakes.ts";
import { MemoryStore } from "../support/memory-store.ts";

const point = (seq: number): OutputPoint => ({
  plant: "p",
  line: "l1",
  epoch: "e",
  device: "d",
  seq,
  ts: 1_700_000_000_000 + seq,
  good: 1,
  reject: 0,
  goodOdo: seq,
  rejectOdo: 0,
});

const writer = (store: MemoryStore, opts: Partial<ConstructorParameters<typeof BatchWriter>[0]> = {}) =>
  new BatchWriter({
    sink: store,
    log: silentLogger(),
    flushMs: 5,
    retryInitialMs: 5,
    retryMaxMs: 20,
    ...opts,
  });

describe("BatchWriter", () => {
  it("resolves each point only after the batch holding it was written", async () => {
    const store = new MemoryStore();
    const w = writer(store);
    let stored = false;
    const p = w.enqueue(point(1)).then(() => {
      stored = store.points.size === 1;
    });
    expect(store.points.size).toBe(0);
    await p;
    expect(stored).toBe(true);
  });

  it("writes a full batch at once, without waiting for the flush timer", async () => {
    const store = new MemoryStore();
    const w = writer(store, { maxBatch: 3, flushMs: 60_000 });
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => w.enqueue(point(n))));
    expect(store.writes.map((b) => b.map((p) => p.seq))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("sends everything that arrived during a write as the next batch, up to 5,000 points by default", async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const sink = {
      write: (points: readonly OutputPoint[]) => {
        writes.push(points.map((p) => p.seq));
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const w = new BatchWriter({ sink, log: silentLogger(), flushMs: 1 });
    const first = w.enqueue(point(1));
    await waitFor(() => writes.length === 1);
    const rest = Array.from({ length: 6000 }, (_, i) => w.enqueue(point(i + 2)));
    release();
    await first;
    await waitFor(() => writes.length === 2);
    release();
    await waitFor(() => writes.length === 3);
    release();
    await Promise.all(rest);
    expect(writes.map((b) => [b.length, b[0], b[b.length - 1]])).toEqual([
      [1, 1, 1],
      [5000, 2, 5001],
      [1000, 5002, 6001],
    ]);
  });

  it("flushes a partial batch after flushMs, and on close", async () => {
    const store = new MemoryStore();
    const w = writer(store, { flushMs: 10 });
    await w.enqueue(point(1));
    expect(store.writes.length).toBe(1);
    const slow = writer(store, { flushMs: 60_000 });
    const p = slow.enqueue(point(2));
    await slow.close();
    await p;
    expect(store.writes.map((b) => b.length)).toEqual([1, 1]);
  });

  it("holds the points while the store fails and writes them once it is back, in order", async () => {
    const store = new MemoryStore();
    store.failWrites = true;
    const w = writer(store);
    const order: number[] = [];
    const all = [1, 2, 3].map((n) => w.enqueue(point(n)).then(() => order.push(n)));
    await new Promise((r) => setTimeout(r, 30));
    expect(order).toEqual([]);
    store.failWrites = false;
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3]);
    expect(store.points.size).toBe(3);
  });

  it("barrier() resolves only once the points enqueued before it are stored", async () => {
    const store = new MemoryStore();
    store.failWrites = true;
    const w = writer(store);
    void w.enqueue(point(1));
    let passed = false;
    const b = w.barrier().then(() => {
      passed = store.points.size === 1;
    });
    await new Promise((r) => setTimeout(r, 20));
    store.failWrites = false;
    await b;
    expect(passed).toBe(true);
  });

  it("on close, rejects what it could not store in time and refuses new points", async () => {
    const store = new MemoryStore();
    store.failWrites = true;
    const w = writer(store);
    const p = w.enqueue(point(1));
    const barrier = w.barrier();
    await w.close(30);
    await expect(p).rejects.toBeInstanceOf(WriterClosedError);
    await expect(barrier).rejects.toBeInstanceOf(WriterClosedError);
    await expect(w.enqueue(point(2))).rejects.toBeInstanceOf(WriterClosedError);
  });

  it("keeps at most maxInFlight writes running", async () => {
    let inFlight = 0;
    let peak = 0;
    const sink = {
      write: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
      },
    };
    const w = new BatchWriter({ sink, log: silentLogger(), maxBatch: 2, maxInFlight: 2, flushMs: 1 });
    await Promise.all(Array.from({ length: 20 }, (_, i) => w.enqueue(point(i))));
    await waitFor(() => inFlight === 0);
    expect(peak).toBe(2);
  });
});
