/** Wall-clock time in ms since the Unix epoch; injected so the pure core is testable with a fake clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
