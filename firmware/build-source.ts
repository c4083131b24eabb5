import type { Logger } from "pino";
import type { Clock } from "./clock.ts";
import type { JohnnyFiveSourceConfig, LineConfig, ModbusSourceConfig } from "./config.ts";
import type { CounterSource } from "./counter-source.ts";
import { openFirmata, openRaspi } from "./io-plugins.ts";
import { JohnnyFiveCounterSource, type JohnnyFiveInputs } from "./johnny-five-counter-source.ts";
import { ModbusCounterSource } from "./modbus-counter-source.ts";

export interface BuildSourceOptions {
  clock: Clock;
  log: Logger;
  /** The IO plugin for `io: sim` lines (the entry point makes it). */
  simIo?: () => object;
  /** Reconnect backoff of serial sources (default 1 s to 30 s). */
  retry?: { minMs: number; maxMs: number };
}

/** Modbus defaults: 9600 8N2 unit 1 (most PLCs' factory setting), a poll every 500 ms, 300 ms timeout. */
export const MODBUS_DEFAULTS = {
  baudRate: 9600,
  parity: "none",
  unitId: 1,
  pollMs: 500,
  timeoutMs: 300,
  maxPerMin: 2000,
} as const;

function inputsOf(source: JohnnyFiveSourceConfig): JohnnyFiveInputs {
  return {
    good: source.good,
    ...(source.reject ? { reject: source.reject } : {}),
    ...(source.run ? { run: source.run } : {}),
    ...(source.sensors ? { sensors: source.sensors } : {}),
  };
}

export function modbusSource(src: ModbusSourceConfig, opts: BuildSourceOptions): ModbusCounterSource {
  return new ModbusCounterSource({
    port: src.port,
    baudRate: src.baudRate ?? MODBUS_DEFAULTS.baudRate,
    parity: src.parity ?? MODBUS_DEFAULTS.parity,
    unitId: src.unitId ?? MODBUS_DEFAULTS.unitId,
    good: { register: src.good.register, words: src.good.words ?? 1 },
    ...(src.reject ? { reject: { register: src.reject.register, words: src.reject.words ?? 1 } } : {}),
    ...(src.run ? { run: src.run } : {}),
    ...(src.sensors ? { sensors: src.sensors } : {}),
    wordOrder: src.wordOrder ?? "high-first",
    pollMs: src.pollMs ?? MODBUS_DEFAULTS.pollMs,
    timeoutMs: src.timeoutMs ?? MODBUS_DEFAULTS.timeoutMs,
    maxPerMin: src.maxPerMin ?? MODBUS_DEFAULTS.maxPerMin,
    ...(opts.retry ? { retry: opts.retry } : {}),
    clock: opts.clock,
    log: opts.log,
  });
}

/** The counter source a line's config asks for: Firmata, Pi GPIO, a simulated board, or a PLC over Modbus. */
export function buildSource(source: LineConfig["source"], opts: BuildSourceOptions): CounterSource {
  if (source.kind === "modbus") return modbusSource(source, opts);
  const common = { inputs: inputsOf(source), log: opts.log, ...(opts.retry ? { retry: opts.retry } : {}) };
  if (source.io === "sim") {
    if (!opts.simIo) throw new RangeError("io: sim needs a simulated IO plugin");
    return new JohnnyFiveCounterSource({ ...common, io: opts.simIo() });
  }
  if (source.io === "raspi")
    return new JohnnyFiveCounterSource({ ...common, label: "GPIO", openIo: openRaspi });
  const port = source.port ?? "";
  return new JohnnyFiveCounterSource({
    ...common,
    label: `serial port ${port}`,
    openIo: () => openFirmata(port, source.baudRate),
  });
}
