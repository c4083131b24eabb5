import { connectAsync, type MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Device } from "../../firmware/device.ts";
import { decodeStatus, parseRegistry, type Status, topics } from "../../protocol/index.ts";
import type { LineHardware } from "../../sim/hardware/line-hardware.ts";
import { runSim } from "../../sim/run-sim.ts";
import { onePlantRegistryYaml } from "../support/registry.ts";
import { waitFor as waitUntil } from "../support/wait.ts";
import { SampleLog, TestBroker } from "./broker.ts";

const registry = parseRegistry(
  onePlantRegistryYaml([
    "{ id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 900 }",
    "{ id: l2, name: 2号平面口罩线, type: flat, ratedPerMin: 900 }",
  ]),
);

const waitFor = (check: () => boolean, timeoutMs = 20_000) => waitUntil(check, timeoutMs);

describe("serial device removed and recreated mid-run (masktally sim --hardware firmata|modbus)", () => {
  let samples: SampleLog;
  let broker: TestBroker;
  let probe: MqttClient;
  const statuses: Status[] = [];
  beforeEach(async () => {
    samples = new SampleLog();
    broker = await TestBroker.start(samples);
    probe = await connectAsync(broker.url, { clientId: "probe", clean: true, reconnectPeriod: 0 });
    probe.on("message", (_t, payload) => {
      const s = decodeStatus(payload);
      if (s.ok) statuses.push(s.value);
    });
    await probe.subscribeAsync(topics.allStatus, { qos: 1 });
  });
  afterEach(async () => {
    await probe.endAsync(true);
    await broker.close();
  });

  for (const kind of ["firmata", "modbus"] as const) {
    it(`${kind}: the status reports the fault, the firmware reconnects, counting resumes, totals equal the ledger`, async () => {
      statuses.length = 0;
      const ac = new AbortController();
      let hardware: LineHardware | undefined;
      let device: Device | undefined;
      const run = runSim({
        registry,
        broker: broker.url,
        lines: ["sr-01/l1"],
        seed: 21,
        intervalMs: 200,
        hardware: kind,
        randomStops: false,
        // The machine stands still from 2 s to 12 s, so no pulse is on the wire at the moment of the pull.
        ...(kind === "firmata"
          ? { stops: [{ key: "sr-01/l1" as const, startSec: 2, durationSec: 10 }] }
          : {}),
        signal: ac.signal,
        onStarted: ([line]) => {
          hardware = line?.hardware;
          device = line?.device;
        },
      });
      await waitFor(
        () => device !== undefined && device.lastSample("sr-01", "l1")?.run === (kind === "modbus"),
      );
      if (kind === "firmata")
        await waitFor(
          () =>
            device!.lastSample("sr-01", "l1")?.good !== 0 && device!.lastSample("sr-01", "l1")?.run === false,
        );
      await hardware!.unplug();
      await waitFor(() => statuses.some((s) => s.hardware === "fault"));
      expect(device!.health("sr-01", "l1").ok).toBe(false);
      await hardware!.plug();
      await waitFor(() => statuses.at(-1)?.hardware === "ok");
      const before = device!.odometers("sr-01", "l1").good;
      await waitFor(() => device!.odometers("sr-01", "l1").good > before + 50, 30_000);
      ac.abort();
      const result = await run;
      expect(result.drained).toBe(true);
      expect(result.lines[0]?.odometers).toEqual(result.ledger.lines["sr-01/l1"]);
      const fault = statuses.find((s) => s.hardware === "fault");
      expect(fault?.hardwareError).toMatch(kind === "firmata" ? /serial port/ : /modbus/);
    }, 60_000);
  }
});
