import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Channel, CounterListener, SourceHealth } from "../../firmware/counter-source.ts";
import { openFirmata } from "../../firmware/io-plugins.ts";
import { JohnnyFiveCounterSource } from "../../firmware/johnny-five-counter-source.ts";
import { FirmataDevice } from "../../sim/hardware/firmata-device.ts";
import { PtyPair } from "../../sim/hardware/pty-pair.ts";
import { waitFor as waitUntil } from "../support/wait.ts";
import { captureLog } from "./support/log-capture.ts";

const waitFor = (check: () => boolean, timeoutMs = 15_000) => waitUntil(check, timeoutMs);

describe("JohnnyFiveCounterSource over real serial: Firmata device emulator on a pty", () => {
  let dir: string;
  let pair: PtyPair;
  let device: FirmataDevice;
  let source: JohnnyFiveCounterSource;
  const counts: Record<Channel, number> = { good: 0, reject: 0 };
  const runs: boolean[] = [];
  const sensors: number[] = [];
  const health: SourceHealth[] = [];
  const listener: CounterListener = {
    count: (c, n) => {
      counts[c] += n;
    },
    run: (r) => void runs.push(r),
    sensor: (_name, v) => void sensors.push(v),
    health: (h) => void health.push(h),
  };
  const cap = captureLog();

  beforeEach(async () => {
    counts.good = counts.reject = 0;
    for (const list of [runs, sensors, health]) list.length = 0;
    dir = await mkdtemp(join(tmpdir(), "masktally-firmata-"));
    pair = await PtyPair.open(dir, "uno");
    device = await FirmataDevice.open({ path: pair.devicePath });
    const hostPath = pair.hostPath;
    source = new JohnnyFiveCounterSource({
      openIo: () => openFirmata(hostPath),
      label: hostPath,
      inputs: {
        good: { pin: 2 },
        reject: { pin: 3 },
        run: { pin: 4, activeLow: true },
        sensors: [{ name: "weld_temp_c", pin: "A0", scale: 0.25, offset: -10, min: 0, max: 300 }],
      },
      retry: { minMs: 100, maxMs: 500 },
      log: cap.log,
    });
    await source.start(listener);
    // The host's "report port 0" request may still be on the wire when "ready" fires.
    await waitFor(() => device.isReporting(2));
  });
  afterEach(async () => {
    await source.stop();
    await device.close();
    await pair.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("counts every pulse once, reads an active-low run signal and a calibrated sensor within its limits", async () => {
    for (let i = 0; i < 2000; i++) expect(device.pulse(2)).toBe(true);
    for (let i = 0; i < 17; i++) device.pulse(3);
    device.setLevel(4, 0); // active low: running
    device.setAnalog("A0", 768); // 768 × 0.25 − 10 = 182 °C
    await waitFor(
      () => counts.good === 2000 && counts.reject === 17 && sensors.length > 0 && runs.at(-1) === true,
    );
    expect(sensors.at(-1)).toBe(182);
    device.setAnalog("A0", 1023); // 245.75 °C: fine
    device.setAnalog("A0", 0); // −10 °C: a broken thermocouple, not a reading
    device.setAnalog("A0", 800);
    await waitFor(() => sensors.at(-1) === 190);
    expect(sensors).not.toContain(-10);
    expect(cap.has("sensor reading outside its limits; not reported")).toBe(true);
  });

  it("reports a removed serial device, reconnects when it is recreated, and counts again", async () => {
    for (let i = 0; i < 100; i++) device.pulse(2);
    await waitFor(() => counts.good === 100);
    await device.close();
    await pair.close();
    await waitFor(() => health.at(-1)?.ok === false);
    expect(health.at(-1)?.error).toMatch(/uno\.tty/);
    pair = await PtyPair.open(dir, "uno");
    device = await FirmataDevice.open({ path: pair.devicePath });
    await waitFor(() => health.at(-1)?.ok === true);
    // Reporting is on again once the new connection asked for it.
    await waitFor(() => device.isReporting(2));
    for (let i = 0; i < 50; i++) device.pulse(2);
    await waitFor(() => counts.good === 150);
  });
});
