import { mkdtemp, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Device } from "../../firmware/device.ts";
import { DiskOutbox } from "../../firmware/disk-outbox.ts";
import { FileOdometerStore } from "../../firmware/file-odometer-store.ts";
import { JohnnyFiveCounterSource } from "../../firmware/johnny-five-counter-source.ts";
import { SimIO } from "../../sim/sim-io.ts";
import { SampleLog, TestBroker } from "../sim/broker.ts";
import { captureLog } from "./support/log-capture.ts";

describe("Device with the disk store and journal, restarted", () => {
  let dir: string;
  let samples: SampleLog;
  let broker: TestBroker;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-restart-"));
    samples = new SampleLog();
    broker = await TestBroker.start(samples);
  });
  afterEach(async () => {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(pulses: number, cap = captureLog()) {
    const io = new SimIO();
    const device = new Device({
      device: "pi-07",
      broker: broker.url,
      intervalMs: 60_000,
      persistMs: 60_000,
      lines: [
        {
          plant: "sr-01",
          line: "l1",
          source: new JohnnyFiveCounterSource({ io, inputs: { good: { pin: 2 } }, log: cap.log }),
        },
      ],
      store: await FileOdometerStore.open({ dir, log: cap.log }),
      outbox: await DiskOutbox.open({ dir: join(dir, "outbox"), log: cap.log }),
      log: cap.log,
    });
    await device.start();
    for (let i = 0; i < pulses; i++) io.pulse(2);
    await device.flush(5000);
    await device.stop();
    return device;
  }

  it("keeps its epoch and continues odometers and seqs; a torn odometer file is recovered from the journal with a warning", async () => {
    await run(40);
    await run(2);
    await truncate(join(dir, "odometers.json"), 10);
    const cap = captureLog();
    await run(5, cap);
    expect(cap.has("odometer file is torn or corrupt; ignored")).toBe(true);
    expect(cap.has("line resumed from the outbox journal")).toBe(true);
    const got = samples.byLine.get("sr-01/l1") ?? [];
    expect(got.map((s) => [s.seq, s.good])).toEqual([
      [1, 40],
      [2, 42],
      [3, 47],
    ]);
    expect(new Set(got.map((s) => s.epoch)).size).toBe(1);
  });
});
