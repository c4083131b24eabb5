import { describe, expect, it } from "vitest";
import { Odometers } from "../../firmware/odometers.ts";
import { MemoryOutbox } from "../../firmware/outbox.ts";
import { Sampler } from "../../firmware/sampler.ts";
import { sampleChecker } from "../../protocol/index.ts";

describe("Sampler", () => {
  it("numbers samples 1, 2, 3… and keeps ts strictly increasing when the clock stalls or steps back", () => {
    const times = [1000, 1000, 900, 2000];
    const sampler = new Sampler("pi-07", "k3j2f0", { now: () => times.shift() ?? 0 });
    const odo = new Odometers();
    const samples = [0, 1, 2, 3].map(() => {
      odo.add("good", 2);
      return sampler.take({ ...odo.read(), run: true });
    });
    expect(samples.map((s) => [s.seq, s.ts, s.good])).toEqual([
      [1, 1000, 2],
      [2, 1001, 4],
      [3, 1002, 6],
      [4, 2000, 8],
    ]);
    for (const s of samples) expect(sampleChecker.check(s).ok).toBe(true);
    expect(sampler.state()).toEqual({ epoch: "k3j2f0", seq: 4, ts: 2000 });
  });

  it("resumes seq and ts from a saved state and carries sensors only when present", () => {
    const sampler = new Sampler("pi-07", "e1", { now: () => 50 }, { seq: 41, ts: 100 });
    const s = sampler.take({ good: 5, reject: 1, sensors: { weld_temp_c: 182.5 } });
    expect(s).toEqual({
      v: 1,
      device: "pi-07",
      epoch: "e1",
      seq: 42,
      ts: 101,
      good: 5,
      reject: 1,
      sensors: { weld_temp_c: 182.5 },
    });
    expect(sampler.take({ good: 5, reject: 1, sensors: {} })).not.toHaveProperty("sensors");
  });
});

describe("Odometers", () => {
  it("only grows, and refuses negative or fractional counts", () => {
    const odo = new Odometers({ good: 10, reject: 2 });
    odo.add("good");
    odo.add("reject", 3);
    expect(odo.read()).toEqual({ good: 11, reject: 5 });
    expect(() => odo.add("good", -1)).toThrow(RangeError);
    expect(() => odo.add("good", 0.5)).toThrow(RangeError);
  });
});

describe("MemoryOutbox", () => {
  it("keeps entries in order until removed, and drops the oldest when full", async () => {
    const box = new MemoryOutbox(3);
    for (const p of ["a", "b", "c"]) await box.append("t", p);
    expect((await box.peek(2)).map((e) => e.payload)).toEqual(["a", "b"]);
    const [a, b] = await box.peek(2);
    await box.remove(b!.id);
    await box.remove(a!.id);
    await box.remove(a!.id);
    expect(box.depth).toBe(1);
    for (const p of ["d", "e", "f"]) await box.append("t", p);
    expect((await box.peek(10)).map((e) => e.payload)).toEqual(["d", "e", "f"]);
    expect(box.dropped).toBe(1);
  });
});
