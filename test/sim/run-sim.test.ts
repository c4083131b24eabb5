import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Device } from "../../firmware/device.ts";
import {
  decodeSample,
  decodeStatus,
  parseRegistry,
  parseTopic,
  type Sample,
  topics,
} from "../../protocol/index.ts";
import { runSim, simDeviceId } from "../../sim/run-sim.ts";
import { onePlantRegistryYaml } from "../support/registry.ts";
import { waitFor as waitUntil } from "../support/wait.ts";
import { SampleLog, TestBroker } from "./broker.ts";

const registry = parseRegistry(
  onePlantRegistryYaml([
    "{ id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 600 }",
    "{ id: l2, name: 2号KN95线, type: kn95, ratedPerMin: 45 }",
    "{ id: l3, name: 3号线, type: flat, ratedPerMin: 100 }",
  ]),
);

const waitFor = (check: () => boolean, timeoutMs = 10_000) => waitUntil(check, timeoutMs);

function expectConsecutive(samples: Sample[]): void {
  expect(samples.length).toBeGreaterThan(0);
  const seqs = [...new Set(samples.map((s) => s.seq))].sort((a, b) => a - b);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
}

describe("runSim", () => {
  let dir: string;
  let samples: SampleLog;
  let broker: TestBroker;
  let subscriber: MqttClient | null = null;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-sim-"));
    samples = new SampleLog();
    broker = await TestBroker.start(samples);
  });

  afterEach(async () => {
    await subscriber?.endAsync(true);
    subscriber = null;
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("publishes odometers that equal the ledger to the unit, with consecutive seqs, status online while running and offline after a clean stop", async () => {
    const received = new Map<string, Sample[]>();
    const states = new Map<string, string[]>();
    subscriber = await connectAsync(broker.url, { clientId: "test-sub", clean: true, reconnectPeriod: 0 });
    subscriber.on("message", (topic, payload) => {
      const status = decodeStatus(payload);
      if (status.ok) states.set(topic, [...(states.get(topic) ?? []), status.value.state]);
      const t = parseTopic(topic);
      const decoded = decodeSample(payload);
      if (t?.kind !== "telemetry" || !decoded.ok) return;
      const key = `${t.plant}/${t.line}`;
      received.set(key, [...(received.get(key) ?? []), decoded.value]);
    });
    await subscriber.subscribeAsync([topics.allTelemetry, topics.allStatus], { qos: 1 });
    const truthFile = join(dir, "truth.json");

    const result = await runSim({
      registry,
      broker: broker.url,
      lines: ["sr-01/l1", "sr-01/l2"],
      seed: 7,
      durationSec: 2,
      speedup: 30,
      intervalMs: 200,
      truthFile,
      stops: [{ key: "sr-01/l2", startSec: 10, durationSec: 20 }],
    });

    expect(result.drained).toBe(true);
    const truth = JSON.parse(await readFile(truthFile, "utf8"));
    expect(truth).toEqual(result.ledger);
    expect(Object.keys(truth.lines)).toEqual(["sr-01/l1", "sr-01/l2"]);
    expect(truth.seed).toBe(7);
    // 2 s at 30× ≈ 60 simulated s: l1 at 600/min makes ~600 masks.
    expect(truth.lines["sr-01/l1"].good + truth.lines["sr-01/l1"].reject).toBeGreaterThan(300);
    for (const key of ["sr-01/l1", "sr-01/l2"]) {
      const got = received.get(key) ?? [];
      await samples.until(
        () => (received.get(key)?.length ?? 0) >= (samples.byLine.get(key)?.length ?? 0),
        5000,
      );
      expectConsecutive(got);
      const last = got.at(-1)!;
      expect({ good: last.good, reject: last.reject }).toEqual(truth.lines[key]);
      expect(result.lines.find((l) => l.key === key)?.odometers).toEqual(truth.lines[key]);
      expect(last.device).toBe(simDeviceId("sr-01", key.split("/")[1]!));
      expect(last.sensors?.weld_temp_c).toBeGreaterThanOrEqual(150);
    }

    // Online while running (retained, published after each CONNACK); a clean stop publishes offline.
    await waitFor(() => [...states.values()].every((s) => s.at(-1) === "offline") && states.size === 2);
    for (const line of ["l1", "l2"])
      expect(states.get(topics.status("sr-01", line))).toEqual(["online", "offline"]);
    const late = await connectAsync(broker.url, { clientId: "test-status", clean: true, reconnectPeriod: 0 });
    const retained = new Map<string, string>();
    late.on("message", (topic, payload, packet) => {
      const s = decodeStatus(payload);
      if (packet.retain && s.ok) retained.set(topic, s.value.state);
    });
    await late.subscribeAsync(topics.allStatus, { qos: 1 });
    await waitFor(() => retained.size === 2);
    expect(retained.get(topics.status("sr-01", "l1"))).toBe("offline");
    await late.endAsync(true);
  });

  it("loses nothing when the broker goes away and comes back on the same port mid-run", async () => {
    const ac = new AbortController();
    let devices: Device[] = [];
    const run = runSim({
      onStarted: (started) => {
        devices = started.map((d) => d.device);
      },
      registry,
      broker: broker.url,
      lines: ["sr-01/l1", "sr-01/l3"],
      seed: 11,
      speedup: 20,
      intervalMs: 100,
      randomStops: false,
      drainTimeoutSec: 20,
      signal: ac.signal,
    });
    await samples.until(() => (samples.byLine.get("sr-01/l1")?.length ?? 0) >= 3);
    const port = broker.port;
    await broker.close();
    const before = samples.byLine.get("sr-01/l1")?.length ?? 0;
    // Outage: the devices keep sampling into their outboxes.
    await waitFor(() => devices.length === 2 && devices.every((d) => d.outboxDepth >= 5));
    broker = await TestBroker.start(samples, port);
    await samples.until(() => (samples.byLine.get("sr-01/l1")?.length ?? 0) >= before + 10);
    ac.abort();
    const result = await run;

    expect(result.drained).toBe(true);
    for (const key of ["sr-01/l1", "sr-01/l3"]) {
      const got = samples.byLine.get(key) ?? [];
      expectConsecutive(got);
      const last = got.reduce((a, b) => (b.seq > a.seq ? b : a));
      expect({ good: last.good, reject: last.reject }).toEqual(result.ledger.lines[key]);
    }
  });
});
