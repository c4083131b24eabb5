import { afterEach, describe, expect, it } from "vitest";
import { MqttLoad } from "../../bench/support/mqtt-load.ts";
import { benchLines } from "../../bench/support/registry.ts";
import { SampleLog, TestBroker } from "../sim/broker.ts";

/** The load generator at tiny scale against aedes: every publish it counts is acknowledged and well formed. */
describe("bench MQTT load generator", () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  it("publishes schema-valid QoS 1 samples round-robin and tracks every PUBACK", async () => {
    const log = new SampleLog();
    const broker = await TestBroker.start(log);
    stops.push(() => broker.close());
    const lines = benchLines(3);
    const load = new MqttLoad({ host: "127.0.0.1", port: broker.port, lines, epoch: "t1" });
    stops.push(() => load.close());
    await load.connect();
    const step = await load.runRate(300, 0.2);
    expect(await load.drain(10_000)).toBe(true);
    expect(step.sent).toBe(60);
    expect(load.acked).toBe(60);
    // SampleLog decodes every payload with the wire schema: a malformed sample would have thrown.
    expect([...log.byLine.values()].map((l) => l.length)).toEqual([20, 20, 20]);
    expect(log.byLine.get("p001/l01")?.[0]).toMatchObject({ v: 1, epoch: "t1", seq: 1, good: 1, reject: 0 });
  });
});
