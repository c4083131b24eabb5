/** The two counted channels of a line (DESIGN.md, counting contract). */
export type Channel = "good" | "reject";

/** What a counter source reports; the device wires it to the odometers. */
export interface CounterListener {
  /** `n` more items were seen on `channel` (1 per pulse for a pulse source). */
  count(channel: Channel, n: number): void;
  /** The machine's running signal changed (also reported once after start when wired). */
  run(running: boolean): void;
  /** A numeric sensor reading (e.g. weld temperature in °C). */
  sensor(name: string, value: number): void;
}

/**
 * Where a line's counts come from: pulses through johnny-five, a PLC over Modbus, or a simulator.
 * Implementations never throw from inside a callback; hardware errors surface through `start()`/`onError`.
 */
export interface CounterSource {
  /** Connects to the hardware and starts reporting to `listener`; resolves when counting has begun. */
  start(listener: CounterListener): Promise<void>;
  /** Stops reporting; counts after this are not delivered. */
  stop(): Promise<void>;
  /** Whether the run signal is wired (a sample then carries `run`). */
  readonly hasRunSignal: boolean;
}
