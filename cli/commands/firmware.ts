import { randomInt } from "node:crypto";
import { join } from "node:path";
import type { Command } from "commander";
import { buildSource } from "../../firmware/build-source.ts";
import { systemClock } from "../../firmware/clock.ts";
import { type DeviceConfig, loadDeviceConfig } from "../../firmware/config.ts";
import { Device, type DeviceLine } from "../../firmware/device.ts";
import { DiskOutbox } from "../../firmware/disk-outbox.ts";
import { FileOdometerStore } from "../../firmware/file-odometer-store.ts";
import { lineKey } from "../../protocol/index.ts";
import { Ledger } from "../../sim/ledger.ts";
import { LineModel } from "../../sim/line-model.ts";
import { SimIO } from "../../sim/sim-io.ts";
import { SimMachine } from "../../sim/sim-machine.ts";
import { numberArg } from "../args.ts";
import { createLogger, type Logger } from "../logger.ts";

interface FirmwareFlags {
  config: string;
  simRate: number;
}

/** The composition root picks each line's source: Firmata, Pi GPIO, a PLC over Modbus, or a simulated machine. */
function wire(
  cfg: DeviceConfig,
  flags: FirmwareFlags,
  log: Logger,
): { lines: DeviceLine[]; machines: SimMachine[] } {
  const machines: SimMachine[] = [];
  const ledger = new Ledger(0);
  const lines = cfg.lines.map((l) => {
    const key = lineKey(l.plant, l.line);
    const simIo = () => {
      if (l.source.kind !== "johnny-five") throw new RangeError("not a johnny-five source");
      const io = new SimIO();
      const model = new LineModel({ seed: randomInt(0, 2 ** 31), ratedPerMin: flags.simRate });
      const { good, reject, run } = l.source;
      machines.push(
        new SimMachine(key, model, io, ledger, {
          good: good.pin,
          reject: reject?.pin ?? 90,
          run: run?.pin ?? 91,
        }),
      );
      return io;
    };
    const source = buildSource(l.source, {
      clock: systemClock,
      log: log.child({ module: "source", line: key }),
      simIo,
    });
    return { plant: l.plant, line: l.line, source };
  });
  return { lines, machines };
}

function untilSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const end = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", end);
      process.off("SIGINT", end);
      log.info({ signal }, "stopping");
      resolve();
    };
    process.once("SIGTERM", end);
    process.once("SIGINT", end);
  });
}

async function firmware(flags: FirmwareFlags): Promise<void> {
  const cfg = await loadDeviceConfig(flags.config);
  const log = createLogger("masktally-firmware");
  const wiring = wire(cfg, flags, log);
  const store = await FileOdometerStore.open({ dir: cfg.dataDir, log: log.child({ module: "odometers" }) });
  const outbox = await DiskOutbox.open({
    dir: join(cfg.dataDir, "outbox"),
    maxBytes: cfg.outboxMaxBytes,
    log: log.child({ module: "outbox" }),
  });
  const device = new Device({
    device: cfg.device,
    broker: cfg.broker,
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
    ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    ...(cfg.tls ? { tls: cfg.tls } : {}),
    intervalMs: cfg.intervalMs,
    persistMs: cfg.persistMs,
    statusMs: cfg.statusMs,
    lines: wiring.lines,
    store,
    outbox,
    log: log.child({ module: "device", device: cfg.device }),
  });
  try {
    await device.start();
    log.info({ device: cfg.device, dataDir: cfg.dataDir, outbox: device.outboxDepth }, "firmware ready");
    const t0 = Date.now();
    // Simulated machines (io: sim) run in real time.
    const advance = () => {
      for (const m of wiring.machines) m.advance(Date.now() - t0);
    };
    const timer = wiring.machines.length > 0 ? setInterval(advance, 20) : null;
    await untilSignal(log);
    if (timer) clearInterval(timer);
    const flushed = await device.flush(5000);
    log.info({ ...flushed }, "final flush");
  } finally {
    await device.stop();
  }
}

export function register(program: Command): void {
  program
    .command("firmware")
    .description(
      "Run the edge program: count pulses (johnny-five) or PLC counters (Modbus RTU) and publish odometer samples over MQTT",
    )
    .requiredOption(
      "--config <file>",
      "device YAML (device, broker, username, passwordFile, caFile, dataDir, intervalMs, persistMs, lines)",
    )
    .option(
      "--sim-rate <perMin>",
      "masks per minute of simulated machines (lines with io: sim)",
      numberArg(0.1, 10_000),
      120,
    )
    .action(async (flags: FirmwareFlags) => {
      await firmware(flags);
      process.exitCode = 0;
    });
}
