import type { Sample } from "../../protocol/index.ts";
import type { OdometerMark, OutputPoint } from "../store/sample-store.ts";

export type TrackerRejection = "duplicate" | "stale";

export type TrackerResult =
  | {
      ok: true;
      point: OutputPoint;
      /** Channels whose odometer went down within the epoch (PLC or firmware reset): counted from zero. */
      resets: ReadonlyArray<"good" | "reject">;
      /** The sample's ts was not after the series' last ts; the point was moved to last ts + 1 ms. */
      shiftedTs: boolean;
    }
  | { ok: false; reason: TrackerRejection; lastSeq: number };

interface Mark {
  seq: number;
  ts: number;
  goodOdo: number;
  rejectOdo: number;
}

function seriesKey(plant: string, line: string, epoch: string): string {
  return `${plant}/${line}/${epoch}`;
}

const NO_RESETS: ReadonlyArray<"good" | "reject"> = Object.freeze([]);

/**
 * Turns cumulative odometers into deltas per (plant, line, epoch) — the counting contract (DESIGN.md).
 * Pure: no clock, no I/O. A seq at or below the series' last seq never adds counts (duplicate or stale).
 * A new epoch starts from zero. Timestamps stay strictly increasing per series, because InfluxDB keys a
 * point by measurement + tags + time and two samples sharing a ts would overwrite each other (STACK.md).
 */
export class OdometerTracker {
  readonly #marks = new Map<string, Mark>();

  /** Seeds the tracker from the store's newest marks, so a restarted gateway neither double-counts nor forgets. */
  restore(marks: readonly OdometerMark[]): void {
    for (const m of marks) {
      const key = seriesKey(m.plant, m.line, m.epoch);
      const known = this.#marks.get(key);
      if (known === undefined || m.seq > known.seq) {
        this.#marks.set(key, { seq: m.seq, ts: m.ts, goodOdo: m.goodOdo, rejectOdo: m.rejectOdo });
      }
    }
  }

  /** The last accepted mark of a series, if any. */
  last(plant: string, line: string, epoch: string): Readonly<Mark> | undefined {
    const m = this.#marks.get(seriesKey(plant, line, epoch));
    return m === undefined ? undefined : { ...m }; // a copy: marks are updated in place
  }

  /**
   * Accepts one sample (already validated against the schema); updates the series only when it yields a point.
   * A decrease of an odometer within an epoch is a reset: the new odometer is all new counts. Hot path: the
   * series' mark is updated in place.
   */
  accept(plant: string, line: string, sample: Sample): TrackerResult {
    const key = seriesKey(plant, line, sample.epoch);
    const last = this.#marks.get(key);
    if (last !== undefined && sample.seq <= last.seq) {
      return { ok: false, reason: sample.seq === last.seq ? "duplicate" : "stale", lastSeq: last.seq };
    }
    const lastGood = last?.goodOdo ?? 0;
    const lastReject = last?.rejectOdo ?? 0;
    const goodReset = sample.good < lastGood;
    const rejectReset = sample.reject < lastReject;
    const shiftedTs = last !== undefined && sample.ts <= last.ts;
    const ts = shiftedTs ? last.ts + 1 : sample.ts;
    if (last === undefined) {
      this.#marks.set(key, { seq: sample.seq, ts, goodOdo: sample.good, rejectOdo: sample.reject });
    } else {
      last.seq = sample.seq;
      last.ts = ts;
      last.goodOdo = sample.good;
      last.rejectOdo = sample.reject;
    }
    const point: OutputPoint = {
      plant,
      line,
      epoch: sample.epoch,
      device: sample.device,
      seq: sample.seq,
      ts,
      good: goodReset ? sample.good : sample.good - lastGood,
      reject: rejectReset ? sample.reject : sample.reject - lastReject,
      goodOdo: sample.good,
      rejectOdo: sample.reject,
    };
    if (sample.run !== undefined) point.run = sample.run;
    let resets = NO_RESETS;
    if (goodReset || rejectReset) {
      const channels: Array<"good" | "reject"> = [];
      if (goodReset) channels.push("good");
      if (rejectReset) channels.push("reject");
      resets = channels;
    }
    return { ok: true, resets, shiftedTs, point };
  }
}
