/**
 * Pure arithmetic for PLC counter registers (DESIGN.md, counting contract): decode 16/32-bit values from
 * Modbus words, and turn successive raw readings into non-negative deltas, unwrapping register wrap-around
 * and recognising a counter reset. No I/O, no clock: the Modbus source feeds it readings and elapsed time.
 */

/**
 * Order of the two 16-bit words of a 32-bit value. Modbus itself only defines 16-bit registers; most PLCs
 * (Siemens, Delta, Mitsubishi FX via Modbus) send the high word first ("big-endian" / ABCD), Schneider and
 * some Omron models the low word first (CDAB). The PLC manual says which; the device config picks it.
 */
export type WordOrder = "high-first" | "low-first";

export type CounterBits = 16 | 32;

/** Decodes one unsigned counter from 1 (16-bit) or 2 (32-bit) register words. */
export function decodeCounter(words: readonly number[], order: WordOrder): number {
  for (const w of words) {
    if (!Number.isInteger(w) || w < 0 || w > 0xffff) throw new RangeError(`not a register word: ${w}`);
  }
  if (words.length === 1) return words[0]!;
  if (words.length !== 2) throw new RangeError(`a counter is 1 or 2 words, got ${words.length}`);
  const [first, second] = words as [number, number];
  const [high, low] = order === "high-first" ? [first, second] : [second, first];
  return high * 0x10000 + low;
}

/** What one reading meant. */
export type UnwrapKind =
  /** The first reading of a source: it sets the baseline and adds nothing (earlier counts are not ours). */
  | "baseline"
  /** The counter moved forward (or stood still). */
  | "step"
  /** The register passed its maximum and started again from 0. */
  | "wrap"
  /** The value dropped further than a wrap allows: the PLC counter was reset (power cycle, operator, shift). */
  | "reset"
  /**
   * The value dropped, but neither a wrap nor a reset explains it (a reset would leave at most `maxStep`
   * counts): a stale or garbled reply. It adds nothing and does not replace the previous reading.
   */
  | "implausible";

export interface UnwrapStep {
  kind: UnwrapKind;
  /** Items counted since the previous reading (never negative). */
  delta: number;
}

export function modulusOf(bits: CounterBits): number {
  return bits === 16 ? 0x10000 : 0x1_0000_0000;
}

/**
 * The delta between two raw readings of a `bits`-wide counter.
 *
 * A drop (`raw < last`) is either a wrap or a reset. It is a wrap when the forward distance through the
 * register's maximum (`modulus − last + raw`) is plausible, i.e. at most `maxStep` — the most the line can
 * have made since the previous reading. Otherwise it is a reset, and the new value is all new counts (the
 * PLC counted from 0 since) — provided that value is itself plausible (at most `maxStep`); a drop to a value
 * larger than that is "implausible" and ignored. Counts made between the previous reading and a reset were
 * erased in the PLC and cannot be recovered; nothing is invented. A 16-bit counter cannot be unwrapped across a gap longer
 * than one wrap period (65,536 counts, ~65 s at 1,000/min): use 32-bit registers where the PLC has them.
 */
export function unwrapCounter(
  last: number | null,
  raw: number,
  bits: CounterBits,
  maxStep: number,
): UnwrapStep {
  const modulus = modulusOf(bits);
  if (!Number.isInteger(raw) || raw < 0 || raw >= modulus)
    throw new RangeError(`raw ${raw} outside a ${bits}-bit counter`);
  if (last === null) return { kind: "baseline", delta: 0 };
  if (raw >= last) return { kind: "step", delta: raw - last };
  const forward = modulus - last + raw;
  if (forward <= maxStep) return { kind: "wrap", delta: forward };
  if (raw <= maxStep) return { kind: "reset", delta: raw };
  return { kind: "implausible", delta: 0 };
}

/**
 * The most a line can plausibly make in `elapsedMs`: `maxPerMin` with a 50 % margin plus a small constant
 * (polls are not perfectly periodic). Used as `maxStep` above.
 */
export function plausibleStep(maxPerMin: number, elapsedMs: number): number {
  return Math.ceil((maxPerMin / 60_000) * Math.max(elapsedMs, 0) * 1.5) + 16;
}
