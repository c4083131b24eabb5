import type { Channel } from "./counter-source.ts";

export interface OdometerReading {
  good: number;
  reject: number;
}

/**
 * Per-channel monotonic odometers of one line within one epoch (DESIGN.md, counting contract): they only
 * ever grow, so a lost sample costs nothing — the next one carries the same counts and more.
 */
export class Odometers {
  private readonly values: OdometerReading;

  constructor(start: OdometerReading = { good: 0, reject: 0 }) {
    for (const v of [start.good, start.reject]) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`invalid odometer start ${v}`);
    }
    this.values = { good: start.good, reject: start.reject };
  }

  add(channel: Channel, n = 1): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`invalid count ${n}`);
    this.values[channel] += n;
  }

  read(): OdometerReading {
    return { ...this.values };
  }
}
