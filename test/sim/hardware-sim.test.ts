import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Device } from "../../firmware/device.ts";
import type { ModbusCounterSource } from "../../firmware/modbus-counter-source.ts";
import { parseRegistry } from "../../protocol/index.ts";
import type { LineHardware } from "../../sim/hardware/line-hardware.ts";
import { runSim } from "../../sim/run-sim.ts";
import { MemoryStore } from "../gateway/support/memory-store.ts";
import { type TestInflux, testInflux } from "../support/influx.ts";
import { onePlantRegistryYaml } from "../support/registry.ts";
import { waitFor as waitUntil } from "../support/wait.ts";
import { SimGateway } from "./support/sim-gateway.ts";

/**
 * The acceptance runs of issue 3, concurrently (each has its own gateway): real serial paths for 60 s,
 * and a 2-minute gateway outage. Counts are compared with the simulator's ledger to the unit.
 */
const registry = parseRegistry(
  onePlantRegistryYaml([
    "{ id: f1, name: F1, type: flat, ratedPerMin: 1000 }",
    "{ id: f2, name: F2, type: flat, ratedPerMin: 1100 }",
    "{ id: f3, name: F3, type: flat, ratedPerMin: 1200 }",
    "{ id: m1, name: M1, type: flat, ratedPerMin: 1000 }",
    "{ id: m2, name: M2, type: flat, ratedPerMin: 1100 }",
    "{ id: m3, name: M3, type: surgical, ratedPerMin: 1200 }",
    "{ id: o1, name: O1, type: flat, ratedPerMin: 600 }",
    "{ id: o2, name: O2, type: kn95, ratedPerMin: 300 }",
  ]),
);

const waitFor = (check: () => boolean, timeoutMs: number) => waitUntil(check, timeoutMs);

let influx: TestInflux;
let dir: string;
beforeAll(async () => {
  influx = await testInflux("hardware-sim");
  dir = await mkdtemp(join(tmpdir(), "masktally-hwsim-"));
});
afterAll(async () => {
  await influx?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent("simulated hardware over real serial, against the real gateway", () => {
  it("Firmata over ptys, 3 lines at ≥ 15 pulses/s for 60 s: InfluxDB totals equal the ledger", async () => {
    const gateway = await SimGateway.start(registry, influx.store);
    try {
      const result = await runSim({
        registry,
        broker: gateway.url,
        lines: ["sr-01/f1", "sr-01/f2", "sr-01/f3"],
        seed: 3,
        durationSec: 60,
        hardware: "firmata",
        dataDir: join(dir, "firmata"),
        randomStops: false,
        drainTimeoutSec: 30,
      });
      expect(result.drained).toBe(true);
      const stored = await gateway.totals();
      for (const [key, truth] of Object.entries(result.ledger.lines)) {
        expect(truth.good + truth.reject).toBeGreaterThanOrEqual(15 * 60);
        expect(stored[key]).toEqual(truth);
      }
    } finally {
      await gateway.close();
    }
  }, 200_000);

  it("a Modbus RTU PLC over ptys, 3 lines for 60 s: InfluxDB totals equal the ledger while the 16-bit counters wrap several times", async () => {
    const gateway = await SimGateway.start(registry, influx.store);
    let hardware: LineHardware[] = [];
    try {
      const result = await runSim({
        registry,
        broker: gateway.url,
        lines: ["sr-01/m1", "sr-01/m2", "sr-01/m3"],
        seed: 4,
        durationSec: 60,
        // 200× speed: ~4,000 counts/s per line, so each 16-bit register wraps every ~16 s.
        speedup: 200,
        hardware: "modbus",
        dataDir: join(dir, "modbus"),
        drainTimeoutSec: 30,
        onStarted: (lines) => {
          hardware = lines.map((l) => l.hardware);
        },
      });
      expect(result.drained).toBe(true);
      const stored = await gateway.totals();
      for (const [key, truth] of Object.entries(result.ledger.lines)) expect(stored[key]).toEqual(truth);
      for (const h of hardware)
        expect((h.source as ModbusCounterSource).stats.wraps).toBeGreaterThanOrEqual(3);
    } finally {
      await gateway.close();
    }
  }, 200_000);

  it("gateway unreachable for 2 minutes mid-run: nothing lost, nothing doubled, backlog replayed in order with original timestamps", async () => {
    const store = new MemoryStore();
    const gateway = await SimGateway.start(registry, store);
    const ac = new AbortController();
    let devices: Device[] = [];
    try {
      const run = runSim({
        registry,
        broker: gateway.url,
        lines: ["sr-01/o1", "sr-01/o2"],
        seed: 5,
        intervalMs: 500,
        hardware: "inproc",
        dataDir: join(dir, "outage"),
        randomStops: false,
        drainTimeoutSec: 60,
        signal: ac.signal,
        onStarted: (started) => {
          devices = started.map((d) => d.device);
        },
      });
      await waitFor(() => store.total("sr-01", "o1").good > 0, 30_000);
      await gateway.stop();
      const outageFrom = Date.now();
      await new Promise((r) => setTimeout(r, 120_000)); // the outage itself is what this test is about
      const outageTo = Date.now();
      expect(devices.every((d) => d.outboxDepth >= 200)).toBe(true);
      await gateway.restart();
      await waitFor(() => devices.every((d) => d.outboxDepth === 0), 60_000);
      ac.abort();
      const result = await run;

      expect(result.drained).toBe(true);
      for (const line of ["o1", "o2"]) {
        expect(store.total("sr-01", line)).toEqual(result.ledger.lines[`sr-01/${line}`]);
        // Arrival order at the gateway is sample order, and samples taken during the outage kept their times.
        const points = store.writes.flat().filter((p) => p.line === line);
        const seqs = [...new Set(points.map((p) => p.seq))];
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
        const during = points.filter((p) => p.ts > outageFrom + 1000 && p.ts < outageTo - 1000);
        expect(during.length).toBeGreaterThanOrEqual(200);
      }
    } finally {
      ac.abort();
      await gateway.close();
    }
  }, 300_000);
});
