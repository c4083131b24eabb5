import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { generate, parser } from "mqtt-packet";
import { afterEach, describe, expect, it } from "vitest";
import { topics } from "../../protocol/index.ts";
import { waitFor } from "./support/fakes.ts";
import { type Harness, sample, send, startHarness, telemetry } from "./support/gateway-harness.ts";

let h: Harness | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

async function directAcks(gateway: Harness): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gateway.gateway.httpPort}/metrics`)).text();
  const m = /^masktally_mqtt_direct_acks_total (\d+)$/m.exec(text);
  if (m === null) throw new Error("no masktally_mqtt_direct_acks_total in /metrics");
  return Number(m[1]);
}

function inbox(c: MqttClient): string[] {
  const got: string[] = [];
  c.on("message", (_topic, payload) => got.push(payload.toString()));
  return got;
}

/** A raw MQTT 3.1.1 connection: what a device sends, byte for byte, and the packets it gets back. */
async function rawClient(port: number, keepalive = 30) {
  const socket: Socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await once(socket, "connect");
  const received: Array<{ cmd: string; messageId?: number }> = [];
  const p = parser();
  p.on("packet", (pk) => received.push(pk as { cmd: string; messageId?: number }));
  socket.on("data", (d) => p.parse(d));
  const closed = once(socket, "close");
  const base = { protocolId: "MQTT", protocolVersion: 4, clean: true } as const;
  socket.write(generate({ cmd: "connect", ...base, keepalive, clientId: `raw-${keepalive}` } as never));
  await waitFor(() => received.some((pk) => pk.cmd === "connack"), 5000, "CONNACK");
  const publish = (messageId: number, payload: string, topic = telemetry("l1")) =>
    generate({ cmd: "publish", topic, payload, qos: 1, messageId, retain: false, dup: false } as never);
  const pubacks = () => received.filter((pk) => pk.cmd === "puback").map((pk) => pk.messageId);
  return { socket, closed, publish, pubacks };
}

describe("QoS 1 telemetry nobody subscribed to is acknowledged without aedes' delivery path (ADR 0013)", () => {
  it("acknowledges a chunk of publishes in order once stored, drops bad ones with a PUBACK, counts every one", async () => {
    h = await startHarness();
    const dev = await rawClient(h.gateway.mqttPort);
    // The first publish on a topic goes through aedes while the topic's persisted subscriptions are checked.
    dev.socket.write(dev.publish(1, JSON.stringify(sample(1, 10))));
    await waitFor(() => dev.pubacks().length === 1, 5000, "the first PUBACK");
    expect(await directAcks(h)).toBe(0);
    // Five samples and a malformed payload in one TCP write: one socket read, six publishes in flight at once.
    const chunk = [2, 3, 4, 5, 6].map((seq) => dev.publish(seq, JSON.stringify(sample(seq, 10 + seq))));
    dev.socket.write(Buffer.concat([...chunk, dev.publish(7, "{not json")]));
    await waitFor(() => dev.pubacks().length === 7, 5000, "six more PUBACKs");
    expect(dev.pubacks()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(h.store.total("sr-01", "l1").good).toBe(16);
    expect(await h.drops()).toEqual({ "bad-json": 1 });
    expect(await directAcks(h)).toBe(6);
    dev.socket.destroy();
  });

  it("stops once a subscription could receive telemetry: the subscriber gets every later sample", async () => {
    h = await startHarness();
    const dev = await h.connect({ clientId: "pi-01" });
    for (const seq of [1, 2]) await send(dev, telemetry("l1"), sample(seq, seq));
    expect(await directAcks(h)).toBe(1);
    const sub = await h.connect({ clientId: "watcher" });
    const got = inbox(sub);
    await sub.subscribeAsync("mt/v1/+/l1/#", { qos: 1 });
    for (const seq of [3, 4, 5]) await send(dev, telemetry("l1"), sample(seq, seq));
    await waitFor(() => got.length === 3, 5000, "three deliveries");
    expect(got.map((m) => (JSON.parse(m) as { seq: number }).seq)).toEqual([3, 4, 5]);
    expect(await directAcks(h)).toBe(1);
    expect(h.store.total("sr-01", "l1").good).toBe(5);
  });

  it("leaves a subscription to other topics (status, commands) alone", async () => {
    h = await startHarness();
    const sub = await h.connect({ clientId: "status-watcher" });
    await sub.subscribeAsync(["mt/v1/+/+/status", "mt/v1/sr-01/l1/cmd/#"], { qos: 1 });
    const dev = await h.connect({ clientId: "pi-01" });
    for (const seq of [1, 2, 3]) await send(dev, telemetry("l1"), sample(seq, seq));
    expect(await directAcks(h)).toBe(2);
  });

  it("delivers to a persisted subscription after a restart: topics it matches keep aedes' path", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "masktally-direct-"));
    h = await startHarness({ dataDir });
    const watcher = await h.connect({ clientId: "watcher", clean: false });
    await watcher.subscribeAsync(telemetry("l1"), { qos: 1 });
    await watcher.endAsync();
    const store = h.store;
    await h.close();
    // A fresh gateway: no subscription was granted in this process, only the persisted one knows about l1.
    h = await startHarness({ dataDir, store });
    const dev = await h.connect({ clientId: "pi-01" });
    for (const seq of [1, 2, 3]) await send(dev, telemetry("l1"), sample(seq, seq));
    for (const seq of [1, 2, 3]) await send(dev, telemetry("l2"), sample(seq, seq, 0, { device: "pi-02" }));
    expect(await directAcks(h)).toBe(2); // l2's second and third
    const back = await h.connect({ clientId: "watcher", clean: false });
    const got = inbox(back);
    await waitFor(() => got.length === 3, 5000, "l1's three samples queued for the offline session");
    expect(got.map((m) => (JSON.parse(m) as { seq: number }).seq)).toEqual([1, 2, 3]);
  });

  it("keeps retained telemetry on aedes' path", async () => {
    h = await startHarness();
    const dev = await h.connect({ clientId: "pi-01" });
    await send(dev, telemetry("l1"), sample(1, 1));
    await dev.publishAsync(telemetry("l1"), JSON.stringify(sample(2, 2)), { qos: 1, retain: true });
    expect(await directAcks(h)).toBe(0);
    const late = await h.connect({ clientId: "late" });
    const got = inbox(late);
    await late.subscribeAsync(topics.allTelemetry, { qos: 1 });
    await waitFor(() => got.length === 1, 5000, "the retained sample");
    expect((JSON.parse(got[0]!) as { seq: number }).seq).toBe(2);
    expect(h.store.total("sr-01", "l1").good).toBe(2);
  });

  it("counts a publish as keep-alive traffic, as aedes does", async () => {
    h = await startHarness();
    const dev = await rawClient(h.gateway.mqttPort, 1);
    // 1 s keep-alive: without a packet for 1.5 s the broker closes the connection [MQTT-3.1.2-24].
    for (let seq = 1; seq <= 10; seq++) {
      dev.socket.write(dev.publish(seq, JSON.stringify(sample(seq, seq))));
      await waitFor(() => dev.pubacks().length === seq, 5000, `PUBACK ${seq}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(dev.socket.destroyed).toBe(false);
    expect(await directAcks(h)).toBe(9);
    await dev.closed; // and silence still closes it
  });
});
