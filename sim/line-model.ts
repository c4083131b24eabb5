import { exponential, hashSeed, mulberry32, type Random } from "./random.ts";

/** A planned or forced stop in simulated seconds from the start of the run (`--stop plant/line@START+DURATION`). */
export interface StopWindow {
  startSec: number;
  durationSec: number;
}

export interface RandomStops {
  /** Mean running time between two random stops, simulated seconds. */
  meanIntervalSec: number;
  /** Mean length of a random stop, simulated seconds (at least 1 s each). */
  meanDurationSec: number;
}

export interface LineModelOptions {
  seed: number;
  /** Rated speed, masks per minute. */
  ratedPerMin: number;
  /** Relative cycle-time jitter, each cycle uniform in ±jitter (default 0.05). */
  jitter?: number;
  /** Probability that a mask goes to the reject chute (default 0.01). */
  rejectRate?: number;
  /** Occasional random stops; `false` disables them (default: every ~45 min for ~3 min). */
  randomStops?: RandomStops | false;
  /** Forced stops from a schedule. */
  stops?: StopWindow[];
}

/** What the machine did, at simulated ms since the start of the run. */
export type LineEvent = { t: number; kind: "good" | "reject" } | { t: number; kind: "run"; running: boolean };

export const DEFAULT_RANDOM_STOPS: RandomStops = { meanIntervalSec: 45 * 60, meanDurationSec: 180 };

interface Window {
  start: number;
  end: number;
}

/**
 * A mask production line as a pure, seeded state machine: `advance(toMs)` returns every event up to that
 * simulated time. Chunking does not matter: the same seed gives the same events however time is advanced,
 * because pulses and stops draw from separate random streams in event order.
 */
export class LineModel {
  readonly totals = { good: 0, reject: 0 };
  private readonly pulses: Random;
  private readonly stopRandom: Random;
  private readonly forced: Window[];
  private readonly cycleMs: number;
  private readonly jitter: number;
  private readonly rejectRate: number;
  private readonly randomStops: RandomStops | false;
  private randomStop: Window = { start: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY };
  private cursor = 0;
  private runningNow: boolean | null = null;
  private nextPulse = Number.POSITIVE_INFINITY;

  constructor(opts: LineModelOptions) {
    if (!(opts.ratedPerMin > 0)) throw new RangeError("ratedPerMin must be > 0");
    this.pulses = mulberry32(opts.seed);
    this.stopRandom = mulberry32(hashSeed(`${opts.seed}:stops`));
    this.cycleMs = 60_000 / opts.ratedPerMin;
    this.jitter = Math.min(Math.max(opts.jitter ?? 0.05, 0), 0.9);
    this.rejectRate = Math.min(Math.max(opts.rejectRate ?? 0.01, 0), 1);
    this.randomStops = opts.randomStops ?? DEFAULT_RANDOM_STOPS;
    this.forced = (opts.stops ?? [])
      .filter((s) => s.durationSec > 0)
      .map((s) => ({ start: s.startSec * 1000, end: (s.startSec + s.durationSec) * 1000 }))
      .sort((a, b) => a.start - b.start);
    if (this.randomStops) this.randomStop = this.nextRandomStop(0);
  }

  /** Whether the machine runs at the current simulated time (false before the first `advance`). */
  get running(): boolean {
    return this.runningNow ?? false;
  }

  /** Simulated ms up to which events have been produced. */
  get time(): number {
    return this.cursor;
  }

  /** Every event in (previous time, toMs], in time order; the first call also reports the run level at 0. */
  advance(toMs: number): LineEvent[] {
    const events: LineEvent[] = [];
    if (this.runningNow === null) this.begin(events);
    for (;;) {
      const boundary = this.nextBoundary(this.cursor);
      if (this.runningNow && this.nextPulse < boundary && this.nextPulse <= toMs) {
        this.emitPulse(events);
      } else if (boundary <= toMs) {
        this.crossBoundary(boundary, events);
      } else {
        break;
      }
    }
    this.cursor = Math.max(this.cursor, toMs);
    return events;
  }

  private begin(events: LineEvent[]): void {
    this.runningNow = !this.isDown(0);
    events.push({ t: 0, kind: "run", running: this.runningNow });
    if (this.runningNow) this.nextPulse = this.cycle();
  }

  private emitPulse(events: LineEvent[]): void {
    const t = this.nextPulse;
    const kind = this.pulses.next() < this.rejectRate ? "reject" : "good";
    this.totals[kind] += 1;
    events.push({ t, kind });
    this.cursor = t;
    this.nextPulse = t + this.cycle();
  }

  private crossBoundary(t: number, events: LineEvent[]): void {
    this.cursor = t;
    while (this.randomStops && this.randomStop.end <= t)
      this.randomStop = this.nextRandomStop(this.randomStop.end);
    const running = !this.isDown(t);
    if (running === this.runningNow) return;
    this.runningNow = running;
    events.push({ t, kind: "run", running });
    this.nextPulse = running ? t + this.cycle() : Number.POSITIVE_INFINITY;
  }

  /** One machine cycle in ms: the rated cycle time with uniform jitter. */
  private cycle(): number {
    return this.cycleMs * (1 + this.jitter * (2 * this.pulses.next() - 1));
  }

  private nextRandomStop(after: number): Window {
    if (!this.randomStops) return { start: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY };
    const start = after + exponential(this.stopRandom, this.randomStops.meanIntervalSec * 1000);
    const duration = Math.max(1000, exponential(this.stopRandom, this.randomStops.meanDurationSec * 1000));
    return { start, end: start + duration };
  }

  private isDown(t: number): boolean {
    const inside = (w: Window) => w.start <= t && t < w.end;
    return inside(this.randomStop) || this.forced.some(inside);
  }

  /** The first time after `t` at which the run level may change. */
  private nextBoundary(t: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const edge of [
      this.randomStop.start,
      this.randomStop.end,
      ...this.forced.flatMap((w) => [w.start, w.end]),
    ]) {
      if (edge > t && edge < next) next = edge;
    }
    return next;
  }
}
