import type { Counts } from "../../protocol/index.ts";

/**
 * One accepted sample turned into exact counts (DESIGN.md, counting contract): `good`/`reject` are the
 * deltas since the previous sample of the same (plant, line, epoch); `goodOdo`/`rejectOdo` the device's
 * odometers, kept so a restarted gateway can recover where each line stood.
 * Stored as one InfluxDB point keyed by (plant, line, epoch, ts): writing the same point again overwrites it.
 */
export interface OutputPoint {
  plant: string;
  line: string;
  epoch: string;
  device: string;
  seq: number;
  /** ms since the Unix epoch; strictly increasing per (plant, line, epoch). */
  ts: number;
  good: number;
  reject: number;
  goodOdo: number;
  rejectOdo: number;
  run?: boolean | undefined;
}

/** Where a (plant, line, epoch) series stood at its newest stored point. */
export interface OdometerMark {
  plant: string;
  line: string;
  epoch: string;
  seq: number;
  ts: number;
  goodOdo: number;
  rejectOdo: number;
}

export interface OutputQuery {
  /** Inclusive lower bound. */
  from: Date;
  /** Exclusive upper bound. */
  to: Date;
  plant?: string | undefined;
  line?: string | undefined;
}

/** Persistent store of counted output. Implemented by InfluxSampleStore (InfluxDB 1.x through node-influx). */
export interface SampleStore {
  /** Writes points; resolves only when the server has accepted all of them. Rewriting a point is idempotent. */
  write(points: readonly OutputPoint[]): Promise<void>;
  /** Exact sums of stored deltas with from ≤ t < to, per line that has any point in the range. */
  sumOutput(q: OutputQuery): Promise<Array<{ plant: string; line: string } & Counts>>;
  /** The newest mark of every (plant, line, epoch) series, to resume counting after a restart. */
  lastMarks(): Promise<OdometerMark[]>;
  /** True when the server answers. */
  ping(): Promise<boolean>;
}
