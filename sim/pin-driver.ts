/**
 * What a simulated machine drives: the in-process johnny-five IO plugin (SimIO), a Firmata device
 * emulator on a serial port, or a PLC emulator whose counters the pulses increment.
 */
export interface PinDriver {
  /** Sets a digital input level (the run signal). */
  setLevel(pin: number | string, value: 0 | 1): void;
  /**
   * One pulse (a photo-eye seeing one mask). Returns false when the pulse could not reach anything that
   * counts it (a serial board nobody listens to): the ledger books only pulses the firmware could count.
   */
  pulse(pin: number | string): boolean | undefined;
  /** Sets an analog input (0..1023). */
  setAnalog(pin: number | string, raw: number): void;
}
