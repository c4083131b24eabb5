import { describe, expect, it } from "vitest";
import { WriteCoalescer } from "../../../gateway/store/write-coalescer.ts";

/** A send that records each batch and resolves (or rejects) only when the test says so. */
function manualSend() {
  const batches: number[][] = [];
  const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  const send = (points: number[]) => {
    batches.push([...points]);
    return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { batches, pending, send };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WriteCoalescer", () => {
  it("sends the writes of one burst as one batch", async () => {
    const s = manualSend();
    const w = new WriteCoalescer(s.send);
    const done = [1, 2, 3].map((p) => w.write(p));
    await turn();
    expect(s.batches).toEqual([[1, 2, 3]]);
    s.pending[0]?.resolve();
    await expect(Promise.all(done)).resolves.toEqual([undefined, undefined, undefined]);
  });

  it("keeps one request in flight and sends what came meanwhile as the next batch", async () => {
    const s = manualSend();
    const w = new WriteCoalescer(s.send);
    const first = w.write(1);
    await turn();
    const later = [w.write(2), w.write(3)];
    await turn();
    expect(s.batches).toEqual([[1]]);
    s.pending[0]?.resolve();
    await first;
    await turn();
    expect(s.batches).toEqual([[1], [2, 3]]);
    s.pending[1]?.resolve();
    await Promise.all(later);
  });

  it("splits a burst into batches of at most maxBatch points", async () => {
    const s = manualSend();
    const w = new WriteCoalescer(s.send, 2);
    for (const p of [1, 2, 3, 4, 5]) w.write(p).catch(() => undefined);
    await turn();
    s.pending[0]?.resolve();
    await turn();
    s.pending[1]?.resolve();
    await turn();
    expect(s.batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("rejects every write of a failed batch and goes on with the next", async () => {
    const s = manualSend();
    const w = new WriteCoalescer(s.send);
    const failed = [w.write(1), w.write(2)];
    await turn();
    const next = w.write(3);
    s.pending[0]?.reject(new Error("influx down"));
    for (const f of failed) await expect(f).rejects.toThrow("influx down");
    await turn();
    expect(s.batches).toEqual([[1, 2], [3]]);
    s.pending[1]?.resolve();
    await expect(next).resolves.toBeUndefined();
  });

  it("sends a write made after everything was written on its own", async () => {
    const s = manualSend();
    const w = new WriteCoalescer(s.send);
    const first = w.write(1);
    await turn();
    s.pending[0]?.resolve();
    await first;
    await turn();
    const second = w.write(2);
    await turn();
    expect(s.batches).toEqual([[1], [2]]);
    s.pending[1]?.resolve();
    await second;
  });
});
