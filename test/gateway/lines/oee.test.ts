import { describe, expect, it } from "vitest";
import { computeOee, runningIntervals } from "../../../gateway/lines/oee.ts";

const H = 3_600_000;

describe("OEE", () => {
  it("multiplies availability, performance and quality", () => {
    // 8 h planned, 6 h run, rated 100/min → 36,000 ideal; 30,000 made, 29,400 good.
    const o = computeOee({
      plannedMs: 8 * H,
      runPlannedMs: 6 * H,
      runMs: 6 * H,
      good: 29_400,
      reject: 600,
      ratedPerMin: 100,
    });
    expect(o).toEqual({
      availability: 0.75,
      performance: 0.8333,
      quality: 0.98,
      oee: 0.6125,
      explanation: [],
    });
  });

  it("never goes above 100 %: a line faster than rated is capped and explained", () => {
    const o = computeOee({
      plannedMs: H,
      runPlannedMs: H,
      runMs: H,
      good: 7_000,
      reject: 0,
      ratedPerMin: 100,
    });
    expect(o.performance).toBe(1);
    expect(o.oee).toBe(1);
    expect(o.explanation).toEqual(["performance above 100 % (116.6667 %): capped at 100 %"]);
  });

  it("says why instead of showing 0 % when there is no planned time, no run time or no count", () => {
    const idle = computeOee({
      plannedMs: 0,
      runPlannedMs: 0,
      runMs: 0,
      good: 0,
      reject: 0,
      ratedPerMin: 100,
    });
    expect(idle).toEqual({
      availability: null,
      performance: null,
      quality: null,
      oee: null,
      explanation: [
        "no planned production time (outside shifts or planned downtime)",
        "the line did not run",
        "no masks counted",
      ],
    });
    const unknown = computeOee({
      plannedMs: H,
      runPlannedMs: 0,
      runMs: 0,
      good: 10,
      reject: 0,
      ratedPerMin: 100,
    });
    expect(unknown).toMatchObject({ availability: 0, performance: null, quality: 1, oee: null });
    expect(unknown.explanation).toEqual(["counts without recorded run time (line state unknown)"]);
  });

  it("never goes negative or above 1 on any factor", () => {
    const o = computeOee({
      plannedMs: H,
      runPlannedMs: 2 * H,
      runMs: 2 * H,
      good: 0,
      reject: 5,
      ratedPerMin: 100,
    });
    expect(o.availability).toBe(1);
    expect(o.quality).toBe(0);
    expect(o.oee).toBe(0);
  });

  it("derives running intervals from state changes, starting from the state before the range and ending now", () => {
    const iv = runningIntervals(
      "running",
      [
        { at: 100, state: "stopped" },
        { at: 300, state: "running" },
        { at: 500, state: "offline" },
        { at: 800, state: "running" },
      ],
      0,
      1000,
      900,
    );
    expect(iv).toEqual([
      [0, 100],
      [300, 500],
      [800, 900],
    ]);
  });
});
