import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Channel, CounterListener, SourceHealth } from "../../firmware/counter-source.ts";
import {
  ModbusCounterSource,
  type ModbusCounterSourceOptions,
} from "../../firmware/modbus-counter-source.ts";
import { ModbusPlc, type PlcLayout } from "../../sim/hardware/modbus-plc.ts";
import { PtyPair } from "../../sim/hardware/pty-pair.ts";
import { SIM_WIRING } from "../../sim/sim-machine.ts";
import { waitFor as waitUntil } from "../support/wait.ts";
import { captureLog } from "./support/log-capture.ts";

const LAYOUT_32: PlcLayout = {
  good: { register: 100, words: 2 },
  reject: { register: 102, words: 2 },
  run: 5,
  wordOrder: "low-first",
};

const waitFor = (check: () => boolean, timeoutMs = 15_000) => waitUntil(check, timeoutMs);

function recorder() {
  const counts: Record<Channel, number> = { good: 0, reject: 0 };
  const health: SourceHealth[] = [];
  const runs: boolean[] = [];
  const listener: CounterListener = {
    count: (c, n) => {
      counts[c] += n;
    },
    run: (r) => void runs.push(r),
    sensor: () => {},
    health: (h) => void health.push(h),
  };
  return { counts, health, runs, listener };
}

describe("ModbusCounterSource against a PLC emulator on a pty", () => {
  let dir: string;
  let pair: PtyPair;
  let plc: ModbusPlc;
  const sources: ModbusCounterSource[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-modbus-"));
    pair = await PtyPair.open(dir, "plc");
  });
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.stop();
    await plc?.close();
    await pair.close();
    await rm(dir, { recursive: true, force: true });
  });

  const source = (layout: PlcLayout, extra: Partial<ModbusCounterSourceOptions> = {}) => {
    const s = new ModbusCounterSource({
      port: pair.hostPath,
      baudRate: 115_200,
      parity: "none",
      unitId: 3,
      good: layout.good,
      reject: layout.reject,
      run: { coil: layout.run },
      wordOrder: layout.wordOrder,
      pollMs: 50,
      timeoutMs: 300,
      maxPerMin: 60_000_000,
      clock: { now: () => Date.now() },
      log: captureLog().log,
      ...extra,
    });
    sources.push(s);
    return s;
  };

  it("counts 32-bit low-word-first counters exactly across a 32-bit wrap, and the run coil", async () => {
    plc = await ModbusPlc.open({
      path: pair.devicePath,
      unitId: 3,
      layout: LAYOUT_32,
      wiring: SIM_WIRING,
      start: { good: 0xffff_ff00, reject: 7 },
    });
    const s = source(LAYOUT_32);
    const rec = recorder();
    await s.start(rec.listener);
    plc.setLevel(SIM_WIRING.run, 1);
    for (let i = 0; i < 1000; i++) plc.pulse(SIM_WIRING.good);
    for (let i = 0; i < 9; i++) plc.pulse(SIM_WIRING.reject);
    await waitFor(() => rec.counts.good === 1000 && rec.counts.reject === 9);
    expect(plc.counters.good).toBe(1000 - 0x100);
    expect(s.stats.wraps).toBe(1);
    await waitFor(() => rec.runs.at(-1) === true);
  });

  it("counts CRC errors and timeouts, reports the fault, and loses nothing once replies are good again", async () => {
    plc = await ModbusPlc.open({ path: pair.devicePath, unitId: 3, layout: LAYOUT_32, wiring: SIM_WIRING });
    const s = source(LAYOUT_32, { faultAfter: 3 });
    const rec = recorder();
    await s.start(rec.listener);
    plc.corruptResponses(3);
    plc.silence(2);
    for (let i = 0; i < 500; i++) plc.pulse(SIM_WIRING.good);
    await waitFor(() => rec.counts.good === 500 && rec.health.at(-1)?.ok === true);
    expect(s.stats.crcErrors).toBe(3);
    expect(s.stats.timeouts).toBe(2);
    expect(rec.health.map((h) => h.ok)).toEqual([false, true]);
    expect(rec.health[0]?.error).toMatch(/unit 3/);
  });

  it("treats a PLC counter reset as a new segment: counts after the reset are added, nothing is invented", async () => {
    const layout: PlcLayout = {
      good: { register: 0, words: 1 },
      reject: { register: 1, words: 1 },
      run: 0,
      wordOrder: "high-first",
    };
    plc = await ModbusPlc.open({
      path: pair.devicePath,
      unitId: 3,
      layout,
      wiring: SIM_WIRING,
      start: { good: 40_000, reject: 0 },
    });
    const s = source(layout, { maxPerMin: 60_000 });
    const rec = recorder();
    await s.start(rec.listener);
    for (let i = 0; i < 100; i++) plc.pulse(SIM_WIRING.good);
    await waitFor(() => rec.counts.good === 100);
    plc.reset();
    for (let i = 0; i < 25; i++) plc.pulse(SIM_WIRING.good);
    await waitFor(() => rec.counts.good === 125);
    expect(s.stats.resets).toBe(1);
    expect(s.stats.wraps).toBe(0);
  });

  it("resumes from a saved cursor: what the PLC counted while the firmware was down is counted once", async () => {
    const layout: PlcLayout = {
      good: { register: 0, words: 1 },
      reject: { register: 1, words: 1 },
      run: 0,
      wordOrder: "high-first",
    };
    plc = await ModbusPlc.open({
      path: pair.devicePath,
      unitId: 3,
      layout,
      wiring: SIM_WIRING,
      start: { good: 65_000, reject: 0 },
    });
    const first = source(layout);
    const rec = recorder();
    await first.start(rec.listener);
    for (let i = 0; i < 300; i++) plc.pulse(SIM_WIRING.good);
    await waitFor(() => rec.counts.good === 300);
    const cursor = first.cursor();
    await first.stop();
    // Down: the PLC keeps counting, across its 16-bit wrap.
    for (let i = 0; i < 700; i++) plc.pulse(SIM_WIRING.good);
    const second = source(layout);
    second.restore(cursor);
    await second.start(rec.listener);
    await waitFor(() => rec.counts.good === 1000);
    expect(second.stats.wraps).toBe(1);
  });

  it("reports a vanished serial device and resumes counting when it is back", async () => {
    const layout: PlcLayout = {
      good: { register: 0, words: 1 },
      reject: { register: 1, words: 1 },
      run: 0,
      wordOrder: "high-first",
    };
    plc = await ModbusPlc.open({ path: pair.devicePath, unitId: 3, layout, wiring: SIM_WIRING });
    const s = source(layout, { retry: { minMs: 100, maxMs: 400 } });
    const rec = recorder();
    await s.start(rec.listener);
    for (let i = 0; i < 10; i++) plc.pulse(SIM_WIRING.good);
    await waitFor(() => rec.counts.good === 10);
    await plc.detach();
    await pair.close();
    await waitFor(() => rec.health.at(-1)?.ok === false);
    for (let i = 0; i < 40; i++) plc.pulse(SIM_WIRING.good); // the PLC counts on
    pair = await PtyPair.open(dir, "plc");
    await plc.attach(pair.devicePath);
    await waitFor(() => rec.counts.good === 50 && rec.health.at(-1)?.ok === true);
    expect(s.stats.reconnects).toBeGreaterThanOrEqual(2);
  });
});
