import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DROP_TOPIC } from "../../../gateway/broker.ts";
import { waitFor } from "../support/fakes.ts";
import {
  type Harness,
  sample,
  send,
  startHarness,
  status,
  T0,
  telemetry,
} from "../support/gateway-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe("ingest through a real aedes broker (anonymous clients)", () => {
  it("stores exact deltas of valid samples, each acknowledged only once stored", async () => {
    const c = await h.connect();
    await send(c, telemetry(), sample(1, 100, 3));
    expect(h.store.total()).toEqual({ good: 100, reject: 3 });
    await send(c, telemetry(), sample(2, 160, 4));
    await send(c, telemetry("l2"), sample(1, 7, 0, { device: "pi-02" }));
    expect(h.store.total("sr-01", "l1")).toEqual({ good: 160, reject: 4 });
    expect(h.store.total("sr-01", "l2")).toEqual({ good: 7, reject: 0 });
    expect([...h.store.points.values()].map((p) => [p.line, p.seq, p.good, p.reject, p.ts])).toEqual([
      ["l1", 1, 100, 3, T0 + 1000],
      ["l1", 2, 60, 1, T0 + 2000],
      ["l2", 1, 7, 0, T0 + 1000],
    ]);
  });

  it("counts messages by kind and reports each line's last publish in /metrics", async () => {
    const c = await h.connect();
    const before = Date.now();
    await send(c, telemetry(), sample(1, 100, 3));
    await send(c, telemetry(), sample(2, 101, 3));
    await send(c, status("l2"), { v: 1, state: "online", device: "pi-02" });
    const text = await (await fetch(`http://127.0.0.1:${h.gateway.httpPort}/metrics`)).text();
    expect(text).toMatch(/^masktally_mqtt_messages_total\{kind="telemetry"\} 2$/m);
    expect(text).toMatch(/^masktally_mqtt_messages_total\{kind="status"\} 1$/m);
    const seen = [
      ...text.matchAll(/^masktally_line_last_seen_seconds\{plant="([^"]+)",line="([^"]+)"\} (\S+)$/gm),
    ];
    expect(seen.map((m) => `${m[1]}/${m[2]}`).sort()).toEqual(["sr-01/l1", "sr-01/l2"]);
    for (const m of seen) {
      expect(Number(m[3]) * 1000).toBeGreaterThanOrEqual(before - 1);
      expect(Number(m[3]) * 1000).toBeLessThanOrEqual(Date.now());
    }
  });

  it("withholds the PUBACK while the store is down and sends it once the point is written", async () => {
    const c = await h.connect();
    h.store.failWrites = true;
    let acked = false;
    const ack = send(c, telemetry(), sample(1, 42)).then(() => {
      acked = true;
    });
    await waitFor(() => h.store.failedWrites >= 2, 5000, "failed writes");
    expect(acked).toBe(false);
    expect(h.store.points.size).toBe(0);
    h.store.failWrites = false;
    await ack;
    expect(h.store.total()).toEqual({ good: 42, reject: 0 });
  });

  it.each([
    ["bad-json", "{not json"],
    ["bad-json", ""],
    ["bad-schema", { ...sample(1, 10), v: 2 }],
    ["bad-schema", { ...sample(1, 10), good: -1 }],
    ["bad-schema", { ...sample(1, 10), good: 10.5 }],
    ["bad-schema", { ...sample(1, 10), reject: Number.MAX_SAFE_INTEGER + 2 }],
    ["bad-schema", JSON.stringify(sample(1, 10)).replace('"good":10', '"good":1e400')],
    ["bad-schema", { ...sample(1, 10), device: "Not An Id" }],
    ["too-large", JSON.stringify({ ...sample(1, 10), pad: "x".repeat(5000) })],
    ["future-ts", sample(1, 10, 0, { ts: Date.now() + 6 * 60_000 })],
  ])(
    "acknowledges and drops a %s sample, keeps the connection and changes no count (%#)",
    async (reason, payload) => {
      const c = await h.connect();
      await send(c, telemetry(), sample(1, 5));
      await send(c, telemetry(), payload);
      expect(c.connected).toBe(true);
      expect(h.store.total()).toEqual({ good: 5, reject: 0 });
      expect(await h.drops()).toEqual({ [reason]: 1 });
      await send(c, telemetry(), sample(2, 8));
      expect(h.store.total()).toEqual({ good: 8, reject: 0 });
    },
  );

  it("drops a sample for a line that is not in the registry", async () => {
    const c = await h.connect();
    await send(c, telemetry("l9"), sample(1, 5));
    expect(c.connected).toBe(true);
    expect(h.store.points.size).toBe(0);
    expect(await h.drops()).toEqual({ "unknown-line": 1 });
  });

  it("adds nothing for duplicates and reordered (stale) samples", async () => {
    const c = await h.connect();
    for (const seq of [1, 3, 3, 2, 1, 4, 4]) await send(c, telemetry(), sample(seq, seq * 10, seq));
    expect(h.store.total()).toEqual({ good: 40, reject: 4 });
    expect(await h.drops()).toEqual({ duplicate: 2, stale: 2 });
    expect(c.connected).toBe(true);
  });

  it("delivers valid samples to subscribers and dropped ones to nobody", async () => {
    const sub = await h.connect();
    const got: string[] = [];
    sub.on("message", (topic) => got.push(topic));
    await sub.subscribeAsync("#", { qos: 1 });
    // SUBACK 0x80: nobody may listen where dropped publishes are parked.
    await expect(sub.subscribeAsync(DROP_TOPIC, { qos: 1 })).rejects.toThrow("Subscribe error");
    expect(sub.connected).toBe(true);
    const c = await h.connect();
    await send(c, telemetry(), "garbage");
    await send(c, telemetry(), sample(1, 1));
    await waitFor(() => got.length > 0);
    expect(got).toEqual([telemetry()]);
  });

  it("counts concurrent samples from many clients exactly", async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(() => h.connect()));
    await Promise.all(
      clients.map(async (c, i) => {
        const epoch = `e${i}`;
        await Promise.all(
          Array.from({ length: 50 }, (_, k) =>
            send(c, telemetry(), sample(k + 1, (k + 1) * 3, k + 1, { epoch })),
          ),
        );
      }),
    );
    expect(h.store.total()).toEqual({ good: 4 * 150, reject: 4 * 50 });
  });
});

describe("shutdown", () => {
  it("stopping while the store is down never acknowledges the held sample and crashes nothing", async () => {
    const held = await startHarness({ flushTimeoutMs: 50 });
    const c = await held.connect();
    held.store.failWrites = true;
    let acked = false;
    send(c, telemetry(), sample(1, 5)).then(
      () => {
        acked = true;
      },
      () => undefined,
    );
    await waitFor(() => held.store.failedWrites >= 1);
    await held.gateway.stop();
    await waitFor(() => !c.connected);
    expect(acked).toBe(false);
    expect(held.store.points.size).toBe(0);
    await held.close();
  });
});

describe("line status", () => {
  it("marks a line online from its retained status and offline from its last will", async () => {
    const api = async () => {
      const res = await fetch(`http://127.0.0.1:${h.gateway.httpPort}/api/lines`);
      const body = (await res.json()) as {
        lines: Array<{ line: string; state: string; lastSeen: string | null }>;
      };
      return body.lines.find((l) => l.line === "l2")!;
    };
    expect((await api()).state).toBe("unknown");
    const offline = JSON.stringify({ v: 1, state: "offline", device: "pi-02" });
    const c = await h.connect({
      will: { topic: status("l2"), payload: Buffer.from(offline), qos: 1, retain: true },
    });
    await c.publishAsync(status("l2"), JSON.stringify({ v: 1, state: "online", device: "pi-02" }), {
      qos: 1,
      retain: true,
    });
    expect((await api()).state).toBe("stopped");
    expect((await api()).lastSeen).not.toBeNull();
    c.stream.destroy(); // an unclean disconnect: the broker publishes the will
    await expect.poll(async () => (await api()).state, { timeout: 5000 }).toBe("offline");
  });

  it("drops a malformed status without touching the line", async () => {
    const c = await h.connect();
    await send(c, status(), { v: 1, state: "sleeping", device: "pi-01" });
    expect(c.connected).toBe(true);
    expect(await h.drops()).toEqual({ "bad-schema": 1 });
  });
});

describe("restart", () => {
  it("a restarted gateway resumes from the stored odometers: replays add nothing, new samples count", async () => {
    const c = await h.connect();
    for (const seq of [1, 2, 3]) await send(c, telemetry(), sample(seq, seq * 100, seq));
    await c.endAsync();
    await h.gateway.stop();
    const again = await startHarness({ store: h.store });
    try {
      const d = await again.connect();
      for (const seq of [1, 2, 3, 4]) await send(d, telemetry(), sample(seq, seq * 100, seq));
      expect(again.store.total()).toEqual({ good: 400, reject: 4 });
      expect(await again.drops()).toEqual({ stale: 2, duplicate: 1 });
    } finally {
      await again.close();
    }
  });
});
