import { EventEmitter } from "node:events";

/** Pin modes of the IO plugin spec (github.com/rwaldron/io-plugins), same numbers as Firmata. */
export const MODES = Object.freeze({ INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 });
const HIGH = 1;
const LOW = 0;
/** Firmata's marker for "not an analog pin". */
const NO_ANALOG = 127;

export interface SimPin {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  analogChannel: number;
}

export interface SimIOOptions {
  /** Digital pins, 0..digitalPins-1 (default 14, as on an UNO). */
  digitalPins?: number;
  /** Analog pins after the digital ones, channels 0..analogPins-1 (default 6: A0–A5). */
  analogPins?: number;
  /** Name reported to johnny-five (default "SimIO"). */
  name?: string;
}

/**
 * A johnny-five IO plugin whose input pins are driven by the simulator instead of wires. Every change is
 * delivered synchronously to the `digitalRead` / `analogRead` callbacks, so a pulse driven here is counted
 * (or not) before `pulse()` returns — which lets the ground-truth ledger match the firmware to the unit.
 */
export class SimIO extends EventEmitter {
  readonly MODES = MODES;
  readonly HIGH = HIGH;
  readonly LOW = LOW;
  readonly name: string;
  readonly pins: SimPin[];
  readonly analogPins: number[];
  readonly RESOLUTION = { ADC: 1023, DAC: null, PWM: 255 };
  isReady = false;
  /** Pulses driven per pin, for tests and the ledger. */
  readonly pulses = new Map<number, number>();

  constructor(opts: SimIOOptions = {}) {
    super();
    this.name = opts.name ?? "SimIO";
    const digital = opts.digitalPins ?? 14;
    const analog = opts.analogPins ?? 6;
    this.pins = [];
    this.analogPins = [];
    for (let i = 0; i < digital + analog; i++) {
      const isAnalog = i >= digital;
      this.pins.push({
        supportedModes: isAnalog ? [MODES.INPUT, MODES.OUTPUT, MODES.ANALOG] : [MODES.INPUT, MODES.OUTPUT],
        mode: isAnalog ? MODES.ANALOG : MODES.INPUT,
        value: 0,
        report: 0,
        analogChannel: isAnalog ? i - digital : NO_ANALOG,
      });
      if (isAnalog) this.analogPins.push(i);
    }
    // The spec requires asynchronous "connect" then "ready", as a serial board would.
    setImmediate(() => {
      this.emit("connect");
      this.isReady = true;
      this.emit("ready");
    });
  }

  /** Pin number for 2, "2", "A0" (the first analog pin), or an analog channel number with `analog`. */
  normalize(pin: number | string): number {
    if (typeof pin === "string" && /^A\d+$/i.test(pin)) {
      const found = this.analogPins[Number(pin.slice(1))];
      if (found === undefined) throw new RangeError(`no analog pin ${pin}`);
      return found;
    }
    const n = typeof pin === "number" ? pin : Number(pin);
    if (!Number.isInteger(n) || this.pins[n] === undefined) throw new RangeError(`no pin ${String(pin)}`);
    return n;
  }

  pinMode(pin: number | string, mode: number): this {
    this.pin(pin).mode = mode;
    return this;
  }

  digitalRead(pin: number | string, callback: (value: number) => void): void {
    const n = this.normalize(pin);
    this.pin(n).report = 1;
    this.on(`digital-read-${n}`, callback);
    // Like Firmata, which reports a port's state when reporting is enabled: the level at start.
    callback(this.pin(n).value);
  }

  /** `pin` is an analog channel (0 = A0), as with Firmata. */
  analogRead(pin: number | string, callback: (value: number) => void): void {
    const n = typeof pin === "string" ? this.normalize(pin) : this.analogPins[pin];
    if (n === undefined) throw new RangeError(`no analog channel ${String(pin)}`);
    this.pin(n).report = 1;
    this.on(`analog-read-${this.pin(n).analogChannel}`, callback);
  }

  digitalWrite(pin: number | string, value: number): this {
    this.setLevel(pin, value ? HIGH : LOW);
    return this;
  }

  analogWrite(pin: number | string, value: number): this {
    this.pin(pin).value = value;
    return this;
  }

  // ---- driven by the simulator ----

  /** Sets a digital input level; callbacks run synchronously when it changes. */
  setLevel(pin: number | string, value: 0 | 1): void {
    const n = this.normalize(pin);
    const p = this.pin(n);
    if (p.value === value) return;
    p.value = value;
    this.emit(`digital-read-${n}`, value);
  }

  /** One LOW→HIGH→LOW pulse (a photo-eye seeing one mask), delivered synchronously. */
  pulse(pin: number | string): boolean {
    const n = this.normalize(pin);
    this.setLevel(n, LOW);
    this.setLevel(n, HIGH);
    this.setLevel(n, LOW);
    this.pulses.set(n, (this.pulses.get(n) ?? 0) + 1);
    return true;
  }

  /** Sets an analog input (0..1023); callbacks run synchronously. */
  setAnalog(pin: number | string, raw: number): void {
    const p = this.pin(pin);
    p.value = Math.max(0, Math.min(this.RESOLUTION.ADC, Math.round(raw)));
    this.emit(`analog-read-${p.analogChannel}`, p.value);
  }

  private pin(pin: number | string): SimPin {
    const p = this.pins[this.normalize(pin)];
    if (!p) throw new RangeError(`no pin ${String(pin)}`);
    return p;
  }
}
