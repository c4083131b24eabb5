import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino, { type Logger } from "pino";
import type { Device } from "../firmware/device.ts";
import type { OdometerReading } from "../firmware/odometers.ts";
import {
  ConfigError,
  isId,
  type LineKey,
  lineKey,
  type Problem,
  parseRegistry,
  type Registry,
  registryLines,
  type Sample,
} from "../protocol/index.ts";
import type { HardwareKind, LineHardware } from "./hardware/line-hardware.ts";
import { Ledger, type LedgerFile } from "./ledger.ts";
import { LineModel, type RandomStops } from "./line-model.ts";
import { hashSeed } from "./random.ts";
import { openSimLine, type SimLine, type SimLineSpec, settle } from "./sim-line.ts";
import type { LineStop } from "./stop-spec.ts";

export interface RunSimOptions {
  /** A parsed registry, or the path of the registry YAML. */
  registry: Registry | string;
  /** mqtt://host:port of the gateway's broker. */
  broker: string;
  username?: string;
  password?: string;
  /** Lines to simulate (default: every line of the registry). */
  lines?: LineKey[];
  seed: number;
  /** Wall-clock seconds to run (default: until `signal` aborts). */
  durationSec?: number;
  /** Simulated time runs this many times faster than wall time (default 1). */
  speedup?: number;
  /** Where to write the ground-truth ledger. */
  truthFile?: string;
  /**
   * How the machine reaches the firmware: the in-process johnny-five IO plugin (default), a Firmata device
   * emulator or a Modbus RTU PLC emulator on a pseudo-terminal pair (real serialport on both ends).
   */
  hardware?: HardwareKind;
  /** Keep each device's odometers and outbox on disk here (default: in memory). */
  dataDir?: string;
  /** Odometer persist period, wall ms (with a data dir). */
  persistMs?: number;
  /** Modbus: the PLC counters' values at power-on (default near the 16-bit wrap). */
  plcStart?: { good: number; reject: number };
  stops?: LineStop[];
  /** Random stops of every line (default: the model's; `false` disables them). */
  randomStops?: RandomStops | false;
  rejectRate?: number;
  /** Firmware sample period, wall ms (default 1000). */
  intervalMs?: number;
  /** Seconds to wait for the outboxes to drain at the end (default 60). */
  drainTimeoutSec?: number;
  /** Wall ms between two simulator steps (default 20). */
  tickMs?: number;
  /** Ends the run like the duration does. */
  signal?: AbortSignal;
  /** Called once every device has started (tests watch the devices through it). */
  onStarted?: (devices: ReadonlyArray<{ key: LineKey; device: Device; hardware: LineHardware }>) => void;
  log?: Logger;
}

export interface SimLineResult {
  key: LineKey;
  device: string;
  /** What the firmware counted. */
  odometers: OdometerReading;
  lastSample: Sample | null;
}

export interface SimResult {
  ledger: LedgerFile;
  /** True when every device's outbox emptied before the drain timeout. */
  drained: boolean;
  /** Simulated ms at the end. */
  simMs: number;
  lines: SimLineResult[];
}

/** `sim-{plant}-{line}`, cut to the 32 characters an id may have. */
export function simDeviceId(plant: string, line: string): string {
  return `sim-${plant}-${line}`.slice(0, 32);
}

/**
 * Runs, per selected line, a line model driving a SimIO board that a real firmware Device counts and
 * publishes to the broker. At the end (duration or abort) the machines stop, every device takes a final
 * sample and drains its outbox (or the drain timeout passes), and the ledger is written.
 */
export async function runSim(opts: RunSimOptions): Promise<SimResult> {
  const log = opts.log ?? pino({ level: "silent" });
  const registry = typeof opts.registry === "string" ? await loadRegistry(opts.registry) : opts.registry;
  const ledger = new Ledger(opts.seed);
  const specs = lineSpecs(registry, opts);
  // Pseudo-terminal links only for the serial emulators.
  const serial = (opts.hardware ?? "inproc") !== "inproc";
  const ptyDir = serial ? await mkdtemp(join(tmpdir(), "masktally-pty-")) : tmpdir();
  let lines: SimLine[] = [];
  try {
    lines = await openLines(specs, opts, ptyDir, ledger, log);
    await startDevices(lines);
    opts.onStarted?.(lines.map((l) => ({ key: l.key, device: l.device, hardware: l.hardware })));
    const simMs = await runMachines(lines, opts, log);
    const behind = await settle(lines, ledger, 10_000);
    if (behind.length > 0) log.warn({ lines: behind }, "firmware did not count every pulse on the wire");
    const drainMs = (opts.drainTimeoutSec ?? 60) * 1000;
    const flushed = await Promise.all(lines.map((l) => l.device.flush(drainMs)));
    const drained = flushed.every((f) => f.drained);
    if (!drained)
      log.warn({ undrained: flushed.map((f) => f.depth) }, "outboxes not drained before the timeout");
    const results = lines.map((l) => lineResult(l));
    await Promise.all(lines.map((l) => l.device.stop()));
    if (opts.truthFile) await ledger.write(opts.truthFile);
    log.info(
      { simMs, drained, truth: opts.truthFile ?? null, ledger: ledger.toJSON().lines },
      "sim finished",
    );
    return { ledger: ledger.toJSON(), drained, simMs, lines: results };
  } finally {
    await Promise.allSettled(lines.map((l) => l.hardware.close()));
    if (serial) await rm(ptyDir, { recursive: true, force: true });
  }
}

/** Opens every line's hardware and device; if one fails, closes those already opened before rethrowing. */
async function openLines(
  specs: SimLineSpec[],
  opts: RunSimOptions,
  ptyDir: string,
  ledger: Ledger,
  log: Logger,
): Promise<SimLine[]> {
  const lineOpts = {
    broker: opts.broker,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    hardware: opts.hardware ?? "inproc",
    ptyDir,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    intervalMs: opts.intervalMs ?? 1000,
    ...(opts.persistMs !== undefined ? { persistMs: opts.persistMs } : {}),
    ...(opts.plcStart ? { plcStart: opts.plcStart } : {}),
  };
  const opened = await Promise.allSettled(specs.map((s) => openSimLine(s, lineOpts, ledger, log)));
  const lines = opened.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = opened.find((r) => r.status === "rejected");
  if (!failed) return lines;
  await Promise.allSettled(lines.map((l) => l.hardware.close()));
  throw failed.reason;
}

/** Starts every device; if one fails, stops those already started before rethrowing. */
async function startDevices(lines: SimLine[]): Promise<void> {
  const started = await Promise.allSettled(lines.map((l) => l.device.start()));
  for (const l of lines) {
    const [plant = "", line = ""] = l.key.split("/");
    l.baseline = l.device.odometers(plant, line);
  }
  const failed = started.find((r) => r.status === "rejected");
  if (!failed) return;
  await Promise.allSettled(
    lines.map((l, i) => (started[i]?.status === "fulfilled" ? l.device.stop() : null)),
  );
  throw failed.reason;
}

async function loadRegistry(file: string): Promise<Registry> {
  const text = await readFile(file, "utf8").catch((err: Error) => {
    throw new ConfigError(file, [{ path: "/", message: `cannot read: ${err.message}` }]);
  });
  return parseRegistry(text, file);
}

/** Checks the selection against the registry (every problem at once), then makes each line's model. */
function lineSpecs(registry: Registry, opts: RunSimOptions): SimLineSpec[] {
  const all = new Map(registryLines(registry).map((x) => [lineKey(x.plant.id, x.line.id), x] as const));
  const selected = opts.lines ?? [...all.keys()];
  const problems: Problem[] = [];
  for (const key of selected)
    if (!all.has(key)) problems.push({ path: "--lines", message: `unknown line "${key}"` });
  for (const stop of opts.stops ?? []) {
    if (!selected.includes(stop.key))
      problems.push({ path: "--stop", message: `line "${stop.key}" is not simulated` });
  }
  const ids = new Map<string, LineKey>();
  for (const key of selected) {
    const [plant = "", line = ""] = key.split("/");
    const id = simDeviceId(plant, line);
    if (!isId(id) || ids.has(id))
      problems.push({ path: "--lines", message: `device id "${id}" of ${key} is invalid or taken` });
    ids.set(id, key);
  }
  if (problems.length > 0) throw new ConfigError("sim", problems);
  return selected.map((key) => {
    const { plant, line } = all.get(key)!;
    const model = new LineModel({
      seed: hashSeed(`${opts.seed}:${key}`),
      ratedPerMin: line.ratedPerMin,
      stops: (opts.stops ?? []).filter((s) => s.key === key),
      ...(opts.randomStops !== undefined ? { randomStops: opts.randomStops } : {}),
      ...(opts.rejectRate !== undefined ? { rejectRate: opts.rejectRate } : {}),
    });
    const deviceId = simDeviceId(plant.id, line.id);
    const wallPerMin = line.ratedPerMin * (opts.speedup ?? 1);
    return { key, plant: plant.id, line: line.id, deviceId, model, wallPerMin };
  });
}

/** Advances every machine to wall time × speedup until the duration passes or the signal aborts. */
async function runMachines(lines: SimLine[], opts: RunSimOptions, log: Logger): Promise<number> {
  const speedup = opts.speedup ?? 1;
  const t0 = performance.now();
  let simMs = 0;
  const tick = () => {
    simMs = (performance.now() - t0) * speedup;
    for (const l of lines) l.machine.advance(simMs);
  };
  tick();
  const timer = setInterval(tick, opts.tickMs ?? 20);
  log.info({ lines: lines.map((l) => l.key), speedup, seed: opts.seed }, "sim running");
  await endOfRun(opts.durationSec, opts.signal);
  clearInterval(timer);
  tick();
  return simMs;
}

function endOfRun(durationSec: number | undefined, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = durationSec !== undefined ? setTimeout(done, durationSec * 1000) : undefined;
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

function lineResult(l: SimLine): SimLineResult {
  const [plant = "", line = ""] = l.key.split("/");
  const now = l.device.odometers(plant, line);
  return {
    key: l.key,
    device: l.device.id,
    odometers: { good: now.good - l.baseline.good, reject: now.reject - l.baseline.reject },
    lastSample: l.device.lastSample(plant, line),
  };
}
