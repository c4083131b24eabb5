import { randomInt } from "node:crypto";
import type { Command } from "commander";
import { type DeviceConfig, type LineConfig, loadDeviceConfig } from "../../firmware/config.ts";
import { Device, type DeviceLine } from "../../firmware/device.ts";
import { type IoHandle, openFirmata, openRaspi } from "../../firmware/io-plugins.ts";
import { JohnnyFiveCounterSource, type JohnnyFiveInputs } from "../../firmware/johnny-five-counter-source.ts";
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

/** Everything one run of the program opened, released in reverse on the way out. */
interface Wiring {
  lines: DeviceLine[];
  handles: IoHandle[];
  machines: SimMachine[];
}

function inputsOf(source: LineConfig["source"]): JohnnyFiveInputs {
  return {
    good: source.good,
    ...(source.reject ? { reject: source.reject } : {}),
    ...(source.run ? { run: source.run } : {}),
    ...(source.sensors ? { sensors: source.sensors } : {}),
  };
}

/** The composition root picks the IO plugin per line: Firmata, Pi GPIO, or a simulated machine (io: sim). */
async function wire(cfg: DeviceConfig, flags: FirmwareFlags, log: Logger): Promise<Wiring> {
  const wiring: Wiring = { lines: [], handles: [], machines: [] };
  const ledger = new Ledger(0);
  for (const l of cfg.lines) {
    const { source } = l;
    let io: object;
    if (source.io === "sim") {
      const sim = new SimIO();
      const model = new LineModel({ seed: randomInt(0, 2 ** 31), ratedPerMin: flags.simRate });
      const pins = { good: source.good.pin, reject: source.reject?.pin ?? 90, run: source.run?.pin ?? 91 };
      wiring.machines.push(new SimMachine(lineKey(l.plant, l.line), model, sim, ledger, pins));
      io = sim;
    } else {
      const handle =
        source.io === "firmata" ? await openFirmata(source.port ?? "", source.baudRate) : await openRaspi();
      wiring.handles.push(handle);
      io = handle.io;
    }
    const lineLog = log.child({ module: "source", line: lineKey(l.plant, l.line) });
    wiring.lines.push({
      plant: l.plant,
      line: l.line,
      source: new JohnnyFiveCounterSource({ io, inputs: inputsOf(source), log: lineLog }),
    });
  }
  return wiring;
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
  const wiring = await wire(cfg, flags, log);
  const device = new Device({
    device: cfg.device,
    broker: cfg.broker,
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
    ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    intervalMs: cfg.intervalMs,
    lines: wiring.lines,
    log: log.child({ module: "device", device: cfg.device }),
  });
  try {
    await device.start();
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
    for (const h of wiring.handles.reverse()) await h.close();
  }
}

export function register(program: Command): void {
  program
    .command("firmware")
    .description(
      "Run the edge program: count pulses through johnny-five and publish odometer samples over MQTT",
    )
    .requiredOption(
      "--config <file>",
      "device YAML (device, broker, username, passwordFile, dataDir, intervalMs, lines)",
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
