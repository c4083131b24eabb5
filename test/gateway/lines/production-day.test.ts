import { describe, expect, it } from "vitest";
import { addDays, dayRange, dayStart, productionDay } from "../../../gateway/lines/production-day.ts";

const SH = "Asia/Shanghai";

describe("production day in the plant's time zone", () => {
  it("puts 23:59:59 local on the day and 00:00:00 local on the next (Asia/Shanghai, UTC+8)", () => {
    expect(productionDay(Date.parse("2020-02-10T23:59:59+08:00"), SH)).toBe("2020-02-10");
    expect(productionDay(Date.parse("2020-02-11T00:00:00+08:00"), SH)).toBe("2020-02-11");
    expect(productionDay(Date.parse("2020-02-10T23:59:59.999+08:00"), SH)).toBe("2020-02-10");
  });

  it("differs from the UTC date between 16:00 and 24:00 UTC", () => {
    expect(productionDay(Date.parse("2020-02-10T16:30:00Z"), SH)).toBe("2020-02-11");
    expect(productionDay(Date.parse("2020-02-10T16:30:00Z"), "UTC")).toBe("2020-02-10");
  });

  it("starts the day at local midnight", () => {
    expect(dayStart("2020-02-11", SH).toISOString()).toBe("2020-02-10T16:00:00.000Z");
    expect(dayStart("2020-01-01", "UTC").toISOString()).toBe("2020-01-01T00:00:00.000Z");
  });

  it("handles month and year ends", () => {
    expect(addDays("2020-02-28", 1)).toBe("2020-02-29");
    expect(addDays("2020-12-31", 1)).toBe("2021-01-01");
    expect(addDays("2021-01-01", -1)).toBe("2020-12-31");
    expect(dayStart("2021-01-01", SH).toISOString()).toBe("2020-12-31T16:00:00.000Z");
  });

  it("follows daylight saving time where a zone has it (America/New_York: 23-hour day)", () => {
    const range = dayRange(Date.parse("2020-03-08T12:00:00-04:00"), "America/New_York");
    expect(range.date).toBe("2020-03-08");
    expect(range.from.toISOString()).toBe("2020-03-08T05:00:00.000Z");
    expect(range.to.toISOString()).toBe("2020-03-09T04:00:00.000Z");
  });

  it("gives the [start, end) range of the day containing a time", () => {
    const r = dayRange(Date.parse("2020-02-11T00:00:00+08:00"), SH);
    expect(r).toEqual({
      date: "2020-02-11",
      from: new Date("2020-02-10T16:00:00.000Z"),
      to: new Date("2020-02-11T16:00:00.000Z"),
    });
  });

  it("rejects a malformed date", () => {
    expect(() => dayStart("2020-2-1", SH)).toThrow(RangeError);
  });
});
