import type { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import five, { type Board } from "johnny-five";
import type { Logger } from "pino";
import type { Channel, CounterListener, CounterSource, SourceHealth } from "./counter-source.ts";
import { FirmwareError } from "./errors.ts";
import type { IoHandle } from "./io-plugins.ts";

export interface PulseInput {
  pin: number | string;
  /** Rising edges closer than this to the previous counted one are contact bounce (default 0: count all). */
  debounceMs?: number;
}

export interface SensorInput {
  name: string;
  /** Analog channel (0 = A0) or "A0". */
  pin: number | string;
  /** Linear calibration: reading = raw × scale + offset (default 1 and 0: the raw ADC value). */
  scale?: number;
  offset?: number;
  /**
   * Plausible range of the calibrated reading. A reading outside it is a sensor fault (broken wire, shorted
   * thermocouple), not a process value: it is not reported, and the fault is logged once per excursion.
   */
  min?: number;
  max?: number;
}

export interface JohnnyFiveInputs {
  good: PulseInput;
  reject?: PulseInput;
  /** The machine's "running" lamp or relay; HIGH = running unless `activeLow`. */
  run?: { pin: number | string; activeLow?: boolean };
  sensors?: SensorInput[];
}

export interface JohnnyFiveCounterSourceOptions {
  /** A fixed IO plugin instance (SimIO in tests): the only thing that differs between a Pi and a test. */
  io?: object;
  /** Or: opens the IO plugin (Firmata on a serial port); called again to reconnect after a fault. */
  openIo?: () => Promise<IoHandle>;
  /** What the hardware is called in health reports, e.g. the serial port. */
  label?: string;
  inputs: JohnnyFiveInputs;
  /** ms to wait for the board's "ready" (default 15 s). */
  readyTimeoutMs?: number;
  /** Reconnect backoff after a fault: doubles from minMs to maxMs (default 1 s to 30 s). */
  retry?: { minMs: number; maxMs: number };
  /** Monotonic ms for debouncing (default performance.now). */
  monotonic?: () => number;
  log: Logger;
}

/**
 * Counts pulses through johnny-five with `board.digitalRead(pin, cb)`, one count per rising edge.
 * five.Button (fixed ~7 ms debounce) and five.Pin (polled every 20 ms) miss short pulses (STACK.md).
 *
 * When the IO plugin reports that its transport closed or failed (USB cable pulled, board reset), the
 * source reports the fault, releases the port, and reopens it with capped backoff; counting resumes on
 * the new connection. Pulses made while the board is gone are not seen by anyone and cannot be counted.
 */
export class JohnnyFiveCounterSource implements CounterSource {
  private stopped = false;
  private listener: CounterListener | null = null;
  private current: IoHandle | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;

  constructor(private readonly opts: JohnnyFiveCounterSourceOptions) {
    if (!opts.io && !opts.openIo) throw new RangeError("JohnnyFiveCounterSource needs io or openIo");
    this.backoffMs = opts.retry?.minMs ?? 1000;
  }

  get hasRunSignal(): boolean {
    return this.opts.inputs.run !== undefined;
  }

  async start(listener: CounterListener): Promise<void> {
    this.listener = listener;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const handle = this.current;
    this.current = null;
    await handle?.close();
  }

  /** One connection attempt; on failure, reports it and schedules the next. Never throws. */
  private async attempt(): Promise<void> {
    let handle: IoHandle | null = null;
    try {
      handle = this.opts.openIo ? await this.opts.openIo() : { io: this.opts.io!, close: async () => {} };
      const board = await this.connect(handle);
      if (this.stopped) return void (await handle.close());
      this.watchAll(board);
      this.current = handle;
      this.watchTransport(handle);
      this.backoffMs = this.opts.retry?.minMs ?? 1000;
      this.report({ ok: true });
    } catch (err) {
      await handle?.close().catch(() => {});
      this.fail(err instanceof Error ? err.message : String(err));
    }
  }

  private watchAll(board: Board): void {
    const listener = this.listener!;
    const { good, reject, run, sensors = [] } = this.opts.inputs;
    this.watchPulses(board, "good", good, listener);
    if (reject) this.watchPulses(board, "reject", reject, listener);
    if (run) this.watchRun(board, run, listener);
    for (const sensor of sensors) this.watchSensor(board, sensor, listener);
  }

  /** Firmata emits "close"/"disconnect" when its serial port goes away and "error" when it fails. */
  private watchTransport(handle: IoHandle): void {
    const io = handle.io as Partial<EventEmitter>;
    if (typeof io.on !== "function") return;
    const lost = (why: string) => {
      if (this.current !== handle) return;
      this.current = null;
      void handle.close().catch(() => {});
      this.fail(why);
    };
    io.on("close", () => lost(`${this.label} closed`));
    io.on("disconnect", () => lost(`${this.label} disconnected`));
    io.on("error", (err: unknown) => lost(`${this.label} failed: ${(err as Error)?.message ?? String(err)}`));
  }

  private get label(): string {
    return this.opts.label ?? "board";
  }

  private fail(error: string): void {
    if (this.stopped || this.retryTimer) return;
    this.report({ ok: false, error });
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.retry?.maxMs ?? 30_000);
    this.opts.log.warn({ error, retryInMs: delay }, "board unavailable");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) void this.attempt();
    }, delay);
  }

  private report(health: SourceHealth): void {
    this.deliver(() => this.listener?.health?.(health));
  }

  private connect(handle: IoHandle): Promise<Board> {
    const timeoutMs = this.opts.readyTimeoutMs ?? 15_000;
    // sigint:false — johnny-five would otherwise install a SIGINT handler that exits the process mid-flush.
    const board = new five.Board({
      io: handle.io,
      repl: false,
      debug: false,
      sigint: false,
      timeout: timeoutMs,
    });
    handle.attached?.();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no "ready" within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(timer);
        const message =
          err instanceof Error ? err.message : String((err as { message?: string })?.message ?? err);
        reject(
          new FirmwareError("BOARD_NOT_READY", `board did not become ready: ${message}`, { cause: err }),
        );
      };
      board.once("error", fail);
      board.once("ready", () => {
        clearTimeout(timer);
        board.off("error", fail);
        board.on("error", (e: unknown) => this.opts.log.warn({ err: e }, "board error"));
        resolve(board);
      });
    });
  }

  private watchPulses(board: Board, channel: Channel, input: PulseInput, listener: CounterListener): void {
    const debounceMs = input.debounceMs ?? 0;
    const now = this.opts.monotonic ?? (() => performance.now());
    // The first report is the level at start (Firmata reports a port when reporting is enabled): not an edge.
    let level: 0 | 1 | null = null;
    let lastCounted = Number.NEGATIVE_INFINITY;
    board.pinMode(input.pin, board.MODES.INPUT);
    board.digitalRead(input.pin, (value) => {
      const high = value ? 1 : 0;
      const rising = high === 1 && level === 0;
      level = high;
      if (!rising || this.stopped) return;
      const t = now();
      if (debounceMs > 0 && t - lastCounted < debounceMs) return;
      lastCounted = t;
      this.deliver(() => listener.count(channel, 1));
    });
  }

  private watchRun(board: Board, run: NonNullable<JohnnyFiveInputs["run"]>, listener: CounterListener): void {
    board.pinMode(run.pin, board.MODES.INPUT);
    board.digitalRead(run.pin, (value) => {
      if (this.stopped) return;
      const running = (value ? 1 : 0) === (run.activeLow ? 0 : 1);
      this.deliver(() => listener.run(running));
    });
  }

  private watchSensor(board: Board, sensor: SensorInput, listener: CounterListener): void {
    let faulty = false;
    // Firmata's analogRead takes the analog channel (0 for A0), not the pin name.
    const channel =
      typeof sensor.pin === "string" && /^A\d+$/i.test(sensor.pin) ? Number(sensor.pin.slice(1)) : sensor.pin;
    board.analogRead(channel, (raw) => {
      if (this.stopped) return;
      const value = calibrate(sensor, raw);
      const inRange = value >= (sensor.min ?? -Infinity) && value <= (sensor.max ?? Infinity);
      if (inRange !== !faulty) {
        faulty = !inRange;
        if (faulty)
          this.opts.log.warn(
            { sensor: sensor.name, raw, value },
            "sensor reading outside its limits; not reported",
          );
        else this.opts.log.info({ sensor: sensor.name, value }, "sensor reading back within its limits");
      }
      if (inRange) this.deliver(() => listener.sensor(sensor.name, value));
    });
  }

  /** A failing listener never stops counting (STYLE.md): log and go on. */
  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ err }, "counter listener failed");
    }
  }
}

/** The calibrated reading of an analog input: raw × scale + offset. */
export function calibrate(sensor: Pick<SensorInput, "scale" | "offset">, raw: number): number {
  return raw * (sensor.scale ?? 1) + (sensor.offset ?? 0);
}
