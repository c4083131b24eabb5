import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../gateway/auth/password.ts";
import { topics } from "../../protocol/index.ts";
import { waitFor } from "./support/fakes.ts";
import { type Harness, sample, send, startHarness, telemetry } from "./support/gateway-harness.ts";

let h: Harness;
beforeAll(async () => {
  const [h1, h2] = await Promise.all([hashPassword("pw-one"), hashPassword("pw-two")]);
  h = await startHarness({
    devicesYaml: `devices:\n  - { id: pi-01, passwordHash: "${h1}", lines: [ sr-01/l1 ] }\n  - { id: pi-02, passwordHash: "${h2}", lines: [ sr-01/l2 ] }\n`,
  });
});
afterAll(async () => {
  await h.close();
});

const asDevice = (id: string, password: string) =>
  h.connect({ username: id, password, clientId: `${id}-${Math.random()}` });

describe("broker authentication and ACL (devices file)", () => {
  it("refuses a wrong password, an unknown device and a client without credentials", async () => {
    await expect(asDevice("pi-01", "pw-two")).rejects.toThrow(/Bad username or password/i);
    await expect(asDevice("pi-99", "pw-one")).rejects.toThrow(/Bad username or password/i);
    await expect(h.connect()).rejects.toThrow(/Not authorized/i);
  });

  it("stores samples a device publishes for its own line", async () => {
    const c = await asDevice("pi-01", "pw-one");
    await send(c, telemetry("l1"), sample(1, 11, 1));
    expect(h.store.total("sr-01", "l1")).toEqual({ good: 11, reject: 1 });
  });

  it("acknowledges and drops a sample for another device's line, keeping the connection", async () => {
    const c = await asDevice("pi-01", "pw-one");
    const before = h.store.total("sr-01", "l2");
    const drops = (await h.drops())["not-allowed"] ?? 0;
    await send(c, telemetry("l2"), sample(1, 50, 0, { device: "pi-01" }));
    expect(c.connected).toBe(true);
    expect(h.store.total("sr-01", "l2")).toEqual(before);
    expect((await h.drops())["not-allowed"]).toBe(drops + 1);
  });

  it("drops a sample in which a device claims to be another device", async () => {
    const c = await asDevice("pi-02", "pw-two");
    const drops = (await h.drops())["not-allowed"] ?? 0;
    await send(c, telemetry("l2"), sample(1, 9, 0, { device: "pi-01" }));
    expect(c.connected).toBe(true);
    expect(h.store.total("sr-01", "l2")).toEqual({ good: 0, reject: 0 });
    expect((await h.drops())["not-allowed"]).toBe(drops + 1);
    await send(c, telemetry("l2"), sample(1, 9, 0, { device: "pi-02" }));
    expect(h.store.total("sr-01", "l2")).toEqual({ good: 9, reject: 0 });
  });

  it("disconnects a device that publishes outside the device topics (commands, alerts, anything else)", async () => {
    for (const topic of [
      topics.command("sr-01", "l1", "reset"),
      topics.alert("sr-01", "l1"),
      "foo/bar",
      "$SYS/x",
    ]) {
      const c = await asDevice("pi-01", "pw-one");
      const closed = new Promise<void>((resolve) => c.once("close", () => resolve()));
      c.publish(topic, "{}", { qos: 1 });
      await closed;
      await waitFor(() => !c.connected);
    }
  });

  it("lets a device subscribe only to its own lines' command topics", async () => {
    const c = await asDevice("pi-01", "pw-one");
    const ok = await c.subscribeAsync(
      [topics.command("sr-01", "l1", "+"), topics.command("sr-01", "l1", "reset")],
      { qos: 1 },
    );
    expect(ok.map((g) => g.qos)).toEqual([1, 1]);
    for (const filter of [
      topics.command("sr-01", "l2", "+"),
      "#",
      topics.allTelemetry,
      "mt/v1/sr-01/+/cmd/+",
    ]) {
      await expect(c.subscribeAsync(filter, { qos: 1 })).rejects.toThrow("Subscribe error");
    }
    expect(c.connected).toBe(true);
  });
});
