import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LineKey, parseRegistry } from "../../protocol/index.ts";
import { FirmataDevice } from "../../sim/hardware/firmata-device.ts";
import { DEFAULT_PLC_LAYOUT, ModbusPlc } from "../../sim/hardware/modbus-plc.ts";
import { PtyPair } from "../../sim/hardware/pty-pair.ts";
import { Ledger } from "../../sim/ledger.ts";
import { LineModel } from "../../sim/line-model.ts";
import type { PinDriver } from "../../sim/pin-driver.ts";
import { SIM_WIRING, SimMachine } from "../../sim/sim-machine.ts";
import { MemoryStore } from "../gateway/support/memory-store.ts";
import { SimGateway } from "../sim/support/sim-gateway.ts";
import { CliProcess } from "../support/cli-process.ts";
import { onePlantRegistryYaml } from "../support/registry.ts";
import { waitFor as waitUntil } from "../support/wait.ts";

/**
 * `masktally firmware` as a process, killed with SIGKILL mid-run and started again (issue 3 acceptance).
 * The documented loss bound: a pulse source loses at most the pulses made between the last durable save
 * (the newer of the last journaled sample and the last odometer save: ≤ max(intervalMs, persistMs) before
 * the kill) and the moment the restarted program is counting again. A PLC source loses nothing: the PLC
 * kept counting, and the saved register cursor lets the first poll count what it counted meanwhile.
 */
const INTERVAL_MS = 500;
const PERSIST_MS = 500;
const registry = parseRegistry(
  onePlantRegistryYaml([
    "{ id: k1, name: K1, type: flat, ratedPerMin: 1200 }",
    "{ id: k2, name: K2, type: flat, ratedPerMin: 1200 }",
  ]),
);

const waitFor = (check: () => boolean, timeoutMs = 30_000) => waitUntil(check, timeoutMs);

/** Records when each delivered pulse happened, to compute the loss bound. */
function recording(inner: PinDriver, times: number[]): PinDriver {
  return {
    setLevel: (pin, v) => inner.setLevel(pin, v),
    setAnalog: (pin, raw) => inner.setAnalog(pin, raw),
    pulse: (pin) => {
      const ok = inner.pulse(pin);
      if (ok !== false) times.push(Date.now());
      return ok;
    },
  };
}

let dir: string;
let gateway: SimGateway;
let store: MemoryStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-kill-"));
  store = new MemoryStore();
  gateway = await SimGateway.start(registry, store);
});
afterAll(async () => {
  await gateway?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  ledger: Ledger;
  times: number[];
  killAt: number;
  readyAt: number;
}

/** Runs a machine on `driver` while the firmware runs, is killed with SIGKILL, and runs again. */
async function killAndRestart(
  line: string,
  driver: PinDriver,
  source: Record<string, unknown>,
): Promise<Run> {
  const key: LineKey = `sr-01/${line}`;
  const config = join(dir, `${line}.yaml`);
  await writeFile(
    config,
    JSON.stringify({
      device: `pi-${line}`,
      broker: gateway.url,
      dataDir: join(dir, line),
      intervalMs: INTERVAL_MS,
      persistMs: PERSIST_MS,
      lines: [{ plant: "sr-01", line, source }],
    }),
  );
  const ledger = new Ledger(1);
  const times: number[] = [];
  const machine = new SimMachine(
    key,
    new LineModel({ seed: 9, ratedPerMin: 1200, randomStops: false }),
    recording(driver, times),
    ledger,
  );
  const t0 = Date.now();
  const start = async () => {
    const p = new CliProcess(["firmware", "--config", config], { MASKTALLY_LOG_LEVEL: "info" });
    await p.waitForLog((l) => l.msg === "firmware ready", 30_000);
    return p;
  };
  let firmware = await start();
  const timer = setInterval(() => machine.advance(Date.now() - t0), 20);
  try {
    await waitFor(() => store.total("sr-01", line).good > 200);
    firmware.child.kill("SIGKILL");
    await firmware.exited;
    const killAt = Date.now();
    await waitFor(() => Date.now() - killAt > 1500); // the machine runs on while the firmware is down
    firmware = await start();
    const readyAt = Date.now();
    const before = store.total("sr-01", line).good;
    await waitFor(() => store.total("sr-01", line).good > before + 200);
    clearInterval(timer);
    const stoppedAt = Date.now();
    // Every pulse made before the stop is in a sample taken well after it.
    await waitFor(() => [...store.points.values()].some((p) => p.line === line && p.ts > stoppedAt + 300));
    await firmware.stop("SIGTERM");
    return { ledger, times, killAt, readyAt };
  } finally {
    clearInterval(timer);
    await firmware.stop("SIGKILL");
  }
}

describe.concurrent("masktally firmware killed with SIGKILL mid-run and restarted", () => {
  it("Modbus PLC source: nothing lost, nothing doubled, one epoch", async () => {
    const pair = await PtyPair.open(dir, "plc");
    const plc = await ModbusPlc.open({
      path: pair.devicePath,
      wiring: SIM_WIRING,
      start: { good: 65_000, reject: 0 },
    });
    try {
      const source = {
        kind: "modbus",
        port: pair.hostPath,
        baudRate: 115_200,
        good: DEFAULT_PLC_LAYOUT.good,
        reject: DEFAULT_PLC_LAYOUT.reject,
        run: { coil: DEFAULT_PLC_LAYOUT.run },
        pollMs: 100,
        maxPerMin: 5000,
      };
      const run = await killAndRestart("k1", plc, source);
      expect(store.total("sr-01", "k1")).toEqual(run.ledger.get("sr-01/k1"));
      expect(
        new Set([...store.points.values()].filter((p) => p.line === "k1").map((p) => p.epoch)).size,
      ).toBe(1);
    } finally {
      await plc.close();
      await pair.close();
    }
  }, 120_000);

  it("Firmata source: nothing doubled, and no more lost than the documented bound", async () => {
    const pair = await PtyPair.open(dir, "uno");
    const device = await FirmataDevice.open({ path: pair.devicePath });
    try {
      const source = {
        kind: "johnny-five",
        io: "firmata",
        port: pair.hostPath,
        good: { pin: 2 },
        reject: { pin: 3 },
        run: { pin: 4 },
      };
      const run = await killAndRestart("k2", device, source);
      const truth = run.ledger.get("sr-01/k2");
      const stored = store.total("sr-01", "k2");
      const lost = truth.good + truth.reject - (stored.good + stored.reject);
      const windowFrom = run.killAt - Math.max(INTERVAL_MS, PERSIST_MS) - 250;
      const bound = run.times.filter((t) => t >= windowFrom && t <= run.readyAt + 500).length;
      expect(stored.good).toBeLessThanOrEqual(truth.good);
      expect(stored.reject).toBeLessThanOrEqual(truth.reject);
      expect(lost).toBeGreaterThanOrEqual(0);
      expect(lost).toBeLessThanOrEqual(bound);
      expect(
        new Set([...store.points.values()].filter((p) => p.line === "k2").map((p) => p.epoch)).size,
      ).toBe(1);
    } finally {
      await device.close();
      await pair.close();
    }
  }, 120_000);
});
