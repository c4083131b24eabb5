import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../gateway/auth/password.ts";
import { parseRegistry } from "../../protocol/index.ts";
import { captureLogger } from "./support/fakes.ts";
import { type Harness, sample, send, startHarness, telemetry } from "./support/gateway-harness.ts";

const TWO_PLANTS = parseRegistry(`
timezone: Asia/Shanghai
regions: [ { id: shangrao, name: 上饶市 } ]
plants:
  - { id: sr-01, name: A, region: shangrao, lines: [ { id: l1, name: a, type: flat, ratedPerMin: 120 } ] }
  - { id: sr-02, name: B, region: shangrao, lines: [ { id: l1, name: b, type: flat, ratedPerMin: 120 } ] }
`);
const SECRET = "correct-horse-battery-staple";
const WRONG = "wrong-password-9f2c";
const OPENSSL = existsSync("/usr/bin/openssl") ? "/usr/bin/openssl" : null;

let h: Harness;
let tmp: string;
const captured = captureLogger();

beforeAll(async () => {
  const hash = await hashPassword(SECRET);
  tmp = await mkdtemp(join(tmpdir(), "masktally-tls-"));
  let tls: { cert: string; key: string; port: number } | undefined;
  if (OPENSSL) {
    // A self-signed certificate for 127.0.0.1, made for this test run.
    execFileSync(
      OPENSSL,
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...[
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          join(tmp, "key.pem"),
          "-out",
          join(tmp, "cert.pem"),
        ],
      ],
      { stdio: "ignore" },
    );
    tls = { cert: join(tmp, "cert.pem"), key: join(tmp, "key.pem"), port: 0 };
  }
  h = await startHarness({
    registry: TWO_PLANTS,
    log: captured.log,
    tls,
    devicesYaml: `devices:\n  - { id: pi-01, passwordHash: "${hash}", lines: [ sr-01/l1 ] }\n`,
  });
}, 60_000);
afterAll(async () => {
  await h.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("broker security with a real MQTT client", () => {
  it("refuses a wrong password, an unknown device and an anonymous client, each counted by reason", async () => {
    await expect(h.connect({ username: "pi-01", password: WRONG })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(h.connect({ username: "pi-77", password: SECRET })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(h.connect({})).rejects.toThrow(/Not authorized/i);
    expect(await h.rejections()).toMatchObject({ "bad-credentials": 2, anonymous: 1 });
  });

  it("stores nothing a device publishes for another plant's line, and counts it", async () => {
    const c = await h.connect({ username: "pi-01", password: SECRET, clientId: "pi-01" });
    await send(c, telemetry("l1", "sr-02"), sample(1, 500, 0, { device: "pi-01" }));
    await send(c, telemetry("l1", "sr-01"), sample(1, 7, 0, { device: "pi-01" }));
    expect(h.store.total("sr-02", "l1")).toEqual({ good: 0, reject: 0 });
    expect(h.store.total("sr-01", "l1")).toEqual({ good: 7, reject: 0 });
    expect((await h.drops())["not-allowed"]).toBe(1);
    await c.endAsync();
  });

  it.skipIf(OPENSSL === null)(
    "accepts devices over TLS (MQTT on 8883) with the same authentication",
    async () => {
      expect(h.gateway.tlsPort).toBeGreaterThan(0);
      const opts = { clientId: "pi-01", rejectUnauthorized: false, reconnectPeriod: 0 };
      await expect(
        mqtt.connectAsync(`mqtts://127.0.0.1:${h.gateway.tlsPort}`, {
          ...opts,
          username: "pi-01",
          password: WRONG,
        }),
      ).rejects.toThrow(/Bad username or password/i);
      const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${h.gateway.tlsPort}`, {
        ...opts,
        username: "pi-01",
        password: SECRET,
      });
      await send(c, telemetry("l1", "sr-01"), sample(2, 10, 0, { device: "pi-01" }));
      expect(h.store.total("sr-01", "l1")).toEqual({ good: 10, reject: 0 });
      await c.endAsync();
    },
  );

  it("never writes a password to the log", async () => {
    const all = JSON.stringify(captured.lines);
    expect(captured.lines.some((l) => l.msg === "connection refused")).toBe(true);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(WRONG);
    expect(all).not.toContain(Buffer.from(SECRET).toString("base64"));
  });
});
