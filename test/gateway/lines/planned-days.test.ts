import { describe, expect, it } from "vitest";
import { capacity } from "../../../gateway/lines/capacity.ts";
import { dayBounds, plannedDay } from "../../../gateway/lines/planned-days.ts";
import { type Registry, validateRegistry } from "../../../protocol/index.ts";
import { FakeClock } from "../support/fakes.ts";

function registry(shifts: unknown[], plannedDowntime: unknown[] = []): Registry {
  return validateRegistry({
    timezone: "Asia/Shanghai",
    target: { daily: 100_000 },
    regions: [{ id: "r1", name: "r1" }],
    plants: [
      {
        ...{ id: "p1", name: "p1", region: "r1", shifts, plannedDowntime },
        lines: [
          { id: "l1", name: "l1", type: "flat", ratedPerMin: 100 },
          { id: "l2", name: "l2", type: "flat", ratedPerMin: 100 },
        ],
      },
    ],
  });
}

const ROUND_THE_CLOCK = [
  { name: "day", start: "08:00" },
  { name: "night", start: "20:00" },
];

describe("plannedDay", () => {
  it("is the day's plan from local midnight to local midnight, per set of downtime windows", () => {
    const reg = registry(ROUND_THE_CLOCK, [{ start: "12:00", end: "12:30", lines: ["l2"] }]);
    const p = reg.plants[0]!;
    expect(dayBounds(p, "2020-02-10")).toEqual([
      Date.parse("2020-02-09T16:00:00Z"),
      Date.parse("2020-02-10T16:00:00Z"),
    ]);
    expect(plannedDay(p, "l1", "2020-02-10").plannedMs).toBe(24 * 3600_000);
    expect(plannedDay(p, "l2", "2020-02-10").plannedMs).toBe(23.5 * 3600_000);
    expect(plannedDay(p, "l2", "2020-02-10").planned).toEqual([
      [Date.parse("2020-02-09T16:00:00Z"), Date.parse("2020-02-10T04:00:00Z")],
      [Date.parse("2020-02-10T04:30:00Z"), Date.parse("2020-02-10T16:00:00Z")],
    ]);
  });

  it("follows a registry reload: the new calendar answers, not the memo of the old one", async () => {
    let reg = registry(ROUND_THE_CLOCK);
    const deps = {
      registry: () => reg,
      aggregates: { totals: async () => [] },
      tracker: { snapshot: () => undefined },
      clock: new FakeClock(),
    };
    expect((await capacity(deps, "2020-02-10")).installed).toBe(2 * 100 * 1440);
    reg = registry([{ name: "day", start: "08:00", end: "20:00" }], [{ start: "12:00", end: "12:30" }]);
    expect((await capacity(deps, "2020-02-10")).installed).toBe(2 * 100 * 690);
    // A downtime window on one date only: the other dates keep their plan.
    reg = registry(ROUND_THE_CLOCK, [{ start: "00:00", end: "06:00", dates: ["2020-02-11"] }]);
    expect((await capacity(deps, "2020-02-10")).installed).toBe(2 * 100 * 1440);
    expect((await capacity(deps, "2020-02-11")).installed).toBe(2 * 100 * 1080);
  });
});
