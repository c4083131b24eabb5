import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { generate } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../../gateway/auth/password.ts";
import { MAX_PAYLOAD_BYTES } from "../../../protocol/index.ts";
import { type Harness, sample, send, startHarness, T0, telemetry } from "../support/gateway-harness.ts";

const PASSWORD = "pw-bad-input";
let h: Harness;

beforeAll(async () => {
  const hash = await hashPassword(PASSWORD);
  h = await startHarness({
    devicesYaml: `devices:\n  - { id: pi-01, passwordHash: "${hash}", lines: [ sr-01/l1 ] }\n`,
    limits: { maxPacketBytes: 16 * 1024 },
  });
});
afterAll(async () => {
  await h.close();
});

const device = () => h.connect({ username: "pi-01", password: PASSWORD, clientId: `pi-01-${Math.random()}` });

/** A raw TCP connection to the broker; resolves when the broker closes it. */
async function raw(bytes: Buffer[]): Promise<void> {
  const socket: Socket = connect(h.gateway.mqttPort, "127.0.0.1");
  socket.on("error", () => {});
  socket.resume();
  await once(socket, "connect");
  for (const b of bytes) socket.write(b);
  await once(socket, "close");
}

const connectPacket = (clientId: string) =>
  generate({
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive: 30,
    username: "pi-01",
    password: Buffer.from(PASSWORD),
  });

describe("bad input: the gateway keeps serving, counts nothing, and counts each rejection by reason", () => {
  it("acknowledges and drops bad samples on an authorised connection", async () => {
    const c = await device();
    await send(c, telemetry("l1"), sample(1, 100, 2));
    const bad: Array<[string, unknown]> = [
      ["bad-json", '{"v":1,"device":"pi-01",'],
      ["bad-schema", { ...sample(2, 0), good: "120" }],
      ["bad-schema", sample(3, -5)],
      ["bad-schema", sample(4, 120.5)],
      ["bad-schema", sample(5, 2 ** 53)],
      ["future-ts", sample(6, 130, 2, { ts: Date.now() + 10 * 60_000 })],
      ["too-large", { ...sample(7, 140), pad: "x".repeat(MAX_PAYLOAD_BYTES) }],
    ];
    for (const [, payload] of bad) await send(c, telemetry("l1"), payload);
    await send(c, telemetry("l2"), sample(8, 999)); // a line not assigned to this device
    expect(c.connected).toBe(true);
    expect(h.store.total("sr-01", "l1")).toEqual({ good: 100, reject: 2 });
    expect(h.store.total("sr-01", "l2")).toEqual({ good: 0, reject: 0 });
    expect(await h.drops()).toEqual({
      "bad-json": 1,
      "bad-schema": 4,
      "future-ts": 1,
      "too-large": 1,
      "not-allowed": 1,
    });
    await send(c, telemetry("l1"), sample(9, 110, 2));
    expect(h.store.total("sr-01", "l1")).toEqual({ good: 110, reject: 2 });
  });

  it("closes connections that break the protocol or the limits, and keeps serving everyone else", async () => {
    const publish = (topic: string, payload: Buffer) =>
      generate({ cmd: "publish", topic, payload, qos: 1, messageId: 1, retain: false, dup: false });
    await raw([connectPacket("raw-1"), publish("mt/v1/+/l1/telemetry", Buffer.from("{}"))]);
    await raw([connectPacket("raw-2"), publish(telemetry("l1"), Buffer.alloc(20 * 1024, 0x20))]);
    await raw([Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\xff\xfe garbage")]);
    // Hundreds of rapid connects and disconnects: bare sockets, and MQTT logins from unknown devices.
    const sockets = Array.from({ length: 300 }, async () => {
      const s = connect(h.gateway.mqttPort, "127.0.0.1");
      s.on("error", () => {});
      await once(s, "connect");
      s.destroy();
    });
    await Promise.all(sockets);
    for (let i = 0; i < 100; i++) {
      await h
        .connect({ username: `ghost-${i}`, password: "x", clientId: `ghost-${i}` })
        .catch(() => undefined);
    }
    const r = await h.rejections();
    expect(r).toMatchObject({ "wildcard-topic": 1, "packet-too-large": 1, "bad-credentials": 100 });
    expect(r["malformed-packet"]).toBeGreaterThanOrEqual(1);
    // Still serving, nothing counted.
    const c = await device();
    await send(c, telemetry("l1"), sample(10, 111, 2, { ts: T0 + 10_000 }));
    expect(h.store.total("sr-01", "l1")).toEqual({ good: 111, reject: 2 });
    const health = await (await fetch(`http://127.0.0.1:${h.gateway.httpPort}/api/health`)).json();
    expect(health).toMatchObject({ status: "ok" });
  }, 60_000);

  it("closes only the connection that sent an oversized packet, not one already open", async () => {
    const c = await device();
    const oversized = generate({
      ...{ cmd: "publish", topic: telemetry("l1"), payload: Buffer.alloc(20 * 1024, 0x20) },
      ...{ qos: 1, messageId: 1, retain: false, dup: false },
    });
    // Header and body in separate chunks: the guard refuses on the header, before the body arrives.
    await raw([connectPacket("raw-3"), oversized.subarray(0, 3), oversized.subarray(3)]);
    expect(c.connected).toBe(true);
    await send(c, telemetry("l1"), sample(20, 120, 2, { ts: T0 + 20_000 }));
    expect(h.store.total("sr-01", "l1")).toEqual({ good: 120, reject: 2 });
    expect((await h.rejections())["packet-too-large"]).toBe(2);
  });
});
