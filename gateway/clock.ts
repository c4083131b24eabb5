/** Time as the gateway sees it: injected so the counting and line-state core can be tested with a fake. */
export interface Clock {
  /** ms since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
