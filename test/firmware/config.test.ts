import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadDeviceConfig } from "../../firmware/config.ts";
import { ConfigError } from "../../protocol/index.ts";

describe("loadDeviceConfig", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-devcfg-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("applies defaults and reads the password from passwordFile", async () => {
    await writeFile(join(dir, "secret"), "s3cret\n");
    await writeFile(
      join(dir, "device.yaml"),
      `device: pi-07
broker: mqtt://127.0.0.1:1883
username: pi-07
passwordFile: secret
lines:
  - plant: sr-01
    line: l1
    source: { kind: johnny-five, io: firmata, port: /dev/ttyACM0, good: { pin: 2, debounceMs: 1 }, reject: { pin: 3 }, run: { pin: 4 } }
`,
    );
    const cfg = await loadDeviceConfig(join(dir, "device.yaml"));
    expect(cfg).toMatchObject({
      device: "pi-07",
      password: "s3cret",
      intervalMs: 1000,
      dataDir: join(dir, "data"),
    });
    expect(cfg.lines[0]?.source.good).toEqual({ pin: 2, debounceMs: 1 });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it("lists every problem with its path", async () => {
    await writeFile(
      join(dir, "device.yaml"),
      `device: Pi_07
broker: http://x
intervalMs: 5
lines:
  - plant: sr-01
    line: l1
    source: { kind: johnny-five, io: firmata, good: { pin: 2 }, reject: { pin: 2 } }
`,
    );
    const err = await loadDeviceConfig(join(dir, "device.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["/device", "/broker", "/intervalMs"]));
    const err2 = await loadDeviceConfig(join(dir, "missing.yaml")).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ConfigError);
  });

  it("reports cross-field problems: firmata without a port, a pin used twice, a duplicate line", async () => {
    const line =
      "{ plant: sr-01, line: l1, source: { kind: johnny-five, io: firmata, good: { pin: 2 }, reject: { pin: 2 } } }";
    await writeFile(
      join(dir, "device.yaml"),
      `device: pi-07\nbroker: mqtt://h\nlines: [ ${line}, ${line} ]\n`,
    );
    const err = (await loadDeviceConfig(join(dir, "device.yaml")).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems.map((p) => p.path)).toEqual([
      "/lines/0/source/port",
      "/lines/0/source/reject/pin",
      "/lines/1/line",
      "/lines/1/source/port",
      "/lines/1/source/reject/pin",
    ]);
  });

  it("accepts Modbus sources and TLS files, applying defaults for persistence and the outbox budget", async () => {
    await writeFile(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
    await writeFile(
      join(dir, "device.yaml"),
      `device: pi-07
broker: mqtts://gw:8883
caFile: ca.pem
lines:
  - plant: sr-01
    line: l2
    source: { kind: modbus, port: /dev/ttyUSB0, good: { register: 0, words: 2 }, reject: { register: 2 }, run: { discreteInput: 3 }, wordOrder: low-first }
`,
    );
    const cfg = await loadDeviceConfig(join(dir, "device.yaml"));
    expect(cfg.tls?.ca).toContain("BEGIN CERTIFICATE");
    expect(cfg).toMatchObject({ persistMs: 2000, statusMs: 60_000, outboxMaxBytes: 32 * 1024 * 1024 });
    expect(cfg.lines[0]?.source).toMatchObject({
      kind: "modbus",
      port: "/dev/ttyUSB0",
      wordOrder: "low-first",
    });
  });

  it("reports Modbus problems: both coil and discrete input, overlapping counters, a port used twice", async () => {
    const modbus = (line: string) =>
      `{ plant: sr-01, line: ${line}, source: { kind: modbus, port: /dev/ttyUSB0, good: { register: 0, words: 2 }, reject: { register: 1 }, run: { coil: 1, discreteInput: 1 } } }`;
    await writeFile(
      join(dir, "device.yaml"),
      `device: pi-07\nbroker: mqtt://h\nlines: [ ${modbus("l1")}, ${modbus("l2")} ]\n`,
    );
    const err = (await loadDeviceConfig(join(dir, "device.yaml")).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems.map((p) => p.path)).toEqual([
      "/lines/0/source/run",
      "/lines/0/source/reject/register",
      "/lines/1/source/port",
      "/lines/1/source/run",
      "/lines/1/source/reject/register",
    ]);
  });
});
