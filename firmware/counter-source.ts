/** The two counted channels of a line (DESIGN.md, counting contract). */
export type Channel = "good" | "reject";

/** Whether the source's hardware answers. */
export interface SourceHealth {
  ok: boolean;
  /** Why not, when `ok` is false (e.g. "serial port /dev/ttyACM0 closed"). */
  error?: string;
}

/** What a counter source reports; the device wires it to the odometers. */
export interface CounterListener {
  /** `n` more items were seen on `channel` (1 per pulse for a pulse source). */
  count(channel: Channel, n: number): void;
  /** The machine's running signal changed (also reported once after start when wired). */
  run(running: boolean): void;
  /** A numeric sensor reading (e.g. weld temperature in °C). */
  sensor(name: string, value: number): void;
  /** The hardware went away or came back (cable pulled, board reset, PLC not answering). */
  health?(health: SourceHealth): void;
}

/**
 * Where a line's counts come from: pulses through johnny-five, a PLC over Modbus, or a simulator.
 * Implementations never throw from inside a callback, and never give up on hardware that fails: they
 * report it through `health` and retry with capped backoff.
 */
export interface CounterSource {
  /**
   * Connects to the hardware and starts reporting to `listener`; resolves when counting has begun, or
   * after the first failed attempt (reported through `health`; retries continue in the background).
   */
  start(listener: CounterListener): Promise<void>;
  /** Stops reporting and releases the hardware; counts after this are not delivered. */
  stop(): Promise<void>;
  /** Whether the run signal is wired (a sample then carries `run`). */
  readonly hasRunSignal: boolean;
  /** The source's position matching the counts delivered so far (saved with the odometers). */
  cursor?(): unknown;
  /** Resumes from a saved position (called before `start`). */
  restore?(cursor: unknown): void;
}
