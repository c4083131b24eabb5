import { describe, expect, it } from "vitest";
import { RegistryCalendar, spanAt } from "../../../gateway/lines/line-calendar.ts";
import { parseRegistry } from "../../../protocol/index.ts";
import { LUNCH_SHIFT_REGISTRY_YAML } from "../../support/registry.ts";

describe("spanAt", () => {
  const planned: Array<[number, number]> = [
    [10, 20],
    [30, 40],
  ];
  it("gives the planned interval holding the instant, or the gap between intervals", () => {
    expect(spanAt(planned, 0, 100, 5)).toEqual({ planned: false, from: 0, to: 10 });
    expect(spanAt(planned, 0, 100, 10)).toEqual({ planned: true, from: 10, to: 20 });
    expect(spanAt(planned, 0, 100, 19)).toEqual({ planned: true, from: 10, to: 20 });
    expect(spanAt(planned, 0, 100, 20)).toEqual({ planned: false, from: 20, to: 30 });
    expect(spanAt(planned, 0, 100, 40)).toEqual({ planned: false, from: 40, to: 100 });
    expect(spanAt([], 0, 100, 50)).toEqual({ planned: false, from: 0, to: 100 });
  });
});

describe("RegistryCalendar.span", () => {
  const reg = parseRegistry(LUNCH_SHIFT_REGISTRY_YAML);
  const at = (hhmm: string) => Date.parse(`2020-02-10T${hhmm}:00+08:00`);

  it("spans the shift up to planned downtime, the downtime, and the night (Asia/Shanghai)", () => {
    const cal = new RegistryCalendar(reg);
    expect(cal.span("p", "l1", at("10:00"))).toEqual({ planned: true, from: at("08:00"), to: at("12:00") });
    expect(cal.span("p", "l1", at("12:10"))).toEqual({ planned: false, from: at("12:00"), to: at("12:30") });
    expect(cal.span("p", "l1", at("18:00"))).toEqual({
      planned: false,
      from: at("18:00"),
      to: Date.parse("2020-02-11T08:00:00+08:00"),
    });
  });

  it("treats a plant the registry does not know as always planned", () => {
    expect(new RegistryCalendar(reg).span("other", "l1", at("03:00")).planned).toBe(true);
  });
});
