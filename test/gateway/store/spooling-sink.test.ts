import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskSpool } from "../../../gateway/store/disk-spool.ts";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";
import { SpoolingSink } from "../../../gateway/store/spooling-sink.ts";
import { silentLogger, waitFor } from "../support/fakes.ts";
import { MemoryStore } from "../support/memory-store.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-sink-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const point = (seq: number): OutputPoint => ({
  plant: "sr-01",
  line: "l1",
  epoch: "e1",
  device: "pi-01",
  seq,
  ts: 1_700_000_000_000 + seq * 1000,
  good: seq,
  reject: 0,
  goodOdo: (seq * (seq + 1)) / 2,
  rejectOdo: 0,
});

async function sinkWith(store: MemoryStore, writeTimeoutMs = 5000) {
  const spool = await DiskSpool.open({ dir });
  const sink = new SpoolingSink({
    store,
    spool,
    log: silentLogger(),
    retryInitialMs: 5,
    retryMaxMs: 20,
    writeTimeoutMs,
  });
  return { spool, sink };
}

describe("SpoolingSink", () => {
  it("writes straight to the store while it is up", async () => {
    const store = new MemoryStore();
    const { sink, spool } = await sinkWith(store);
    await sink.write([point(1)]);
    expect(store.points.size).toBe(1);
    expect(sink.spooled).toBe(0);
    await sink.close();
    await spool.close();
  });

  it("spools while the store is down, keeps later batches behind the spooled ones, and drains in order", async () => {
    const store = new MemoryStore();
    const { sink, spool } = await sinkWith(store);
    store.failWrites = true;
    await sink.write([point(1), point(2)]);
    await sink.write([point(3)]);
    expect(sink.spooled).toBe(3);
    expect(sink.storeUp).toBe(false);
    store.failWrites = false;
    await waitFor(() => sink.spooled === 0, 5000, "the drain");
    // Right after the drain the loop may not have wound down yet, so point 4 can still go through the
    // spool; either way it lands after 1–3.
    await sink.write([point(4)]);
    await waitFor(() => sink.spooled === 0 && store.points.size === 4, 5000, "point 4 stored");
    expect(store.writes.flat().map((p) => p.seq)).toEqual([1, 2, 3, 4]);
    expect(sink.storeUp).toBe(true);
    await sink.close();
    await spool.close();
  });

  it("spools a batch the store takes too long for", async () => {
    const store = new MemoryStore();
    const slow = { write: () => new Promise<void>(() => {}) };
    const spool = await DiskSpool.open({ dir });
    const sink = new SpoolingSink({
      store: slow,
      spool,
      log: silentLogger(),
      writeTimeoutMs: 50,
      retryMaxMs: 20,
    });
    await sink.write([point(1)]);
    expect(sink.spooled).toBe(1);
    await sink.close();
    await spool.close();
    // The next start drains it into a store that answers.
    const again = await sinkWith(store);
    again.sink.start();
    await waitFor(() => again.sink.spooled === 0, 5000, "the drain");
    expect([...store.points.values()].map((p) => p.seq)).toEqual([1]);
    await again.sink.close();
    await again.spool.close();
  });
});
