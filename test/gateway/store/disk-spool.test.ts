import { appendFile, mkdtemp, readdir, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskSpool } from "../../../gateway/store/disk-spool.ts";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-spool-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const point = (seq: number, line = "l1"): OutputPoint => ({
  plant: "sr-01",
  line,
  epoch: "e1",
  device: "pi-01",
  seq,
  ts: 1_700_000_000_000 + seq * 1000,
  good: 10,
  reject: 1,
  goodOdo: seq * 10,
  rejectOdo: seq,
});

async function drainAll(spool: DiskSpool, max = 1000): Promise<number[]> {
  const seqs: number[] = [];
  for (let chunk = await spool.peek(max); chunk !== null; chunk = await spool.peek(max)) {
    seqs.push(...chunk.points.map((p) => p.seq));
    await chunk.commit();
  }
  return seqs;
}

describe("DiskSpool", () => {
  it("gives points back oldest first and deletes drained segments", async () => {
    const spool = await DiskSpool.open({ dir, maxSegmentBytes: 600 });
    for (let i = 1; i <= 12; i += 2) await spool.append([point(i), point(i + 1)]);
    expect(spool.depth).toBe(12);
    expect((await readdir(dir)).length).toBeGreaterThan(1);
    expect(await drainAll(spool, 3)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(spool.depth).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    await spool.append([point(13)]);
    expect(await drainAll(spool)).toEqual([13]);
    await spool.close();
  });

  it("keeps what was appended across a reopen, with the newest mark of each series", async () => {
    const first = await DiskSpool.open({ dir, maxSegmentBytes: 300 }); // one record per segment
    await first.append([point(1), point(2), point(7, "l2")]);
    await first.append([point(3), point(4)]);
    const chunk = await first.peek(1);
    await chunk!.commit(); // drained 1, 2, l2/7
    // No close(): a kill -9 leaves the handles as they are.
    const second = await DiskSpool.open({ dir });
    expect(second.depth).toBe(2);
    expect(second.recoveredMarks()).toEqual([expect.objectContaining({ line: "l1", seq: 4, goodOdo: 40 })]);
    expect(await drainAll(second)).toEqual([3, 4]);
    await second.close();
  });

  it("replays a segment's drained records after a crash (idempotent) and keeps their marks", async () => {
    const first = await DiskSpool.open({ dir });
    await first.append([point(1)]);
    await first.append([point(2)]);
    const chunk = await first.peek(1);
    await chunk!.commit();
    const second = await DiskSpool.open({ dir });
    // Progress inside a segment is not persisted: point 1 is written again (InfluxDB overwrites the same
    // point), point 2 is not lost.
    expect(second.recoveredMarks()).toEqual([expect.objectContaining({ seq: 2 })]);
    expect(await drainAll(second)).toEqual([1, 2]);
    await second.close();
  });

  it("cuts off a torn tail (a kill during the write) and keeps every complete record", async () => {
    const first = await DiskSpool.open({ dir });
    await first.append([point(1)]);
    await first.append([point(2)]);
    const [seg] = await readdir(dir);
    const file = join(dir, seg!);
    const full = (await stat(file)).size;
    await truncate(file, full - 5);
    const second = await DiskSpool.open({ dir });
    expect(second.depth).toBe(1);
    expect((await stat(file)).size).toBeLessThan(full - 5);
    await second.append([point(3)]);
    expect(await drainAll(second)).toEqual([1, 3]);
    await second.close();
  });

  it("cuts off garbage after the last record (a checksum mismatch)", async () => {
    const first = await DiskSpool.open({ dir });
    await first.append([point(1)]);
    const [seg] = await readdir(dir);
    await appendFile(
      join(dir, seg!),
      Buffer.from([20, 0, 0, 0, 1, 2, 3, 4, ...Buffer.from("{not json at all!!!}")]),
    );
    const second = await DiskSpool.open({ dir });
    expect(await drainAll(second)).toEqual([1]);
    await second.close();
  });
});
