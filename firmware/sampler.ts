import type { Sample } from "../protocol/index.ts";
import type { Clock } from "./clock.ts";
import type { OdometerReading } from "./odometers.ts";

export interface SamplerState {
  epoch: string;
  /** Last seq used (0 = none yet). */
  seq: number;
  /** Last ts used (0 = none yet). */
  ts: number;
}

export interface Reading extends OdometerReading {
  run?: boolean;
  sensors?: Record<string, number>;
}

/**
 * Turns odometer readings into samples: seq monotonic per epoch, ts strictly increasing even when the
 * clock stands still or steps back (InfluxDB keys points by time: two samples must never share one).
 */
export class Sampler {
  private seq: number;
  private ts: number;

  constructor(
    private readonly device: string,
    readonly epoch: string,
    private readonly clock: Clock,
    start: Pick<SamplerState, "seq" | "ts"> = { seq: 0, ts: 0 },
  ) {
    this.seq = start.seq;
    this.ts = start.ts;
  }

  take(reading: Reading): Sample {
    this.seq += 1;
    this.ts = Math.max(this.clock.now(), this.ts + 1);
    const sample: Sample = {
      v: 1,
      device: this.device,
      epoch: this.epoch,
      seq: this.seq,
      ts: this.ts,
      good: reading.good,
      reject: reading.reject,
    };
    if (reading.run !== undefined) sample.run = reading.run;
    if (reading.sensors && Object.keys(reading.sensors).length > 0) sample.sensors = { ...reading.sensors };
    return sample;
  }

  state(): SamplerState {
    return { epoch: this.epoch, seq: this.seq, ts: this.ts };
  }
}
