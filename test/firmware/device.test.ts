import { connectAsync } from "mqtt";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Device } from "../../firmware/device.ts";
import { JohnnyFiveCounterSource } from "../../firmware/johnny-five-counter-source.ts";
import { decodeStatus, topics } from "../../protocol/index.ts";
import { SimIO } from "../../sim/sim-io.ts";
import { SampleLog, TestBroker } from "../sim/broker.ts";
import { waitFor as waitUntil } from "../support/wait.ts";

const log = pino({ level: "silent" });

/** Collects the states published on a status topic, retained ones included. */
async function watchStatus(url: string, topic: string) {
  const client = await connectAsync(url, { clientId: "probe", clean: true, reconnectPeriod: 0 });
  const states: string[] = [];
  client.on("message", (_t, payload) => {
    const s = decodeStatus(payload);
    if (s.ok) states.push(s.value.state);
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return { states, close: () => client.endAsync(true) };
}

const waitFor = (check: () => boolean, timeoutMs = 10_000) => waitUntil(check, timeoutMs);

describe("Device", () => {
  let samples: SampleLog;
  let broker: TestBroker;
  beforeEach(async () => {
    samples = new SampleLog();
    broker = await TestBroker.start(samples);
  });
  afterEach(async () => {
    await broker.close();
  });

  it("publishes cumulative odometers, flushes a final sample, and leaves the last will when the connection dies", async () => {
    const io = new SimIO();
    const source = new JohnnyFiveCounterSource({
      io,
      inputs: { good: { pin: 2 }, reject: { pin: 3 }, run: { pin: 4 } },
      log,
    });
    const device = new Device({
      device: "pi-07",
      broker: broker.url,
      intervalMs: 60_000,
      lines: [{ plant: "sr-01", line: "l1", source }],
      log,
    });
    await device.start();
    io.setLevel(4, 1);
    for (let i = 0; i < 250; i++) io.pulse(2);
    io.pulse(3);
    expect(await device.flush(5000)).toEqual({ drained: true, depth: 0 });
    const [sample] = samples.byLine.get("sr-01/l1") ?? [];
    expect(sample).toMatchObject({ device: "pi-07", seq: 1, good: 250, reject: 1, run: true });
    const status = await watchStatus(broker.url, topics.status("sr-01", "l1"));
    await waitFor(() => status.states.length === 1);
    expect(status.states).toEqual(["online"]);

    // The broker drops the device without a DISCONNECT: it publishes the will; the device reconnects.
    const clients = (broker.broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> })
      .clients;
    clients["pi-07"]?.conn.destroy();
    await waitFor(() => status.states.length === 3);
    await device.stop();
    await waitFor(() => status.states.length === 4);
    expect(status.states).toEqual(["online", "offline", "online", "offline"]);
    await status.close();
  });
});
