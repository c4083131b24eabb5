import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "../../gateway/broker.ts";
import { silentLogger, waitFor } from "./support/fakes.ts";

/**
 * Overload (issue 7): while the store's backlog is at the limit, QoS 0 publishes are acknowledged-and-dropped
 * and counted, never queued; QoS 1 publishes still reach ingest (their per-client window bounds them).
 */
describe("broker QoS 0 shedding", () => {
  let broker: RunningBroker | undefined;
  let client: mqtt.MqttClient | undefined;
  afterEach(async () => {
    await client?.endAsync();
    await broker?.close();
  });

  it("sheds QoS 0 only while the backlog is at the limit, and counts each one", async () => {
    let backlog = 0;
    const handled: string[] = [];
    let shed = 0;
    broker = await startBroker({
      ...{ host: "127.0.0.1", port: 0, allowAnonymous: true, devices: null, log: silentLogger() },
      limits: { qos0ShedBacklog: 5 },
      backlog: () => backlog,
      onShed: () => shed++,
      onPublish: async (_identity, _client, topic, payload) => {
        handled.push(`${topic}:${Buffer.from(payload).toString()}`);
        return { kind: "accept" };
      },
    });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    await client.publishAsync("t/a", "q0-under", { qos: 0 });
    await waitFor(() => handled.length === 1, 5000, "QoS 0 under the limit handled");
    backlog = 5;
    for (let i = 0; i < 3; i++) await client.publishAsync("t/a", `q0-over-${i}`, { qos: 0 });
    await client.publishAsync("t/a", "q1-over", { qos: 1 });
    // QoS 1 is handled in order after the three QoS 0 on the same connection: they were shed by then.
    expect(handled).toEqual(["t/a:q0-under", "t/a:q1-over"]);
    expect(shed).toBe(3);
    expect(client.connected).toBe(true);
    backlog = 4;
    await client.publishAsync("t/a", "q0-again", { qos: 0 });
    await waitFor(() => handled.length === 3, 5000, "QoS 0 handled again");
    expect(handled[2]).toBe("t/a:q0-again");
    expect(shed).toBe(3);
  });
});
