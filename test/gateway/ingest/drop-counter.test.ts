import { describe, expect, it } from "vitest";
import { DropCounter } from "../../../gateway/ingest/drop-counter.ts";
import { captureLogger, FakeClock } from "../support/fakes.ts";

describe("DropCounter", () => {
  it("counts every drop by reason but logs at most one line per reason per 10 s, with the count", () => {
    const clock = new FakeClock();
    const { log, lines } = captureLogger();
    const d = new DropCounter(log, clock);
    for (let i = 0; i < 5; i++) d.drop("bad-json", { client: "c" });
    d.drop("stale", {});
    clock.advance(9_999);
    d.drop("bad-json", {});
    clock.advance(1);
    d.drop("bad-json", {});
    expect(d.totals()).toMatchObject({ "bad-json": 7, stale: 1, duplicate: 0 });
    expect(lines.map((l) => [l.reason, l.count, l.total, l.msg])).toEqual([
      ["bad-json", 1, 1, "publish dropped"],
      ["stale", 1, 1, "publish dropped"],
      ["bad-json", 6, 7, "publish dropped"],
    ]);
  });
});
