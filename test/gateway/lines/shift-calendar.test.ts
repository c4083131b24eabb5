import { describe, expect, it } from "vitest";
import { localTime, productionDay } from "../../../gateway/lines/production-day.ts";
import { plannedMs, shiftAt, shiftsOfDate } from "../../../gateway/lines/shift-calendar.ts";
import { type Plant, parseRegistry } from "../../../protocol/index.ts";

const SH = "Asia/Shanghai";
const at = (s: string) => Date.parse(s);

function plant(extra = ""): Plant {
  return parseRegistry(`
regions: [ { id: r, name: R } ]
plants:
  - id: p
    name: P
    region: r
    shifts: [ { name: day, start: "08:00" }, { name: night, start: "20:00" } ]
${extra}
    lines: [ { id: l1, name: L1, type: flat, ratedPerMin: 100 }, { id: l2, name: L2, type: flat, ratedPerMin: 100 } ]
`).plants[0]!;
}

describe("shift calendar (Asia/Shanghai)", () => {
  it("puts a sample at 23:59:59 and one at 00:00:00 on different production days", () => {
    expect(productionDay(at("2020-02-10T23:59:59+08:00"), SH)).toBe("2020-02-10");
    expect(productionDay(at("2020-02-11T00:00:00+08:00"), SH)).toBe("2020-02-11");
  });

  it("keeps a night shift spanning midnight one shift, attributed to the date it starts on", () => {
    const p = plant();
    const before = shiftAt(p, at("2020-02-10T23:59:59+08:00"));
    const after = shiftAt(p, at("2020-02-11T00:00:00+08:00"));
    expect(before).toEqual(after);
    expect(before).toEqual({
      name: "night",
      date: "2020-02-10",
      from: at("2020-02-10T20:00:00+08:00"),
      to: at("2020-02-11T08:00:00+08:00"),
    });
    expect(shiftAt(p, at("2020-02-11T08:00:00+08:00"))?.name).toBe("day");
  });

  it("ends a shift at its explicit end and leaves the rest of the day unplanned", () => {
    const p = parseRegistry(`
regions: [ { id: r, name: R } ]
plants: [ { id: p, name: P, region: r, shifts: [ { name: day, start: "08:00", end: "17:00" } ], lines: [ { id: l1, name: L, type: flat, ratedPerMin: 1 } ] } ]
`).plants[0]!;
    expect(shiftsOfDate(p, "2020-02-10")).toEqual([
      {
        name: "day",
        date: "2020-02-10",
        from: at("2020-02-10T08:00:00+08:00"),
        to: at("2020-02-10T17:00:00+08:00"),
      },
    ]);
    expect(shiftAt(p, at("2020-02-10T17:00:00+08:00"))).toBeNull();
    expect(plannedMs(p, "l1", at("2020-02-10T00:00:00+08:00"), at("2020-02-11T00:00:00+08:00"))).toBe(
      9 * 3_600_000,
    );
  });

  it("subtracts planned downtime (every day or on dates, every line or some) from planned time", () => {
    const p = plant(`    plannedDowntime:
      - { start: "12:00", end: "12:30" }
      - { start: "23:30", end: "00:30", lines: [ l2 ], dates: [ "2020-02-10" ] }`);
    const day = [at("2020-02-10T00:00:00+08:00"), at("2020-02-11T00:00:00+08:00")] as const;
    expect(plannedMs(p, "l1", ...day)).toBe(24 * 3_600_000 - 30 * 60_000);
    expect(plannedMs(p, "l2", ...day)).toBe(24 * 3_600_000 - 60 * 60_000); // 23:30–24:00 falls on this day
    const next = [at("2020-02-11T00:00:00+08:00"), at("2020-02-12T00:00:00+08:00")] as const;
    expect(plannedMs(p, "l2", ...next)).toBe(24 * 3_600_000 - 60 * 60_000); // 00:00–00:30 and lunch
  });

  it("computes wall times across a DST change without assuming a fixed offset (America/New_York)", () => {
    // 2021-03-14: 02:00 EST jumps to 03:00 EDT.
    expect(new Date(localTime("2021-03-14", "01:00", "America/New_York")).toISOString()).toBe(
      "2021-03-14T06:00:00.000Z",
    );
    expect(new Date(localTime("2021-03-14", "08:00", "America/New_York")).toISOString()).toBe(
      "2021-03-14T12:00:00.000Z",
    );
  });
});
