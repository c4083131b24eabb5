import { describe, expect, it } from "vitest";
import { figureRanges, median, mergeValues, rangeTable, summarize } from "../../bench/support/repeat.ts";

/** Three runs of an ingest-like result: nested objects, ladders of different lengths, n/a figures. */
const runs = [
  {
    zeroLossRate: 40_000,
    ratio: { "100": 2, "1000": null },
    cpuUsPerSampleAt10k: 45.5,
    ladders: [
      {
        devices: 100,
        steps: [
          { targetRate: 10_000, ok: true, p99Ms: 64.3 },
          { targetRate: 20_000, ok: true, p99Ms: 84.2 },
          { targetRate: 40_000, ok: true, p99Ms: 291.9 },
        ],
      },
    ],
    scenario: "x",
  },
  {
    zeroLossRate: 20_000,
    ratio: { "100": 1, "1000": 1.5 },
    cpuUsPerSampleAt10k: null,
    ladders: [
      {
        devices: 100,
        steps: [
          { targetRate: 10_000, ok: true, p99Ms: 70 },
          { targetRate: 20_000, ok: true, p99Ms: 90 },
          { targetRate: 40_000, ok: false, p99Ms: 1500 },
        ],
      },
    ],
    scenario: "x",
  },
  {
    zeroLossRate: 40_000,
    ratio: { "100": 1.9, "1000": 2 },
    cpuUsPerSampleAt10k: 41,
    ladders: [{ devices: 100, steps: [{ targetRate: 10_000, ok: false, p99Ms: 60 }] }],
    scenario: "x",
  },
];

describe("bench --repeat medians", () => {
  it("takes the nearest-rank median: the lower middle value for an even count", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([40_000, 20_000])).toBe(20_000);
    expect(median([5])).toBe(5);
  });

  it("merges nested results into one of the same shape, each figure its median", () => {
    expect(mergeValues(runs)).toEqual({
      zeroLossRate: 40_000,
      ratio: { "100": 1.9, "1000": 1.5 },
      // Two of three runs have a number: their (lower) median; the ranges show the n/a run.
      cpuUsPerSampleAt10k: 41,
      ladders: [
        {
          devices: 100,
          steps: [
            { targetRate: 10_000, ok: true, p99Ms: 64.3 },
            // Only two runs reached these steps: medians over those two.
            { targetRate: 20_000, ok: true, p99Ms: 84.2 },
            { targetRate: 40_000, ok: false, p99Ms: 291.9 },
          ],
        },
      ],
      scenario: "x",
    });
  });

  it("gives every numeric figure its median, min, max and per-run values by path", () => {
    const ranges = figureRanges(runs);
    expect(ranges.zeroLossRate).toEqual({
      median: 40_000,
      min: 20_000,
      max: 40_000,
      values: [40_000, 20_000, 40_000],
    });
    expect(ranges["ratio.1000"]).toEqual({ median: 1.5, min: 1.5, max: 2, values: [null, 1.5, 2] });
    expect(ranges["ladders[0].steps[2].p99Ms"]).toEqual({
      median: 291.9,
      min: 291.9,
      max: 1500,
      values: [291.9, 1500, null],
    });
    expect(Object.keys(ranges)).not.toContain("scenario");
    const rows = rangeTable("ingest", ranges, 3)
      .split("\n")
      .map((l) => l.replace(/ +/g, " "));
    expect(rows.slice(0, 3)).toEqual([
      "ingest: medians over 3 runs",
      "figure | median | min–max | runs",
      "zeroLossRate | 40000 | 20000–40000 | 40000, 20000, 40000",
    ]);
    expect(rows).toContain("cpuUsPerSampleAt10k | 41 | 41–45.5 | 45.5, –, 41");
  });

  it("keeps one run's result as it is, and puts several runs' medians where one run's figures were", () => {
    expect(summarize([runs[0]])).toBe(runs[0]);
    const s = summarize(runs) as Record<string, unknown> & {
      repeat: { count: number; ranges: Record<string, unknown>; results: unknown[] };
    };
    expect(s.zeroLossRate).toBe(40_000);
    expect(s.repeat.count).toBe(3);
    expect(s.repeat.results).toEqual(runs);
    expect(s.repeat.ranges).toEqual(figureRanges(runs));
  });
});
