import type { InfluxDB } from "influx";
import type { Clock } from "../../../gateway/clock.ts";
import { HourlyRollups } from "../../../gateway/store/rollup-hours.ts";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";
import { silentLogger } from "../support/fakes.ts";

/** HourlyRollups as the rollup tests run them: a fast tick, a fake clock, no logs. Not yet opened. */
export function testRollups(influx: InfluxDB, clock: Clock, rerollDelayMs?: number): HourlyRollups {
  return new HourlyRollups({ influx, clock, log: silentLogger(), tickMs: 50, rerollDelayMs });
}

/** A point of plant p1 for the rollup tests: seq from the time, odometers unused. */
export function point(line: string, ts: number, good: number, reject: number, epoch = "e1"): OutputPoint {
  return {
    plant: "p1",
    line,
    epoch,
    device: `d-${line}`,
    seq: ts / 1000,
    ts,
    good,
    reject,
    goodOdo: 0,
    rejectOdo: 0,
  };
}

/** History over [from, to): 2 lines, a point every 20 min, l1 with varying counts. */
export function history(from: number, to: number): OutputPoint[] {
  const out: OutputPoint[] = [];
  for (let t = from; t < to; t += 20 * 60_000) {
    out.push(point("l1", t, (t / 60_000) % 7, (t / 60_000) % 2));
    out.push(point("l2", t + 1000, 3, 1));
  }
  return out;
}
