import { execFile } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { MqttClient } from "mqtt";
import { generate, parser } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { topics } from "../../protocol/index.ts";
import { waitFor } from "./support/fakes.ts";
import { type Harness, sample, send, startHarness, status, telemetry } from "./support/gateway-harness.ts";

const run = promisify(execFile);
const MOSQUITTO = existsSync("/usr/bin/mosquitto_pub") && existsSync("/usr/bin/mosquitto_sub");
let h: Harness;
let dataDir: string;

beforeAll(async () => {
  // Broker state on disk (sessions, queued messages, retained) under a data dir, as in production.
  dataDir = await mkdtemp(join(tmpdir(), "masktally-mqtt-data-"));
  h = await startHarness({ dataDir });
});
afterAll(async () => {
  await h.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Collects messages a client receives. */
function inbox(c: MqttClient) {
  const got: Array<{ topic: string; qos: number; retain: boolean; payload: string }> = [];
  c.on("message", (topic, payload, packet) =>
    got.push({ topic, qos: packet.qos, retain: packet.retain, payload: payload.toString() }),
  );
  return got;
}

const onlineStatus = (device = "pi-01") =>
  JSON.stringify({ v: 1, state: "online", device, epoch: "e1", ts: Date.now() });
const offlineStatus = (device = "pi-01") =>
  JSON.stringify({ v: 1, state: "offline", device, epoch: "e1", ts: Date.now() });

/** A raw CONNECT; resolves with the CONNACK's return code (or null if the socket closes without one). */
async function rawConnect(
  packet: Record<string, unknown> | Buffer,
): Promise<{ returnCode: number | null; closed: Promise<unknown> }> {
  const socket = connect(h.gateway.mqttPort, "127.0.0.1");
  socket.on("error", () => {});
  const closed = once(socket, "close");
  await once(socket, "connect");
  const p = parser();
  const connack = new Promise<number | null>((resolve) => {
    p.on("packet", (pk) => pk.cmd === "connack" && resolve((pk as { returnCode: number }).returnCode));
    socket.on("close", () => resolve(null));
  });
  socket.on("data", (d) => p.parse(d));
  const base = {
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    keepalive: 30,
    clientId: "x",
    clean: true,
  };
  socket.write(Buffer.isBuffer(packet) ? packet : generate({ ...base, ...packet } as never));
  return { returnCode: await connack, closed };
}

describe("MQTT 3.1.1 for ordinary clients (mqtt.js)", () => {
  it("delivers QoS 0, 1 and 2 publishes at the subscription's QoS and counts each sample once", async () => {
    const sub = await h.connect({ clientId: "sub-q" });
    const got = inbox(sub);
    await sub.subscribeAsync(topics.allTelemetry, { qos: 2 });
    const pub = await h.connect({ clientId: "pub-q" });
    await pub.publishAsync(telemetry("l1"), JSON.stringify(sample(1, 5)), { qos: 0 });
    await pub.publishAsync(telemetry("l1"), JSON.stringify(sample(2, 8)), { qos: 1 });
    await pub.publishAsync(telemetry("l1"), JSON.stringify(sample(3, 12)), { qos: 2 });
    await waitFor(() => got.length === 3, 5000, "3 deliveries");
    expect(got.map((m) => m.qos)).toEqual([0, 1, 2]);
    await waitFor(() => h.store.total("sr-01", "l1").good === 12, 5000, "stored");
  });

  it("keeps retained messages and publishes a will when a client dies", async () => {
    const dev = await h.connect({
      clientId: "pi-will",
      will: { topic: status("l2"), payload: Buffer.from(offlineStatus("pi-will")), qos: 1, retain: true },
    });
    await dev.publishAsync(status("l2"), onlineStatus("pi-will"), { qos: 1, retain: true });
    const late = await h.connect({ clientId: "late" });
    const got = inbox(late);
    await late.subscribeAsync(status("l2"), { qos: 1 });
    await waitFor(() => got.length === 1, 5000, "the retained status");
    expect(got[0]).toMatchObject({ retain: true, payload: expect.stringContaining('"online"') });
    dev.stream.destroy(); // no DISCONNECT: the broker must publish the will [MQTT-3.1.2-8]
    await waitFor(() => got.length === 2, 10_000, "the will");
    expect(got[1]!.payload).toContain('"offline"');
  });

  it("queues QoS 1 messages for a persistent session and hands the session over on a second connection with the same id", async () => {
    const a = await h.connect({ clientId: "sess-1", clean: false });
    await a.subscribeAsync(topics.allTelemetry, { qos: 1 });
    await a.endAsync();
    const pub = await h.connect({ clientId: "pub-s" });
    await send(pub, telemetry("l2"), sample(1, 3, 0, { device: "pi-02" }));
    await send(pub, telemetry("l2"), sample(2, 4, 0, { device: "pi-02" }));
    const b = await h.connect({ clientId: "sess-1", clean: false });
    const got = inbox(b);
    await waitFor(() => got.length === 2, 5000, "the queued messages");
    // Takeover [MQTT-3.1.4-2]: the first connection is closed, the session (subscription) continues.
    const closedB = new Promise<void>((resolve) => b.once("close", () => resolve()));
    const c = await h.connect({ clientId: "sess-1", clean: false });
    await closedB;
    const gotC = inbox(c);
    await send(pub, telemetry("l2"), sample(3, 6, 0, { device: "pi-02" }));
    await waitFor(() => gotC.length === 1, 5000, "delivery to the new connection");
  });

  it("keeps sessions, queued messages and retained messages across a gateway restart", async () => {
    const a = await h.connect({ clientId: "sess-r", clean: false });
    await a.subscribeAsync(topics.allTelemetry, { qos: 1 });
    await a.endAsync();
    const pub = await h.connect({ clientId: "pub-r" });
    await send(pub, telemetry("l2"), sample(4, 9, 0, { device: "pi-02" }));
    await pub.publishAsync(status("l1"), onlineStatus(), { qos: 1, retain: true });
    const store = h.store;
    await h.close();
    h = await startHarness({ dataDir, store });
    const b = await h.connect({ clientId: "sess-r", clean: false });
    expect(b.connected).toBe(true);
    const got = inbox(b);
    await waitFor(
      () => got.some((m) => m.payload.includes('"seq":4')),
      5000,
      "the message queued before the restart",
    );
    const fresh = await h.connect({ clientId: "fresh" });
    const retained = inbox(fresh);
    await fresh.subscribeAsync(status("l1"), { qos: 1 });
    await waitFor(() => retained.length === 1, 5000, "the retained status");
  });

  it("refuses an empty client id with CleanSession 0 (return code 2) and accepts it with CleanSession 1", async () => {
    // By hand: mqtt-packet refuses to generate it. CONNECT, MQTT 3.1.1, flags 0 (CleanSession 0), keepalive 30, client id "".
    const emptyId = Buffer.from([0x10, 12, 0, 4, ...Buffer.from("MQTT"), 4, 0x00, 0, 30, 0, 0]);
    expect((await rawConnect(emptyId)).returnCode).toBe(2); // [MQTT-3.1.3-8]
    expect((await rawConnect({ clientId: "", clean: true })).returnCode).toBe(0);
  });

  it("closes a connection whose keepalive expires [MQTT-3.1.2-24]", async () => {
    const { returnCode, closed } = await rawConnect({ clientId: "sleepy", keepalive: 1 });
    expect(returnCode).toBe(0);
    await closed; // 1.5 × keepalive without a packet
  });

  it("refuses MQTT 5 cleanly and keeps serving 3.1.1 clients", async () => {
    await expect(h.connect({ clientId: "v5", protocolVersion: 5 })).rejects.toThrow(/protocol/i);
    expect((await h.connect({ clientId: "v4" })).connected).toBe(true);
  });
});

describe.skipIf(!MOSQUITTO)("MQTT 3.1.1 with Debian's mosquitto clients", () => {
  const args = () => ["-h", "127.0.0.1", "-p", String(h.gateway.mqttPort), "-V", "mqttv311"];

  it("publishes at QoS 0, 1 and 2, and a retained status that a later mosquitto_sub receives", async () => {
    const before = h.store.total("sr-01", "l2").good;
    for (const [qos, seq, good] of [
      [0, 101, 1000],
      [1, 102, 1010],
      [2, 103, 1030],
    ] as const) {
      const payload = JSON.stringify(sample(seq, good, 0, { device: "pi-03", epoch: "m1" }));
      await run("mosquitto_pub", [...args(), "-q", String(qos), "-t", telemetry("l2"), "-m", payload]);
    }
    await waitFor(() => h.store.total("sr-01", "l2").good === before + 1030, 5000, "stored");
    await run("mosquitto_pub", [...args(), "-q", "1", "-r", "-t", status("l2"), "-m", onlineStatus("pi-03")]);
    const { stdout } = await run("mosquitto_sub", [
      ...args(),
      "-q",
      "1",
      "-t",
      status("l2"),
      "-C",
      "1",
      "-W",
      "10",
    ]);
    expect(stdout).toContain('"pi-03"');
  });

  it("gets a persistent session's queued message with mosquitto_sub -c", async () => {
    const sub = [...args(), "-q", "1", "-c", "-i", "mosq-sess", "-t", topics.allTelemetry];
    await run("mosquitto_sub", [...sub, "-E"]); // subscribe, then disconnect
    await run("mosquitto_pub", [
      ...args(),
      "-q",
      "1",
      "-t",
      telemetry("l2"),
      "-m",
      JSON.stringify(sample(104, 1040, 0, { device: "pi-03", epoch: "m1" })),
    ]);
    const { stdout } = await run("mosquitto_sub", [...sub, "-C", "1", "-W", "10"]);
    expect(stdout).toContain('"seq":104');
  });

  it("is refused cleanly when it speaks MQTT 5", async () => {
    const res = await run("mosquitto_pub", [
      ...args().slice(0, 4),
      "-V",
      "mqttv5",
      "-t",
      "x",
      "-m",
      "y",
    ]).catch((err: { code: number; stderr: string }) => err);
    expect((res as { code: number }).code).not.toBe(0);
  });
});
