import { describe, expect, it } from "vitest";
import { decodeCounter, plausibleStep, unwrapCounter } from "../../firmware/counter-unwrap.ts";

describe("decodeCounter", () => {
  it("reads 16-bit values and 32-bit values in either word order", () => {
    expect(decodeCounter([0xfffe], "high-first")).toBe(65_534);
    expect(decodeCounter([0x0001, 0x86a0], "high-first")).toBe(100_000);
    expect(decodeCounter([0x86a0, 0x0001], "low-first")).toBe(100_000);
    expect(decodeCounter([0xffff, 0xffff], "high-first")).toBe(0xffff_ffff);
  });

  it("refuses words that are not 16-bit register values and odd lengths", () => {
    expect(() => decodeCounter([0x10000], "high-first")).toThrow(RangeError);
    expect(() => decodeCounter([-1], "high-first")).toThrow(RangeError);
    expect(() => decodeCounter([1, 2, 3], "high-first")).toThrow(RangeError);
  });
});

describe("unwrapCounter", () => {
  it("takes the first reading as the baseline and counts nothing before it", () => {
    expect(unwrapCounter(null, 40_000, 16, 100)).toEqual({ kind: "baseline", delta: 0 });
  });

  it("counts forward steps, including standing still", () => {
    expect(unwrapCounter(100, 117, 16, 100)).toEqual({ kind: "step", delta: 17 });
    expect(unwrapCounter(100, 100, 16, 100)).toEqual({ kind: "step", delta: 0 });
  });

  it("unwraps a 16-bit wrap-around to the exact number of counts", () => {
    // 65,530 → 65,535 is 5 counts, → 0 one more, → 12 twelve more: 18.
    expect(unwrapCounter(65_530, 12, 16, 100)).toEqual({ kind: "wrap", delta: 18 });
    expect(unwrapCounter(65_535, 0, 16, 100)).toEqual({ kind: "wrap", delta: 1 });
  });

  it("unwraps a 32-bit wrap-around", () => {
    expect(unwrapCounter(0xffff_fff0, 0x10, 32, 1000)).toEqual({ kind: "wrap", delta: 0x20 });
  });

  it("treats a drop that no wrap explains as a PLC reset: the new value is all new counts", () => {
    expect(unwrapCounter(30_000, 25, 16, 100)).toEqual({ kind: "reset", delta: 25 });
    expect(unwrapCounter(30_000, 0, 16, 100)).toEqual({ kind: "reset", delta: 0 });
  });

  it("ignores a drop to a value a reset cannot explain (a stale or garbled reply): nothing invented", () => {
    expect(unwrapCounter(30_000, 29_990, 16, 100)).toEqual({ kind: "implausible", delta: 0 });
  });

  it("keeps totals exact over a long sequence with several wraps and a reset", () => {
    // A line making 700 counts between polls of a 16-bit counter starting near its top, reset once.
    let plc = 65_000;
    let last: number | null = null;
    let total = 0;
    let truth = 0;
    for (let poll = 0; poll < 500; poll++) {
      if (poll === 250)
        plc = 0; // operator reset, counts made since the previous poll are erased
      else if (poll > 0) {
        plc = (plc + 700) % 65_536;
        truth += 700;
      }
      const step = unwrapCounter(last, plc, 16, plausibleStep(1000 * 60, 1000));
      total += step.delta;
      last = plc;
    }
    // The reset poll erased what was made since poll 249 (nothing, since the PLC was zeroed at the poll).
    expect(total).toBe(truth);
  });

  it("refuses raw values outside the register width", () => {
    expect(() => unwrapCounter(0, 65_536, 16, 100)).toThrow(RangeError);
  });
});

describe("plausibleStep", () => {
  it("allows the rated rate over the elapsed time with a 50% margin plus slack", () => {
    expect(plausibleStep(600, 1000)).toBe(15 + 16);
    expect(plausibleStep(600, 0)).toBe(16);
  });
});
