import { describe, expect, it } from "vitest";
import { type PhaseFigures, report, run } from "../../bench/overload.ts";

/**
 * The overload benchmark at tiny scale (4 + 4 devices, 200 samples/s, 1 s phases) against its own influxd
 * and gateway process: the figures' structure and the accounting invariants, never how fast anything was.
 */
describe("bench overload", () => {
  it("stores every QoS 1 sample, and every QoS 0 sample is stored or counted as shed", async () => {
    const r = await run({ capacity: 200, devices: 4, seconds: 1 });
    expect(r.phases.map((p) => [p.phase, p.qos1Target, p.qos0Target])).toEqual([
      ["sustainable", 200, 0],
      ["2× sustainable", 400, 0],
      ["QoS 0 flood + sustainable", 200, 800],
    ]);
    for (const p of r.phases) {
      expect(p.qos1AllStored).toBe(true);
      // Every due sample was sent or held back (slowed) by a full window; QoS 0 is never held back.
      expect(p.qos1Sent + p.qos1Slowed).toBe(p.qos1Target);
      expect(p.qos0Sent).toBe(p.qos0Target);
      // Each sample advanced its odometer by one: a sample not stored as a point was shed, and counted.
      expect(p.qos0SamplesStored + p.gatewayDrops).toBe(p.qos0Sent);
      expect(p.qos0Stored).toBeLessThanOrEqual(p.qos0Sent);
      expect(p.qos0Stored).toBeGreaterThanOrEqual(p.qos0SamplesStored);
    }
    const [sustainable, double] = r.phases as [PhaseFigures, PhaseFigures];
    expect([sustainable.gatewayDrops, double.gatewayDrops]).toEqual([0, 0]);
    expect(r.capacity).toBe(sustainable.storedRate || 200);
    expect(Object.keys(r.storedVsCapacity).sort()).toEqual(["double", "flood"]);
    expect(report(r)).toContain("QoS 0 flood + sustainable | 200 | 800 |");
  }, 60_000);
});
