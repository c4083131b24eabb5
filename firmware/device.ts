import type { Logger } from "pino";
import { type LineKey, lineKey, type Sample, type Status, topics } from "../protocol/index.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { CounterListener, CounterSource } from "./counter-source.ts";
import { MqttPublisher, type RetainedMessage } from "./mqtt-publisher.ts";
import { MemoryOdometerStore, type OdometerStore } from "./odometer-store.ts";
import { type OdometerReading, Odometers } from "./odometers.ts";
import { MemoryOutbox, type Outbox } from "./outbox.ts";
import { Sampler } from "./sampler.ts";

export const FIRMWARE_VERSION = "masktally-firmware/0.1.0";

export interface DeviceLine {
  plant: string;
  line: string;
  source: CounterSource;
}

export interface DeviceOptions {
  /** Device id; also the MQTT client id of the persistent session. */
  device: string;
  broker: string;
  username?: string;
  password?: string;
  /** Sample period in ms. */
  intervalMs: number;
  lines: DeviceLine[];
  store?: OdometerStore;
  outbox?: Outbox;
  clock?: Clock;
  backoff?: { minMs: number; maxMs: number };
  log: Logger;
}

export interface FlushResult {
  /** True when the outbox emptied before the timeout. */
  drained: boolean;
  /** Entries still waiting. */
  depth: number;
}

interface LineRuntime {
  key: LineKey;
  plant: string;
  line: string;
  source: CounterSource;
  odometers: Odometers;
  sampler: Sampler;
  run: boolean | undefined;
  sensors: Record<string, number>;
  last: Sample | null;
}

/**
 * The edge program: counter sources → odometers → sampler → outbox → MQTT. One MQTT connection per device
 * (the client id is the device id, so the broker keeps one persistent session). The last will covers the
 * first line's status only (MQTT allows one will per connection); on a clean stop every line's status is
 * published offline, and the gateway marks the other lines offline after 3 silent intervals.
 */
export class Device {
  private readonly lines: LineRuntime[] = [];
  private readonly store: OdometerStore;
  private readonly outbox: Outbox;
  private readonly clock: Clock;
  private readonly log: Logger;
  private publisher: MqttPublisher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly opts: DeviceOptions) {
    if (opts.lines.length === 0) throw new RangeError("a device needs at least one line");
    this.store = opts.store ?? new MemoryOdometerStore();
    this.outbox = opts.outbox ?? new MemoryOutbox();
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
  }

  get id(): string {
    return this.opts.device;
  }

  get outboxDepth(): number {
    return this.outbox.depth;
  }

  /** Loads odometers, connects (in the background: the outbox buffers meanwhile), starts counting and sampling. */
  async start(): Promise<void> {
    for (const l of this.opts.lines) this.lines.push(await this.loadLine(l));
    this.publisher = new MqttPublisher(this.outbox, {
      url: this.opts.broker,
      clientId: this.opts.device,
      ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
      will: this.status(this.lines[0]!, "offline"),
      onConnect: () => this.lines.map((l) => this.status(l, "online")),
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      log: this.log,
    });
    this.publisher.start();
    for (const l of this.lines) await l.source.start(this.listenerFor(l));
    this.timer = setInterval(() => void this.sampleAll(), this.opts.intervalMs);
    this.log.info({ lines: this.lines.map((l) => l.key) }, "device started");
  }

  /** Takes one final sample of every line, then waits until the outbox is empty or `timeoutMs` passes. */
  async flush(timeoutMs: number): Promise<FlushResult> {
    await this.sampleAll();
    const drained = (await this.publisher?.drained(timeoutMs)) ?? this.outbox.depth === 0;
    return { drained, depth: this.outbox.depth };
  }

  /** Stops counting and sampling, saves odometers, publishes every line offline, disconnects. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const l of this.lines) await l.source.stop();
    await this.sampling;
    for (const l of this.lines) await this.store.save(l.key, this.lineState(l));
    await this.publisher?.stop(this.lines.map((l) => this.status(l, "offline")));
    await this.store.close();
    this.log.info({ outbox: this.outbox.depth }, "device stopped");
  }

  /** Current odometers of a line (what the next sample will carry). */
  odometers(plant: string, line: string): OdometerReading {
    const l = this.lines.find((x) => x.key === lineKey(plant, line));
    if (!l) throw new RangeError(`line ${plant}/${line} is not on this device`);
    return l.odometers.read();
  }

  /** The last sample taken for a line, or null. */
  lastSample(plant: string, line: string): Sample | null {
    return this.lines.find((x) => x.key === lineKey(plant, line))?.last ?? null;
  }

  private async loadLine(l: DeviceLine): Promise<LineRuntime> {
    const key = lineKey(l.plant, l.line);
    const state = await this.store.load(key);
    return {
      key,
      plant: l.plant,
      line: l.line,
      source: l.source,
      odometers: new Odometers(state),
      sampler: new Sampler(this.opts.device, state.epoch, this.clock, state),
      run: undefined,
      sensors: {},
      last: null,
    };
  }

  private listenerFor(l: LineRuntime): CounterListener {
    return {
      count: (channel, n) => l.odometers.add(channel, n),
      run: (running) => {
        l.run = running;
      },
      sensor: (name, value) => {
        l.sensors[name] = value;
      },
    };
  }

  /** Samples every line in order; serialized so outbox order is sample order. */
  private sampleAll(): Promise<void> {
    this.sampling = this.sampling.then(async () => {
      try {
        for (const l of this.lines) await this.sampleLine(l);
      } catch (err) {
        this.log.error({ err }, "sampling failed");
      }
    });
    return this.sampling;
  }

  private async sampleLine(l: LineRuntime): Promise<void> {
    const sample = l.sampler.take({
      ...l.odometers.read(),
      ...(l.source.hasRunSignal && l.run !== undefined ? { run: l.run } : {}),
      sensors: l.sensors,
    });
    l.last = sample;
    await this.outbox.append(topics.telemetry(l.plant, l.line), JSON.stringify(sample));
    await this.store.save(l.key, this.lineState(l));
    this.publisher?.kick();
  }

  private lineState(l: LineRuntime) {
    return { ...l.odometers.read(), ...l.sampler.state() };
  }

  private status(l: LineRuntime, state: Status["state"]): RetainedMessage {
    const status: Status = {
      v: 1,
      state,
      device: this.opts.device,
      epoch: l.sampler.epoch,
      ts: this.clock.now(),
      outbox: this.outbox.depth,
      firmware: FIRMWARE_VERSION,
    };
    return { topic: topics.status(l.plant, l.line), payload: JSON.stringify(status) };
  }
}
