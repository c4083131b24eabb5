import { describe, expect, it } from "vitest";
import {
  AlertEngine,
  DEFAULT_ALERT_SETTINGS,
  type LineStatus,
} from "../../../gateway/alerts/alert-engine.ts";
import { FakeClock } from "../support/fakes.ts";

function setup() {
  const clock = new FakeClock();
  let n = 0;
  const engine = new AlertEngine(
    {
      ...DEFAULT_ALERT_SETTINGS,
      stopDelayMs: 120_000,
      escalateAfterMs: 15 * 60_000,
      remindEveryMs: 5 * 60_000,
    },
    clock,
    () => `a${++n}`,
  );
  const line = (
    state: LineStatus["state"],
    since: number | null,
    extra: Partial<LineStatus> = {},
  ): LineStatus => ({
    plant: "p",
    line: "l1",
    state,
    since,
    sensors: null,
    ...extra,
  });
  const step = (ms: number, status: LineStatus) => {
    clock.advance(ms);
    return engine.evaluate([status]).map((e) => `${e.event}:${e.alert.kind}`);
  };
  return { clock, engine, line, step };
}

describe("AlertEngine", () => {
  it("raises line-stopped only after the stop delay, reminds, escalates, and resolves with the downtime", () => {
    const { clock, engine, line, step } = setup();
    const since = clock.now();
    expect(step(119_999, line("stopped", since))).toEqual([]);
    expect(step(1, line("stopped", since))).toEqual(["raised:line-stopped"]);
    expect(step(1000, line("stopped", since))).toEqual([]);
    expect(step(5 * 60_000, line("stopped", since))).toEqual(["reminder:line-stopped"]);
    expect(step(10 * 60_000, line("stopped", since))).toEqual(["escalated:line-stopped"]);
    const escalatedAt = clock.now();
    const resumed = clock.now() + 30_000;
    expect(step(60_000, line("running", resumed))).toEqual(["resolved:line-stopped"]);
    expect(engine.all()[0]).toMatchObject({ state: "resolved", downtimeMs: resumed - since, escalatedAt });
  });

  it("never alerts a micro-stop, and stops reminding once acknowledged", () => {
    const { clock, engine, line, step } = setup();
    const since = clock.now();
    expect(step(60_000, line("stopped", since))).toEqual([]);
    expect(step(1000, line("running", clock.now()))).toEqual([]);
    const since2 = clock.now();
    expect(step(120_000, line("stopped", since2))).toEqual(["raised:line-stopped"]);
    const id = engine.all()[0]!.id;
    expect(engine.acknowledge(id, "王师傅", "nose-wire-jam", null).event).toBe("acknowledged");
    expect(step(30 * 60_000, line("stopped", since2))).toEqual([]);
    expect(engine.reasonFor("p", "l1", since2)).toBe("nose-wire-jam");
  });

  it("continues a restored active alert instead of raising it again", () => {
    const { clock, engine, line, step } = setup();
    const since = clock.now();
    step(120_000, line("stopped", since));
    const restored = new AlertEngine(DEFAULT_ALERT_SETTINGS, clock, () => "new", engine.all());
    clock.advance(1000);
    expect(restored.evaluate([line("unknown", null)])).toEqual([]);
    expect(restored.evaluate([line("stopped", clock.now())])).toEqual([]);
    expect(restored.all()).toHaveLength(1);
  });

  it("raises device-offline and sensor-limit with hysteresis on the reading", () => {
    const { clock, line, step } = setup();
    expect(step(0, line("offline", clock.now()))).toEqual([]);
    expect(step(120_000, line("offline", clock.now() - 120_000))).toEqual(["raised:device-offline"]);
    const limits = { weld_temp_c: { min: 150, max: 220 } };
    const hot = (v: number) => line("running", clock.now(), { sensors: { weld_temp_c: v }, limits });
    expect(step(1000, hot(230))).toEqual(["resolved:device-offline"]);
    expect(step(29_000, hot(231))).toEqual([]);
    expect(step(1000, hot(232))).toEqual(["raised:sensor-limit"]);
    expect(step(1000, hot(200))).toEqual([]);
    expect(step(10_000, hot(225))).toEqual([]);
    expect(step(1000, hot(200))).toEqual([]);
    expect(step(30_000, hot(200))).toEqual(["resolved:sensor-limit"]);
  });

  it("refuses to acknowledge an unknown or resolved alert with a code", () => {
    const { engine } = setup();
    expect(() => engine.acknowledge("nope", "x", "other", null)).toThrow(
      expect.objectContaining({ code: "not_found" }),
    );
  });
});
