import { SerialPort } from "serialport";
import type { PinDriver } from "../pin-driver.ts";

/** StandardFirmata 2.5 wire constants (firmata.org protocol, the ones johnny-five + firmata-io use). */
const REPORT_VERSION = 0xf9;
const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;
const DIGITAL_MESSAGE = 0x90;
const ANALOG_MESSAGE = 0xe0;
const REPORT_ANALOG = 0xc0;
const REPORT_DIGITAL = 0xd0;
const SET_PIN_MODE = 0xf4;
const SET_DIGITAL_PIN_VALUE = 0xf5;
const SYSTEM_RESET = 0xff;
const QUERY_FIRMWARE = 0x79;
const CAPABILITY_QUERY = 0x6b;
const CAPABILITY_RESPONSE = 0x6c;
const ANALOG_MAPPING_QUERY = 0x69;
const ANALOG_MAPPING_RESPONSE = 0x6a;
const PIN_STATE_QUERY = 0x6d;
const PIN_STATE_RESPONSE = 0x6e;
const MODE = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PULLUP: 0x0b };
const FIRMWARE_NAME = "StandardFirmata.ino";

/** Data bytes that follow each MIDI-style command byte (host → board). */
function dataLength(command: number): number {
  const high = command & 0xf0;
  if (high === DIGITAL_MESSAGE || high === ANALOG_MESSAGE) return 2;
  if (high === REPORT_ANALOG || high === REPORT_DIGITAL) return 1;
  if (command === SET_PIN_MODE || command === SET_DIGITAL_PIN_VALUE) return 2;
  return 0;
}

export interface FirmataDeviceOptions {
  /** The emulator's end of a serial line (PtyPair.devicePath). */
  path: string;
  /** Digital pins (default 14, as on an Arduino UNO); analog pins A0.. follow them. */
  digitalPins?: number;
  /** Analog pins (default 6: A0–A5). */
  analogPins?: number;
  /** How often it announces itself (REPORT_VERSION + firmware name) until the host speaks (default 100 ms). */
  announceMs?: number;
}

/**
 * A byte-level StandardFirmata board on a serial port: enough of the protocol for johnny-five through
 * firmata-io (version and firmware reports, capability and analog-mapping responses, pin modes, digital
 * port and analog reporting). A real board announces itself after the reset that opening the port causes;
 * a pty has no reset, so the emulator repeats its announcement until the host sends its first byte.
 *
 * As a PinDriver it is the machine's side of the wires: `pulse()` sends a HIGH then a LOW port report,
 * and returns whether the host had asked for that port's reports (only then can anyone count it).
 */
export class FirmataDevice implements PinDriver {
  readonly pulses = new Map<number, number>();
  private readonly levels: number[];
  private readonly analog: number[];
  private readonly modes: number[];
  private readonly reportPorts = new Set<number>();
  private readonly reportAnalog = new Set<number>();
  private rx: number[] = [];
  private inSysex = false;
  private out: number[] = [];
  private flushing = false;
  private announceTimer: NodeJS.Timeout | null = null;
  private readonly digital: number;

  private constructor(
    private readonly port: SerialPort,
    opts: FirmataDeviceOptions,
  ) {
    this.digital = opts.digitalPins ?? 14;
    const total = this.digital + (opts.analogPins ?? 6);
    this.levels = Array.from({ length: total }, () => 0);
    this.analog = Array.from({ length: opts.analogPins ?? 6 }, () => 0);
    this.modes = Array.from({ length: total }, (_, i) => (i < this.digital ? MODE.OUTPUT : MODE.ANALOG));
    port.on("data", (data: Buffer) => this.receive(data));
    port.on("error", () => {});
    this.announceTimer = setInterval(() => this.announce(), opts.announceMs ?? 100);
    this.announce();
  }

  static async open(opts: FirmataDeviceOptions): Promise<FirmataDevice> {
    const port = new SerialPort({ path: opts.path, baudRate: 57_600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new FirmataDevice(port, opts);
  }

  get open(): boolean {
    return this.port.isOpen;
  }

  /** Whether the host asked for reports of this pin's port (until then a pulse on it reaches nobody). */
  isReporting(pin: number | string): boolean {
    return this.port.isOpen && this.reportPorts.has(this.pinNumber(pin) >> 3);
  }

  async close(): Promise<void> {
    if (this.announceTimer) clearInterval(this.announceTimer);
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  // ---- PinDriver: the machine's side ----

  setLevel(pin: number | string, value: 0 | 1): void {
    const n = this.pinNumber(pin);
    if (this.levels[n] === value) return;
    this.levels[n] = value;
    this.sendPort(n >> 3);
  }

  pulse(pin: number | string): boolean {
    const n = this.pinNumber(pin);
    if (!this.port.isOpen || !this.reportPorts.has(n >> 3)) return false;
    this.setLevel(n, 0);
    this.setLevel(n, 1);
    this.setLevel(n, 0);
    this.pulses.set(n, (this.pulses.get(n) ?? 0) + 1);
    return true;
  }

  setAnalog(pin: number | string, raw: number): void {
    const channel = this.pinNumber(pin) - this.digital;
    if (channel < 0 || channel >= this.analog.length) throw new RangeError(`${String(pin)} is not analog`);
    const value = Math.max(0, Math.min(1023, Math.round(raw)));
    if (this.analog[channel] === value) return;
    this.analog[channel] = value;
    this.sendAnalog(channel);
  }

  private pinNumber(pin: number | string): number {
    const n =
      typeof pin === "string" && /^A\d+$/i.test(pin) ? this.digital + Number(pin.slice(1)) : Number(pin);
    if (!Number.isInteger(n) || n < 0 || n >= this.levels.length)
      throw new RangeError(`no pin ${String(pin)}`);
    return n;
  }

  // ---- the wire ----

  private announce(): void {
    this.write([REPORT_VERSION, 2, 5]);
    this.write(this.firmwareReport());
  }

  private firmwareReport(): number[] {
    const name = [...FIRMWARE_NAME].flatMap((c) => [c.charCodeAt(0) & 0x7f, c.charCodeAt(0) >> 7]);
    return [START_SYSEX, QUERY_FIRMWARE, 2, 5, ...name, END_SYSEX];
  }

  private receive(data: Buffer): void {
    if (this.announceTimer) {
      // The host spoke: it is listening, stop announcing (a real board announces once, after reset).
      clearInterval(this.announceTimer);
      this.announceTimer = null;
    }
    for (const byte of data) this.receiveByte(byte);
  }

  private receiveByte(byte: number): void {
    if (this.inSysex) {
      if (byte === END_SYSEX) {
        this.inSysex = false;
        this.sysex(this.rx);
        this.rx = [];
      } else this.rx.push(byte);
      return;
    }
    if (byte === START_SYSEX) {
      this.inSysex = true;
      this.rx = [];
      return;
    }
    if (byte & 0x80) this.rx = [byte];
    else if (this.rx.length > 0) this.rx.push(byte);
    const command = this.rx[0];
    if (command === undefined || this.rx.length < dataLength(command) + 1) return;
    this.command(this.rx);
    this.rx = [];
  }

  private command([command = 0, a = 0, b = 0]: number[]): void {
    const high = command & 0xf0;
    if (command === REPORT_VERSION) {
      // A new host handshake: like a board after reset, nothing is reported until asked again.
      this.reportPorts.clear();
      this.reportAnalog.clear();
      this.write([REPORT_VERSION, 2, 5]);
    } else if (command === SYSTEM_RESET) {
      this.reportPorts.clear();
      this.reportAnalog.clear();
    } else if (command === SET_PIN_MODE) {
      if (a < this.modes.length) this.modes[a] = b;
    } else if (high === REPORT_DIGITAL) {
      // StandardFirmata answers "report this port" with the port's current state.
      if (a) this.reportPorts.add(command & 0x0f);
      else this.reportPorts.delete(command & 0x0f);
      if (a) this.sendPort(command & 0x0f);
    } else if (high === REPORT_ANALOG) {
      if (a) this.reportAnalog.add(command & 0x0f);
      else this.reportAnalog.delete(command & 0x0f);
      if (a) this.sendAnalog(command & 0x0f);
    }
  }

  private sysex([command, ...data]: number[]): void {
    if (command === QUERY_FIRMWARE) this.write(this.firmwareReport());
    else if (command === CAPABILITY_QUERY) this.write(this.capabilities());
    else if (command === ANALOG_MAPPING_QUERY) this.write(this.analogMapping());
    else if (command === PIN_STATE_QUERY) {
      const pin = data[0] ?? 0;
      this.write([
        START_SYSEX,
        PIN_STATE_RESPONSE,
        pin,
        this.modes[pin] ?? 0,
        this.levels[pin] ?? 0,
        END_SYSEX,
      ]);
    }
  }

  private capabilities(): number[] {
    const out = [START_SYSEX, CAPABILITY_RESPONSE];
    for (let pin = 0; pin < this.levels.length; pin++) {
      out.push(MODE.INPUT, 1, MODE.OUTPUT, 1, MODE.PULLUP, 1);
      if (pin >= this.digital) out.push(MODE.ANALOG, 10);
      out.push(0x7f);
    }
    out.push(END_SYSEX);
    return out;
  }

  private analogMapping(): number[] {
    const channels = this.levels.map((_, pin) => (pin >= this.digital ? pin - this.digital : 0x7f));
    return [START_SYSEX, ANALOG_MAPPING_RESPONSE, ...channels, END_SYSEX];
  }

  private sendPort(port: number): void {
    if (!this.reportPorts.has(port)) return;
    let value = 0;
    for (let i = 0; i < 8; i++) if (this.levels[port * 8 + i]) value |= 1 << i;
    this.write([DIGITAL_MESSAGE | port, value & 0x7f, (value >> 7) & 0x7f]);
  }

  private sendAnalog(channel: number): void {
    if (!this.reportAnalog.has(channel)) return;
    const value = this.analog[channel] ?? 0;
    this.write([ANALOG_MESSAGE | channel, value & 0x7f, (value >> 7) & 0x7f]);
  }

  /** Bytes written in one tick leave in one write (a 20 ms machine step can hold dozens of pulses). */
  private write(bytes: number[]): void {
    if (!this.port.isOpen) return;
    for (const b of bytes) this.out.push(b);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const chunk = Buffer.from(this.out);
      this.out = [];
      if (this.port.isOpen) this.port.write(chunk);
    });
  }
}
