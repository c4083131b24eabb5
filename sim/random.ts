/** A seeded pseudo-random source: same seed, same sequence, on every machine (the simulator's ground truth depends on it). */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: a tiny 32-bit PRNG, good enough for simulation and fully deterministic. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** FNV-1a hash of a string to 32 bits: derives independent, stable seeds (e.g. per line from the run's seed). */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Exponentially distributed value with the given mean (memoryless waiting times: random stops). */
export function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random.next()) * mean;
}
