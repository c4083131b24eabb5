import { performance } from "node:perf_hooks";
import Modbus from "modbus-serial";
import type { Logger } from "pino";
import type { Clock } from "./clock.ts";
import type { Channel, CounterListener, CounterSource, SourceHealth } from "./counter-source.ts";
import {
  type CounterBits,
  decodeCounter,
  plausibleStep,
  unwrapCounter,
  type WordOrder,
} from "./counter-unwrap.ts";

export interface ModbusCounter {
  /** Holding register address (0-based, as on the wire: 40001 in PLC manuals is 0). */
  register: number;
  /** 1 = 16-bit, 2 = 32-bit counter. */
  words: 1 | 2;
}

export interface ModbusSensor {
  name: string;
  register: number;
  /** reading = raw × scale + offset; readings outside [min, max] are sensor faults and not reported. */
  scale?: number;
  offset?: number;
  min?: number;
  max?: number;
}

export interface ModbusCounterSourceOptions {
  /** Serial port of the RS-485 adapter (e.g. /dev/ttyUSB0). */
  port: string;
  baudRate: number;
  parity: "none" | "even" | "odd";
  unitId: number;
  good: ModbusCounter;
  reject?: ModbusCounter;
  /** The running bit: a coil (FC1) or a discrete input (FC2). */
  run?: { coil?: number; discreteInput?: number; activeLow?: boolean };
  sensors?: ModbusSensor[];
  wordOrder: WordOrder;
  pollMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** The line's fastest plausible rate, masks/min: tells a wrap from a reset (counter-unwrap.ts). */
  maxPerMin: number;
  /** Consecutive failed polls before the hardware is reported at fault (default 3). */
  faultAfter?: number;
  retry?: { minMs: number; maxMs: number };
  /** Wall clock, for the downtime between a saved cursor and the first poll after a restart. */
  clock: Clock;
  log: Logger;
}

/** Where the source stood: the last raw register values it counted up to, and when (wall ms). */
export interface ModbusCursor {
  good: number | null;
  reject: number | null;
  at: number;
}

export interface ModbusStats {
  polls: number;
  crcErrors: number;
  timeouts: number;
  otherErrors: number;
  wraps: number;
  resets: number;
  implausible: number;
  reconnects: number;
}

type Client = InstanceType<typeof Modbus.default>;
const IMPLAUSIBLE_LIMIT = 3;

/**
 * Counts from a PLC's counter registers over Modbus RTU (modbus-serial, serialport). Each poll reads the
 * counters (both in one request when they are adjacent, so the values are a consistent snapshot), the run
 * bit and the sensors; counter-unwrap.ts turns raw values into deltas across wraps and resets. The last raw
 * values are the source's cursor, saved with the odometers: after a firmware restart the first poll counts
 * everything the PLC counted meanwhile, so nothing is lost. CRC errors and timeouts are counted and retried;
 * a port that closes (adapter unplugged) is reopened with capped backoff.
 */
export class ModbusCounterSource implements CounterSource {
  readonly stats: ModbusStats = {
    polls: 0,
    crcErrors: 0,
    timeouts: 0,
    otherErrors: 0,
    wraps: 0,
    resets: 0,
    implausible: 0,
    reconnects: 0,
  };
  private last: Record<Channel, number | null> = { good: null, reject: null };
  private implausibleRun: Record<Channel, number> = { good: 0, reject: 0 };
  /** Monotonic ms of the last good reading; null = use the cursor's wall time. */
  private lastReadAt: number | null = null;
  private restoredAt: number | null = null;
  private client: Client | null = null;
  private listener: CounterListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private backoffMs: number;
  private health: SourceHealth = { ok: true };

  constructor(private readonly opts: ModbusCounterSourceOptions) {
    this.backoffMs = opts.retry?.minMs ?? 1000;
  }

  get hasRunSignal(): boolean {
    return this.opts.run !== undefined;
  }

  cursor(): ModbusCursor {
    return { good: this.last.good, reject: this.last.reject, at: this.opts.clock.now() };
  }

  restore(cursor: unknown): void {
    const c = cursor as Partial<ModbusCursor> | null;
    const raw = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : null);
    if (typeof c !== "object" || c === null || !Number.isFinite(c.at)) return;
    this.last = { good: raw(c.good), reject: raw(c.reject) };
    this.restoredAt = c.at as number;
  }

  /** Resolves after the first poll (success or failure); polling goes on in the background. */
  async start(listener: CounterListener): Promise<void> {
    this.listener = listener;
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.disconnect();
  }

  private async tick(): Promise<void> {
    let delay = this.opts.pollMs;
    try {
      if (!this.client?.isOpen) await this.connect();
      await this.poll(this.client!);
      this.failures = 0;
      this.backoffMs = this.opts.retry?.minMs ?? 1000;
      this.setHealth({ ok: true });
    } catch (err) {
      delay = await this.failed(err as Error);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async connect(): Promise<void> {
    await this.disconnect();
    const client = new Modbus.default();
    await client.connectRTUBuffered(this.opts.port, {
      baudRate: this.opts.baudRate,
      parity: this.opts.parity,
      dataBits: 8,
      stopBits: this.opts.parity === "none" ? 2 : 1,
    });
    client.setID(this.opts.unitId);
    client.setTimeout(this.opts.timeoutMs);
    this.client = client;
    this.stats.reconnects += 1;
    this.opts.log.info({ port: this.opts.port, unitId: this.opts.unitId }, "modbus port open");
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  /** One poll: counters first (they matter most), then the run bit and sensors. */
  private async poll(client: Client): Promise<void> {
    const raw = await this.readCounters(client);
    const now = performance.now();
    const elapsed =
      this.lastReadAt !== null
        ? now - this.lastReadAt
        : this.opts.clock.now() - (this.restoredAt ?? this.opts.clock.now());
    const maxStep = plausibleStep(this.opts.maxPerMin, elapsed + this.opts.pollMs);
    for (const channel of ["good", "reject"] as const) {
      const value = raw[channel];
      if (value !== undefined) this.advance(channel, value, maxStep);
    }
    this.lastReadAt = now;
    this.stats.polls += 1;
    if (this.opts.run) await this.readRun(client, this.opts.run);
    for (const s of this.opts.sensors ?? []) await this.readSensor(client, s);
  }

  private advance(channel: Channel, raw: number, maxStep: number): void {
    const bits: CounterBits = this.counter(channel)!.words === 1 ? 16 : 32;
    const step = unwrapCounter(this.last[channel], raw, bits, maxStep);
    if (step.kind === "implausible") {
      this.stats.implausible += 1;
      this.implausibleRun[channel] += 1;
      this.opts.log.warn({ channel, raw, last: this.last[channel] }, "implausible counter reading ignored");
      if (this.implausibleRun[channel] < IMPLAUSIBLE_LIMIT) return;
      // It persists: the PLC really holds this value now (a preset, a replaced PLC). Start over from it.
      this.opts.log.warn({ channel, raw }, "counter re-based after repeated implausible readings");
    } else if (step.kind === "wrap") this.stats.wraps += 1;
    else if (step.kind === "reset") {
      this.stats.resets += 1;
      this.opts.log.warn(
        { channel, raw, last: this.last[channel] },
        "PLC counter reset: counting on from its new value",
      );
    }
    this.implausibleRun[channel] = 0;
    this.last[channel] = raw;
    if (step.delta > 0) this.deliver(() => this.listener?.count(channel, step.delta));
  }

  private counter(channel: Channel): ModbusCounter | undefined {
    return channel === "good" ? this.opts.good : this.opts.reject;
  }

  /** Reads both counters in one request when they sit within 8 registers of each other. */
  private async readCounters(client: Client): Promise<Partial<Record<Channel, number>>> {
    clearStaleReplies(client);
    const { good, reject } = this.opts;
    const order = this.opts.wordOrder;
    if (!reject) return { good: decodeCounter(await readWords(client, good.register, good.words), order) };
    const start = Math.min(good.register, reject.register);
    const end = Math.max(good.register + good.words, reject.register + reject.words);
    if (end - start <= 8) {
      const words = await readWords(client, start, end - start);
      const slice = (c: ModbusCounter) => words.slice(c.register - start, c.register - start + c.words);
      return { good: decodeCounter(slice(good), order), reject: decodeCounter(slice(reject), order) };
    }
    const g = decodeCounter(await readWords(client, good.register, good.words), order);
    return { good: g, reject: decodeCounter(await readWords(client, reject.register, reject.words), order) };
  }

  private async readRun(client: Client, run: NonNullable<ModbusCounterSourceOptions["run"]>): Promise<void> {
    clearStaleReplies(client);
    const result =
      run.coil !== undefined
        ? await client.readCoils(run.coil, 1)
        : await client.readDiscreteInputs(run.discreteInput ?? 0, 1);
    const bit = result.data[0] === true;
    this.deliver(() => this.listener?.run(bit !== (run.activeLow ?? false)));
  }

  private async readSensor(client: Client, s: ModbusSensor): Promise<void> {
    clearStaleReplies(client);
    const [raw = 0] = await readWords(client, s.register, 1);
    const value = raw * (s.scale ?? 1) + (s.offset ?? 0);
    if (value < (s.min ?? -Infinity) || value > (s.max ?? Infinity)) return;
    this.deliver(() => this.listener?.sensor(s.name, value));
  }

  /** Counts the failure; reports a fault after a few in a row; returns the delay before the next try. */
  private async failed(err: Error): Promise<number> {
    const message = err.message ?? String(err);
    if (/CRC/i.test(message)) this.stats.crcErrors += 1;
    else if (/timed out/i.test(message) || (err as { errno?: string }).errno === "ETIMEDOUT")
      this.stats.timeouts += 1;
    else this.stats.otherErrors += 1;
    this.failures += 1;
    const portGone = !this.client?.isOpen;
    if (portGone) await this.disconnect();
    if (portGone || this.failures >= (this.opts.faultAfter ?? 3)) {
      this.setHealth({ ok: false, error: `modbus ${this.opts.port} unit ${this.opts.unitId}: ${message}` });
    }
    this.opts.log.debug({ err: message, failures: this.failures, stats: this.stats }, "modbus poll failed");
    if (!portGone) return this.opts.pollMs;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.retry?.maxMs ?? 30_000);
    return delay;
  }

  private setHealth(health: SourceHealth): void {
    if (health.ok === this.health.ok) return;
    this.health = health;
    if (!health.ok) this.opts.log.warn({ error: health.error, stats: this.stats }, "PLC unavailable");
    this.deliver(() => this.listener?.health?.(health));
  }

  private deliver(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error({ err }, "counter listener failed");
    }
  }
}

async function readWords(client: Client, register: number, count: number): Promise<number[]> {
  const result = await client.readHoldingRegisters(register, count);
  if (result.data.length !== count) throw new Error(`expected ${count} registers, got ${result.data.length}`);
  return result.data;
}

/**
 * modbus-serial's RTU buffered port keeps unread bytes across requests, so a reply that arrived after its
 * request timed out would be taken for the answer to the next one — an old counter value. Drop them.
 */
function clearStaleReplies(client: Client): void {
  const port = (client as unknown as { _port?: { _buffer?: Buffer } })._port;
  if (port && port._buffer !== undefined) port._buffer = Buffer.alloc(0);
}
