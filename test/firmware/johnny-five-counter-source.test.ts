import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Channel, CounterListener } from "../../firmware/counter-source.ts";
import { JohnnyFiveCounterSource } from "../../firmware/johnny-five-counter-source.ts";
import { SimIO } from "../../sim/sim-io.ts";

const log = pino({ level: "silent" });

function recorder() {
  const counts: Record<Channel, number> = { good: 0, reject: 0 };
  const runs: boolean[] = [];
  const sensors: Array<[string, number]> = [];
  const listener: CounterListener = {
    count: (channel, n) => {
      counts[channel] += n;
    },
    run: (running) => runs.push(running),
    sensor: (name, value) => sensors.push([name, value]),
  };
  return { counts, runs, sensors, listener };
}

describe("JohnnyFiveCounterSource on SimIO", () => {
  it("counts every emitted pulse exactly, per channel, through a real johnny-five Board", async () => {
    const io = new SimIO();
    const source = new JohnnyFiveCounterSource({
      io,
      inputs: { good: { pin: 2 }, reject: { pin: 3 }, run: { pin: 4 } },
      log,
    });
    const rec = recorder();
    await source.start(rec.listener);
    expect(source.hasRunSignal).toBe(true);
    io.setLevel(4, 1);
    for (let i = 0; i < 10_000; i++) io.pulse(2);
    for (let i = 0; i < 37; i++) io.pulse(3);
    io.setLevel(4, 0);
    expect(rec.counts).toEqual({ good: 10_000, reject: 37 });
    expect(io.pulses.get(2)).toBe(10_000);
    expect(rec.runs).toEqual([false, true, false]);
  });

  it("counts nothing after stop", async () => {
    const io = new SimIO();
    const source = new JohnnyFiveCounterSource({ io, inputs: { good: { pin: 2 } }, log });
    const rec = recorder();
    await source.start(rec.listener);
    io.pulse(2);
    await source.stop();
    io.pulse(2);
    expect(rec.counts.good).toBe(1);
  });

  it("ignores rising edges within debounceMs of the last counted one", async () => {
    const io = new SimIO();
    let now = 0;
    const source = new JohnnyFiveCounterSource({
      io,
      inputs: { good: { pin: 2, debounceMs: 5 } },
      monotonic: () => now,
      log,
    });
    const rec = recorder();
    await source.start(rec.listener);
    for (const t of [0, 1, 4, 5, 9, 20]) {
      now = t;
      io.pulse(2);
    }
    // Counted at 0, 5 and 20; 1, 4 and 9 are bounce.
    expect(rec.counts.good).toBe(3);
  });

  it("reports analog sensors scaled, and a listener that throws does not stop counting", async () => {
    const io = new SimIO();
    const source = new JohnnyFiveCounterSource({
      io,
      inputs: { good: { pin: 2 }, sensors: [{ name: "weld_temp_c", pin: "A0", scale: 0.25 }] },
      log,
    });
    const rec = recorder();
    let calls = 0;
    await source.start({
      ...rec.listener,
      count: (channel, n) => {
        calls += 1;
        if (calls === 2) throw new Error("listener bug");
        rec.listener.count(channel, n);
      },
    });
    io.setAnalog("A0", 728);
    for (let i = 0; i < 3; i++) io.pulse(2);
    expect(rec.sensors).toEqual([["weld_temp_c", 182]]);
    expect(calls).toBe(3);
    expect(rec.counts.good).toBe(2);
  });
});
