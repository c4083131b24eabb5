import type { Logger } from "pino";
import { type LineKey, lineKey, type Sample, type Status, topics } from "../protocol/index.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { CounterListener, CounterSource, SourceHealth } from "./counter-source.ts";
import { MqttPublisher, type MqttTls, type RetainedMessage } from "./mqtt-publisher.ts";
import {
  isLineState,
  type LineState,
  MemoryOdometerStore,
  newerState,
  type OdometerStore,
} from "./odometer-store.ts";
import { type OdometerReading, Odometers } from "./odometers.ts";
import { MemoryOutbox, type Outbox } from "./outbox.ts";
import { Sampler } from "./sampler.ts";

export const FIRMWARE_VERSION = "masktally-firmware/0.2.0";
export const DEFAULT_PERSIST_MS = 2000;
export const DEFAULT_STATUS_MS = 60_000;

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
  /** CA (and optionally client certificate) for mqtts://. */
  tls?: MqttTls;
  /** Sample period in ms. */
  intervalMs: number;
  /** How often the odometers are saved to the store (default 2 s; also on stop). */
  persistMs?: number;
  /** How often the retained status is refreshed with the outbox depth (default 60 s; also on changes). */
  statusMs?: number;
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
  health: SourceHealth;
}

/**
 * The edge program: counter sources → odometers → sampler → outbox → MQTT. One MQTT connection per device
 * (the client id is the device id, so the broker keeps one persistent session). The last will covers the
 * first line's status only (MQTT allows one will per connection); on a clean stop every line's status is
 * published offline, and the gateway marks the other lines offline after 3 silent intervals.
 *
 * Restarts: each line resumes from the newer of the odometer store (saved every `persistMs`) and the
 * newest sample in the outbox journal (saved with every sample), so a restart never publishes an odometer
 * or seq below one already sent — the gateway would take that for a reset and count it again.
 */
export class Device {
  private readonly lines: LineRuntime[] = [];
  private readonly store: OdometerStore;
  private readonly outbox: Outbox;
  private readonly clock: Clock;
  private readonly log: Logger;
  private publisher: MqttPublisher | null = null;
  private timers: NodeJS.Timeout[] = [];
  private sampling: Promise<void> = Promise.resolve();
  private persisting: Promise<void> = Promise.resolve();

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

  /** Whether the MQTT connection is up. */
  get connected(): boolean {
    return this.publisher?.connected ?? false;
  }

  /** Loads odometers, connects (in the background: the outbox buffers meanwhile), starts counting and sampling. */
  async start(): Promise<void> {
    for (const l of this.opts.lines) this.lines.push(await this.loadLine(l));
    this.publisher = new MqttPublisher(this.outbox, {
      url: this.opts.broker,
      clientId: this.opts.device,
      ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
      ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      will: this.status(this.lines[0]!, "offline"),
      onConnect: () => this.statuses(),
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
      log: this.log,
    });
    this.publisher.start();
    await Promise.all(this.lines.map((l) => l.source.start(this.listenerFor(l))));
    this.timers = [
      setInterval(() => void this.sampleAll(), this.opts.intervalMs),
      setInterval(() => void this.persistAll(), this.opts.persistMs ?? DEFAULT_PERSIST_MS),
      setInterval(
        () => this.publisher?.publishRetained(this.statuses()),
        this.opts.statusMs ?? DEFAULT_STATUS_MS,
      ),
    ];
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
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.lines.map((l) => l.source.stop()));
    await this.sampling;
    await this.persistAll();
    await this.publisher?.stop(this.lines.map((l) => this.status(l, "offline")));
    await this.store.close();
    await this.outbox.close?.();
    this.log.info({ outbox: this.outbox.depth }, "device stopped");
  }

  /** Current odometers of a line (what the next sample will carry). */
  odometers(plant: string, line: string): OdometerReading {
    return this.runtime(plant, line).odometers.read();
  }

  /** The last sample taken for a line, or null. */
  lastSample(plant: string, line: string): Sample | null {
    return this.runtime(plant, line).last;
  }

  /** Whether a line's hardware answers. */
  health(plant: string, line: string): SourceHealth {
    return { ...this.runtime(plant, line).health };
  }

  private runtime(plant: string, line: string): LineRuntime {
    const l = this.lines.find((x) => x.key === lineKey(plant, line));
    if (!l) throw new RangeError(`line ${plant}/${line} is not on this device`);
    return l;
  }

  private async loadLine(l: DeviceLine): Promise<LineRuntime> {
    const key = lineKey(l.plant, l.line);
    const saved = await this.store.load(key);
    const journaled = this.journaledState(topics.telemetry(l.plant, l.line));
    const state = newerState(saved, journaled);
    if (state !== saved)
      this.log.info(
        { line: key, epoch: state.epoch, seq: state.seq },
        "line resumed from the outbox journal",
      );
    if (state.cursor !== undefined) l.source.restore?.(state.cursor);
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
      health: { ok: true },
    };
  }

  private journaledState(topic: string): LineState | undefined {
    const text = this.outbox.lastState?.(topic);
    if (text === undefined) return undefined;
    try {
      const v: unknown = JSON.parse(text);
      return isLineState(v) ? v : undefined;
    } catch {
      return undefined;
    }
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
      health: (health) => {
        if (health.ok === l.health.ok) return;
        l.health = { ...health };
        if (health.ok) this.log.info({ line: l.key }, "hardware back: counting resumed");
        else this.log.warn({ line: l.key, error: health.error }, "hardware fault: retrying");
        this.publisher?.publishRetained([this.status(l, "online")]);
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
    // Read in the same tick as the sample: the checkpoint matches its odometers exactly.
    const state = JSON.stringify(this.lineState(l));
    l.last = sample;
    await this.outbox.append(topics.telemetry(l.plant, l.line), JSON.stringify(sample), state);
    this.publisher?.kick();
  }

  /** Saves every line's odometers (one atomic write for all); never two at once. */
  private persistAll(): Promise<void> {
    this.persisting = this.persisting.then(async () => {
      try {
        await Promise.all(this.lines.map((l) => this.store.save(l.key, this.lineState(l))));
      } catch (err) {
        this.log.error({ err }, "saving odometers failed; retrying at the next interval");
      }
    });
    return this.persisting;
  }

  private lineState(l: LineRuntime): LineState {
    const cursor = l.source.cursor?.();
    return { ...l.odometers.read(), ...l.sampler.state(), ...(cursor !== undefined ? { cursor } : {}) };
  }

  private statuses(): RetainedMessage[] {
    return this.lines.map((l) => this.status(l, "online"));
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
      ...(state === "online" ? { hardware: l.health.ok ? "ok" : "fault" } : {}),
      ...(state === "online" && l.health.error !== undefined && !l.health.ok
        ? { hardwareError: l.health.error.slice(0, 200) }
        : {}),
    };
    return { topic: topics.status(l.plant, l.line), payload: JSON.stringify(status) };
  }
}
