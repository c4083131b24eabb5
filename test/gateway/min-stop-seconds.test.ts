import { afterEach, describe, expect, it } from "vitest";
import { validateGatewayConfig } from "../../gateway/config.ts";
import type { LinesResponse } from "../../protocol/api.ts";
import { ConfigError } from "../../protocol/index.ts";
import { FakeClock } from "./support/fakes.ts";
import { type Harness, sample, send, startHarness, telemetry } from "./support/gateway-harness.ts";

/**
 * Gateway config `alerts.minStopSeconds`: the lower bound of stop detection (default 30 s), for plants whose
 * fast lines should be seen stopped sooner. The line's 10 ideal cycles still apply (l1: 120/min → 5 s).
 */
describe("gateway config alerts.minStopSeconds", () => {
  it("accepts whole seconds from 1 to 3600 and reports anything else with its path", () => {
    expect(validateGatewayConfig({ alerts: { minStopSeconds: 5 } }).alerts).toEqual({ minStopSeconds: 5 });
    for (const bad of [0, 2.5, 3601, "5"]) {
      try {
        validateGatewayConfig({ alerts: { minStopSeconds: bad } });
        expect.unreachable(`${bad} accepted`);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).problems.map((p) => p.path)).toEqual(["/alerts/minStopSeconds"]);
      }
    }
  });

  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function stateAfter(ms: number, alerts: { minStopSeconds?: number }): Promise<string | undefined> {
    const clock = new FakeClock(Date.now());
    h = await startHarness({ clock, alerts });
    const c = await h.connect();
    const t = clock.now() - 1000;
    await send(c, telemetry(), sample(1, 10, 0, { ts: t - 1000 }));
    await send(c, telemetry(), sample(2, 20, 0, { ts: t }));
    clock.advance(ms);
    const res = await fetch(`http://127.0.0.1:${h.gateway.httpPort}/api/lines`);
    const body = (await res.json()) as LinesResponse;
    return body.lines.find((l) => l.line === "l1")?.state;
  }

  it("detects a stop after max(minStopSeconds, 10 ideal cycles) instead of 30 s", async () => {
    expect(await stateAfter(6000, { minStopSeconds: 5 })).toBe("stopped");
  });

  it("keeps the 30 s default without it", async () => {
    expect(await stateAfter(6000, {})).toBe("running");
  });

  it("never detects sooner than the line's 10 ideal cycles", async () => {
    expect(await stateAfter(3000, { minStopSeconds: 1 })).toBe("running");
  });
});
