import { join } from "node:path";
import type { Logger } from "pino";
import { Device } from "../firmware/device.ts";
import { DiskOutbox } from "../firmware/disk-outbox.ts";
import { FileOdometerStore } from "../firmware/file-odometer-store.ts";
import type { OdometerReading } from "../firmware/odometers.ts";
import type { LineKey } from "../protocol/index.ts";
import { type HardwareKind, type LineHardware, openLineHardware } from "./hardware/line-hardware.ts";
import type { Ledger } from "./ledger.ts";
import type { LineModel } from "./line-model.ts";
import { SimMachine } from "./sim-machine.ts";

/** One simulated line: the machine, its hardware, and the real firmware Device counting it. */
export interface SimLine {
  key: LineKey;
  machine: SimMachine;
  device: Device;
  hardware: LineHardware;
  /** The device's odometers when the machine started (non-zero when a data dir is reused). */
  baseline: OdometerReading;
}

export interface SimLineSpec {
  key: LineKey;
  plant: string;
  line: string;
  deviceId: string;
  model: LineModel;
  /** The line's top speed in wall time (rated × speedup), masks/min. */
  wallPerMin: number;
}

export interface SimLineOptions {
  broker: string;
  username?: string;
  password?: string;
  hardware: HardwareKind;
  ptyDir: string;
  /** When set, each device keeps its odometers and outbox on disk under DATA_DIR/DEVICE_ID. */
  dataDir?: string;
  intervalMs: number;
  persistMs?: number;
  plcStart?: { good: number; reject: number };
}

/** Opens the line's hardware emulation and builds its firmware Device (not started). */
export async function openSimLine(
  spec: SimLineSpec,
  opts: SimLineOptions,
  ledger: Ledger,
  log: Logger,
): Promise<SimLine> {
  const lineLog = log.child({ device: spec.deviceId });
  const hardware = await openLineHardware({
    kind: opts.hardware,
    ptyDir: opts.ptyDir,
    name: spec.deviceId,
    maxPerMin: spec.wallPerMin,
    ...(opts.plcStart ? { plcStart: opts.plcStart } : {}),
    log: lineLog,
  });
  try {
    const storage = opts.dataDir ? await openStorage(join(opts.dataDir, spec.deviceId), lineLog) : {};
    const device = new Device({
      device: spec.deviceId,
      broker: opts.broker,
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      intervalMs: opts.intervalMs,
      ...(opts.persistMs !== undefined ? { persistMs: opts.persistMs } : {}),
      lines: [{ plant: spec.plant, line: spec.line, source: hardware.source }],
      ...storage,
      backoff: { minMs: 200, maxMs: 5000 },
      log: lineLog,
    });
    const machine = new SimMachine(spec.key, spec.model, hardware.driver, ledger);
    return { key: spec.key, machine, device, hardware, baseline: { good: 0, reject: 0 } };
  } catch (err) {
    await hardware.close();
    throw err;
  }
}

async function openStorage(dir: string, log: Logger) {
  const store = await FileOdometerStore.open({ dir, log: log.child({ module: "odometers" }) });
  const outbox = await DiskOutbox.open({ dir: join(dir, "outbox"), log: log.child({ module: "outbox" }) });
  return { store, outbox };
}

/**
 * Waits until every device has counted what the ledger holds (serial lines deliver a moment after the
 * machine pulsed), or `timeoutMs` passes; returns the lines that did not get there.
 */
export async function settle(lines: SimLine[], ledger: Ledger, timeoutMs: number): Promise<LineKey[]> {
  const behind = () =>
    lines
      .filter((l) => {
        const [plant = "", line = ""] = l.key.split("/");
        const now = l.device.odometers(plant, line);
        const truth = ledger.get(l.key);
        return now.good - l.baseline.good < truth.good || now.reject - l.baseline.reject < truth.reject;
      })
      .map((l) => l.key);
  const deadline = Date.now() + timeoutMs;
  while (behind().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return behind();
}
