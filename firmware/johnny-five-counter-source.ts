import { performance } from "node:perf_hooks";
import five, { type Board } from "johnny-five";
import type { Logger } from "pino";
import type { Channel, CounterListener, CounterSource } from "./counter-source.ts";
import { FirmwareError } from "./errors.ts";

export interface PulseInput {
  pin: number | string;
  /** Rising edges closer than this to the previous counted one are contact bounce (default 0: count all). */
  debounceMs?: number;
}

export interface SensorInput {
  name: string;
  /** Analog channel (0 = A0) or "A0". */
  pin: number | string;
  /** reading = raw × scale + offset (default 1 and 0: the raw ADC value). */
  scale?: number;
  offset?: number;
}

export interface JohnnyFiveInputs {
  good: PulseInput;
  reject?: PulseInput;
  /** The machine's "running" lamp or relay; HIGH = running unless `activeLow`. */
  run?: { pin: number | string; activeLow?: boolean };
  sensors?: SensorInput[];
}

export interface JohnnyFiveCounterSourceOptions {
  /** The IO plugin instance (Firmata, raspi-io, SimIO): the only thing that differs between a Pi and a test. */
  io: object;
  inputs: JohnnyFiveInputs;
  /** ms to wait for the board's "ready" (default 15 s). */
  readyTimeoutMs?: number;
  /** Monotonic ms for debouncing (default performance.now). */
  monotonic?: () => number;
  log: Logger;
}

/**
 * Counts pulses through johnny-five with `board.digitalRead(pin, cb)`, one count per rising edge.
 * five.Button (fixed ~7 ms debounce) and five.Pin (polled every 20 ms) miss short pulses (STACK.md).
 */
export class JohnnyFiveCounterSource implements CounterSource {
  private stopped = false;

  constructor(private readonly opts: JohnnyFiveCounterSourceOptions) {}

  get hasRunSignal(): boolean {
    return this.opts.inputs.run !== undefined;
  }

  async start(listener: CounterListener): Promise<void> {
    const board = await this.connect();
    const { good, reject, run, sensors = [] } = this.opts.inputs;
    this.watchPulses(board, "good", good, listener);
    if (reject) this.watchPulses(board, "reject", reject, listener);
    if (run) this.watchRun(board, run, listener);
    for (const sensor of sensors) this.watchSensor(board, sensor, listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  private connect(): Promise<Board> {
    const timeoutMs = this.opts.readyTimeoutMs ?? 15_000;
    // sigint:false — johnny-five would otherwise install a SIGINT handler that exits the process mid-flush.
    const board = new five.Board({
      io: this.opts.io,
      repl: false,
      debug: false,
      sigint: false,
      timeout: timeoutMs,
    });
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
        board.on("error", (e: unknown) => this.opts.log.error({ err: e }, "board error"));
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
    board.analogRead(sensor.pin, (raw) => {
      if (this.stopped) return;
      const value = raw * (sensor.scale ?? 1) + (sensor.offset ?? 0);
      this.deliver(() => listener.sensor(sensor.name, value));
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
