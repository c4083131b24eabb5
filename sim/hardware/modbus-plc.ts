import Modbus from "modbus-serial";
import type { WordOrder } from "../../firmware/counter-unwrap.ts";
import type { PinDriver } from "../pin-driver.ts";
import type { SimWiring } from "../sim-machine.ts";

/** Where the PLC keeps its counters (holding registers) and its run signal (coil and discrete input). */
export interface PlcLayout {
  good: { register: number; words: 1 | 2 };
  reject: { register: number; words: 1 | 2 };
  /** Coil and discrete input number of the "machine running" bit. */
  run: number;
  /** Holding register with the weld temperature's raw ADC value, if wired. */
  temp?: number;
  wordOrder: WordOrder;
}

export const DEFAULT_PLC_LAYOUT: PlcLayout = {
  good: { register: 0, words: 1 },
  reject: { register: 1, words: 1 },
  run: 0,
  temp: 10,
  wordOrder: "high-first",
};

export interface ModbusPlcOptions {
  /** The emulator's end of a serial line (PtyPair.devicePath). */
  path: string;
  unitId?: number;
  layout?: PlcLayout;
  /** Which simulated pins feed which counter (SimMachine's wiring). */
  wiring: SimWiring;
  /** Counter values at power-on (a PLC's counters are wherever they were; e.g. near the wrap). */
  start?: { good: number; reject: number };
}

/**
 * A PLC as a Modbus RTU slave (modbus-serial's ServerSerial) on a serial port: it counts the machine's
 * pulses itself in 16- or 32-bit holding registers that wrap like the real ones, and exposes the run
 * signal as a coil and a discrete input. The PLC keeps counting whatever happens to the firmware — that
 * is why a Modbus source loses nothing across a firmware restart. Fault injection: `corruptResponses(n)`
 * flips a bit in the next n responses (the firmware sees CRC errors), `silence(n)` drops them (timeouts),
 * `reset()` zeroes the counters (operator reset, power cycle).
 */
export class ModbusPlc implements PinDriver {
  private good: number;
  private reject: number;
  private running = false;
  private temp = 0;
  private corrupt = 0;
  private silent = 0;
  private server: InstanceType<typeof Modbus.ServerSerial> | null = null;
  /** Responses corrupted / dropped so far. */
  readonly injected = { corrupted: 0, dropped: 0 };
  private readonly layout: PlcLayout;

  private constructor(private readonly opts: ModbusPlcOptions) {
    this.layout = opts.layout ?? DEFAULT_PLC_LAYOUT;
    this.good = opts.start?.good ?? 0;
    this.reject = opts.start?.reject ?? 0;
  }

  static async open(opts: ModbusPlcOptions): Promise<ModbusPlc> {
    const plc = new ModbusPlc(opts);
    await plc.attach(opts.path);
    return plc;
  }

  /** Connects the PLC's RS-485 side to a serial port (again, after `detach`). */
  async attach(path: string): Promise<void> {
    await this.detach();
    const vector = {
      getHoldingRegister: (addr: number) => this.register(addr),
      // One request reads a consistent snapshot of several registers (a 32-bit counter's two words).
      getMultipleHoldingRegisters: (addr: number, length: number) =>
        Array.from({ length }, (_, i) => this.register(addr + i)),
      getInputRegister: (addr: number) => this.register(addr),
      getCoil: (addr: number) => addr === this.layout.run && this.running,
      getDiscreteInput: (addr: number) => addr === this.layout.run && this.running,
    };
    await new Promise<void>((resolve, reject) => {
      this.server = new Modbus.ServerSerial(vector, {
        path,
        baudRate: 115_200,
        unitID: this.opts.unitId ?? 1,
        // Frames are delimited by silence (Modbus RTU t3.5); over a pty 10 ms is plenty.
        interval: 10,
        openCallback: (err?: Error | null) => (err ? reject(err) : resolve()),
        portResponse: { write: (buf: Buffer) => this.respond(buf) },
      } as never);
    });
  }

  /** Disconnects the serial side; the PLC keeps counting (it does not need the firmware to count). */
  async detach(): Promise<void> {
    const server = this.server;
    this.server = null;
    const port = serialOf(server);
    if (server && port?.isOpen) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Current counter values (what the registers hold). */
  get counters(): { good: number; reject: number } {
    return { good: this.good, reject: this.reject };
  }

  corruptResponses(n: number): void {
    this.corrupt += n;
  }

  silence(n: number): void {
    this.silent += n;
  }

  /** The counters drop to 0, as after an operator reset or a PLC power cycle without retentive memory. */
  reset(): void {
    this.good = 0;
    this.reject = 0;
  }

  async close(): Promise<void> {
    await this.detach();
  }

  // ---- PinDriver: the machine's side ----

  setLevel(pin: number | string, value: 0 | 1): void {
    if (String(pin) === String(this.opts.wiring.run)) this.running = value === 1;
  }

  pulse(pin: number | string): boolean {
    const modulus = (c: { words: 1 | 2 }) => (c.words === 1 ? 0x10000 : 0x1_0000_0000);
    if (String(pin) === String(this.opts.wiring.good))
      this.good = (this.good + 1) % modulus(this.layout.good);
    else if (String(pin) === String(this.opts.wiring.reject))
      this.reject = (this.reject + 1) % modulus(this.layout.reject);
    else return false;
    return true;
  }

  setAnalog(_pin: number | string, raw: number): void {
    this.temp = Math.max(0, Math.min(0xffff, Math.round(raw)));
  }

  // ---- registers and the wire ----

  private register(addr: number): number {
    const { good, reject, temp } = this.layout;
    return (
      word(this.good, good, addr, this.layout.wordOrder) ??
      word(this.reject, reject, addr, this.layout.wordOrder) ??
      (addr === temp ? this.temp : 0)
    );
  }

  private respond(buf: Buffer): void {
    if (this.silent > 0) {
      this.silent -= 1;
      this.injected.dropped += 1;
      return;
    }
    const out = Buffer.from(buf);
    if (this.corrupt > 0) {
      this.corrupt -= 1;
      this.injected.corrupted += 1;
      out[out.length - 1]! ^= 0x01;
    }
    const port = serialOf(this.server);
    if (port?.isOpen) port.write(out);
  }
}

/** The register word `addr` of a counter at `c.register` (1 or 2 words), or undefined when not its own. */
function word(value: number, c: { register: number; words: 1 | 2 }, addr: number, order: WordOrder) {
  if (addr < c.register || addr >= c.register + c.words) return undefined;
  if (c.words === 1) return value & 0xffff;
  const high = Math.floor(value / 0x10000) & 0xffff;
  const low = value & 0xffff;
  const first = order === "high-first" ? high : low;
  const second = order === "high-first" ? low : high;
  return addr === c.register ? first : second;
}

/** ServerSerial's own serial port (not part of its typings). */
function serialOf(server: unknown): { write(b: Buffer): void; isOpen: boolean } | undefined {
  return (server as { _serverPath?: { write(b: Buffer): void; isOpen: boolean } } | null)?._serverPath;
}
