import type { Logger } from "pino";
import { modbusSource } from "../../firmware/build-source.ts";
import { systemClock } from "../../firmware/clock.ts";
import type { CounterSource } from "../../firmware/counter-source.ts";
import { openFirmata } from "../../firmware/io-plugins.ts";
import { JohnnyFiveCounterSource, type JohnnyFiveInputs } from "../../firmware/johnny-five-counter-source.ts";
import type { PinDriver } from "../pin-driver.ts";
import { SimIO } from "../sim-io.ts";
import { SIM_WIRING, WELD_TEMP_SCALE } from "../sim-machine.ts";
import { FirmataDevice } from "./firmata-device.ts";
import { DEFAULT_PLC_LAYOUT, ModbusPlc } from "./modbus-plc.ts";
import { PtyPair } from "./pty-pair.ts";

/** How the simulated machine reaches the firmware (CONTRACTS.md, `masktally sim --hardware`). */
export type HardwareKind = "inproc" | "firmata" | "modbus";

export const SIM_INPUTS: JohnnyFiveInputs = {
  good: { pin: SIM_WIRING.good },
  reject: { pin: SIM_WIRING.reject },
  run: { pin: SIM_WIRING.run },
  sensors: [
    { name: "weld_temp_c", pin: SIM_WIRING.weldTemp ?? "A0", scale: WELD_TEMP_SCALE, min: 0, max: 400 },
  ],
};

/** A simulated line's hardware: what the machine drives, what the firmware reads, and the serial cable between. */
export interface LineHardware {
  kind: HardwareKind;
  /** The machine's side (stable across unplug/plug). */
  driver: PinDriver;
  /** The firmware's side. */
  source: CounterSource;
  /** Pulls the serial cable (kills the pty pair). Firmata pulses meanwhile reach nobody; a PLC keeps counting. */
  unplug(): Promise<void>;
  /** Plugs it back in at the same path. */
  plug(): Promise<void>;
  /** The PLC emulator (modbus only), for fault injection. */
  plc?: ModbusPlc;
  close(): Promise<void>;
}

export interface LineHardwareOptions {
  kind: HardwareKind;
  /** Folder for the pty links. */
  ptyDir: string;
  /** Unique per line (pty link names). */
  name: string;
  /** The line's fastest rate in wall time, masks/min (PLC wrap vs reset; generous margin applied). */
  maxPerMin: number;
  /** Modbus poll period (default 100 ms). */
  pollMs?: number;
  /** PLC counter values at power-on (default near the 16-bit wrap, so a run crosses it early). */
  plcStart?: { good: number; reject: number };
  log: Logger;
}

const RETRY = { minMs: 200, maxMs: 2000 };

export async function openLineHardware(opts: LineHardwareOptions): Promise<LineHardware> {
  if (opts.kind === "firmata") return openFirmataLine(opts);
  if (opts.kind === "modbus") return openModbusLine(opts);
  const io = new SimIO();
  const source = new JohnnyFiveCounterSource({ io, inputs: SIM_INPUTS, log: opts.log });
  const noop = async () => {};
  return { kind: "inproc", driver: io, source, unplug: noop, plug: noop, close: noop };
}

/** Forwards to the Firmata device currently on the line; a pulse with no device reaches nobody. */
class FirmataLink implements PinDriver {
  device: FirmataDevice | null = null;
  private readonly levels = new Map<string, 0 | 1>();

  setLevel(pin: number | string, value: 0 | 1): void {
    this.levels.set(String(pin), value);
    this.device?.setLevel(pin, value);
  }

  pulse(pin: number | string): boolean {
    return this.device?.pulse(pin) ?? false;
  }

  setAnalog(pin: number | string, raw: number): void {
    this.device?.setAnalog(pin, raw);
  }

  /** A new board comes up with the machine's current levels on its pins. */
  attach(device: FirmataDevice): void {
    this.device = device;
    for (const [pin, value] of this.levels) device.setLevel(pin, value);
  }
}

async function openFirmataLine(opts: LineHardwareOptions): Promise<LineHardware> {
  const link = new FirmataLink();
  let pair: PtyPair | null = null;
  const plug = async () => {
    pair = await PtyPair.open(opts.ptyDir, opts.name);
    link.attach(await FirmataDevice.open({ path: pair.devicePath }));
  };
  const unplug = async () => {
    const device = link.device;
    link.device = null;
    await device?.close();
    await pair?.close();
    pair = null;
  };
  await plug();
  const hostPath = pair!.hostPath;
  const source = new JohnnyFiveCounterSource({
    openIo: () => openFirmata(hostPath),
    label: `serial port ${hostPath}`,
    inputs: SIM_INPUTS,
    retry: RETRY,
    log: opts.log,
  });
  return { kind: "firmata", driver: link, source, unplug, plug, close: unplug };
}

async function openModbusLine(opts: LineHardwareOptions): Promise<LineHardware> {
  let pair: PtyPair | null = await PtyPair.open(opts.ptyDir, opts.name);
  const hostPath = pair.hostPath;
  const plc = await ModbusPlc.open({
    path: pair.devicePath,
    wiring: SIM_WIRING,
    layout: DEFAULT_PLC_LAYOUT,
    start: opts.plcStart ?? { good: 60_000, reject: 65_500 },
  });
  const source = modbusSource(
    {
      kind: "modbus",
      port: hostPath,
      baudRate: 115_200,
      good: DEFAULT_PLC_LAYOUT.good,
      reject: DEFAULT_PLC_LAYOUT.reject,
      run: { coil: DEFAULT_PLC_LAYOUT.run },
      sensors: [{ name: "weld_temp_c", register: DEFAULT_PLC_LAYOUT.temp ?? 10, scale: WELD_TEMP_SCALE }],
      pollMs: opts.pollMs ?? 100,
      timeoutMs: 500,
      maxPerMin: opts.maxPerMin * 2,
    },
    { clock: systemClock, log: opts.log, retry: RETRY },
  );
  const unplug = async () => {
    await plc.detach();
    await pair?.close();
    pair = null;
  };
  const plug = async () => {
    pair = await PtyPair.open(opts.ptyDir, opts.name);
    await plc.attach(pair.devicePath);
  };
  return { kind: "modbus", driver: plc, source, unplug, plug, plc, close: unplug };
}
