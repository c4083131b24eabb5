import type { LineTotalRow } from "./output-aggregates.ts";
import type { OutputPoint } from "./sample-store.ts";

/** One (plant, line, epoch) series over a range: its sums and its newest point, as InfluxDB has them. */
export interface SeriesSums {
  plant: string;
  line: string;
  epoch: string;
  good: number;
  reject: number;
  last: Last;
}

interface Last {
  ts: number;
  good: number;
  reject: number;
}

/** A range's per-line sums, kept up to date by the writes that complete after it was read. */
interface Held {
  from: number;
  to: number;
  lines: Map<string, LineTotalRow>;
  /** Newest point per series: a write is added only when it appends after it. */
  last: Map<string, Last>;
}

/** How many writes are in flight now and how many have begun in all (HourlyRollups.writeActivity). */
export type WriteActivity = () => { inFlight: number; begun: number };

/** Ranges held at once: today's and yesterday's open hours per zone, with room to spare. */
const MAX_HELD = 16;

const lineKey = (plant: string, line: string) => `${plant}\n${line}`;
// The line protocol floors fields (line-protocol.ts): add what InfluxDB stores.
const int = Math.floor;

/**
 * Per-line sums of the hours the rollup has not reached yet (ADR 0012: "today's open hours"), read from
 * InfluxDB once and then kept exact from the gateway's own writes instead of being read on every request.
 *
 * A read is kept only if no write through the gateway was in flight while it ran: it is then what InfluxDB
 * held at one moment, and every write that begins afterwards is applied when it has settled (`wrote`). A
 * point that appends to its series (a time after the series' newest point) is added; re-writing the newest
 * point with the same values changes nothing; anything else (a replay or a re-sent minute overwriting an
 * older point, a failed write that may have landed in part) drops the range, which is read again on the
 * next request. A read that overlapped a write still answers its own request (it began after every write
 * that had completed), but is not kept.
 *
 * So an answer holds every write that completed before the request began and nothing InfluxDB does not
 * hold. Only writes through the gateway are seen (as for the rollup itself, ADR 0010).
 */
export class OpenHours {
  readonly #held = new Map<string, Held>();
  /** Reads in flight per range: a request that finds one waits for it rather than asking again. */
  readonly #reads = new Map<string, Promise<unknown>>();

  constructor(
    /** `newest`: also each series' newest point (a second statement), asked only when the read may be kept. */
    private readonly read: (from: number, to: number, newest: boolean) => Promise<SeriesSums[]>,
    private readonly writes: WriteActivity,
  ) {}

  /** Per-line sums over [from, to): from memory, or read (and held if the read was quiet). */
  async sums(from: number, to: number): Promise<LineTotalRow[]> {
    const key = `${from}|${to}`;
    const held = this.#held.get(key);
    if (held !== undefined) return rowsOf(held);
    const running = this.#reads.get(key);
    if (running !== undefined) {
      await running.catch(() => {});
      // Kept only if quiet: then nothing completed between its start and this request's.
      const now = this.#held.get(key);
      if (now !== undefined) return rowsOf(now);
    }
    return this.#read(key, from, to);
  }

  /** A write through the gateway settled (`ok`: InfluxDB accepted it). Synchronous: called on the write path. */
  wrote(points: readonly OutputPoint[], ok: boolean): void {
    for (const [k, h] of this.#held) {
      if (ok ? !apply(h, points) : touches(points, h)) this.#held.delete(k);
    }
  }

  /** Forgets ranges that end at or before `until` (the rollup holds them now). */
  dropBefore(until: number): void {
    for (const [k, h] of this.#held) if (h.to <= until) this.#held.delete(k);
  }

  /** Ranges held (tests). */
  size(): number {
    return this.#held.size;
  }

  async #read(key: string, from: number, to: number): Promise<LineTotalRow[]> {
    const before = this.writes();
    const read = this.read(from, to, before.inFlight === 0);
    this.#reads.set(key, read);
    try {
      const held = heldOf(from, to, await read);
      const after = this.writes();
      if (before.inFlight === 0 && after.begun === before.begun) this.#keep(key, held);
      return rowsOf(held);
    } finally {
      if (this.#reads.get(key) === read) this.#reads.delete(key);
    }
  }

  #keep(key: string, held: Held): void {
    this.#held.delete(key);
    this.#held.set(key, held);
    for (const k of this.#held.keys()) {
      if (this.#held.size <= MAX_HELD) break;
      this.#held.delete(k);
    }
  }
}

function touches(points: readonly OutputPoint[], r: { from: number; to: number }): boolean {
  for (const p of points) if (p.ts >= r.from && p.ts < r.to) return true;
  return false;
}

/** Adds the points that append to their series; false when one does not (the held sums are then unknown). */
function apply(h: Held, points: readonly OutputPoint[]): boolean {
  for (const p of points) {
    if (p.ts < h.from || p.ts >= h.to) continue;
    const series = `${p.plant}\n${p.line}\n${p.epoch}`;
    const last = h.last.get(series);
    const good = int(p.good);
    const reject = int(p.reject);
    if (last === undefined || p.ts > last.ts) {
      h.last.set(series, { ts: p.ts, good, reject });
      const key = lineKey(p.plant, p.line);
      const row = h.lines.get(key) ?? { plant: p.plant, line: p.line, good: 0, reject: 0 };
      row.good += good;
      row.reject += reject;
      h.lines.set(key, row);
    } else if (p.ts !== last.ts || good !== last.good || reject !== last.reject) {
      return false;
    }
  }
  return true;
}

function heldOf(from: number, to: number, series: readonly SeriesSums[]): Held {
  const held: Held = { from, to, lines: new Map(), last: new Map() };
  for (const s of series) {
    held.last.set(`${s.plant}\n${s.line}\n${s.epoch}`, s.last);
    const key = lineKey(s.plant, s.line);
    const row = held.lines.get(key) ?? { plant: s.plant, line: s.line, good: 0, reject: 0 };
    row.good += s.good;
    row.reject += s.reject;
    held.lines.set(key, row);
  }
  return held;
}

const rowsOf = (h: Held): LineTotalRow[] =>
  [...h.lines.values()].map((r) => ({ plant: r.plant, line: r.line, good: r.good, reject: r.reject }));
