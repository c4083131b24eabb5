import { lineKey, type Plant, type Registry } from "../../protocol/index.ts";
import { type Interval, plannedIntervals } from "./shift-calendar.ts";

/**
 * A stretch of time around an instant over which a line's planned status does not change: `planned` holds for
 * every t with from ≤ t < to. The line-state tracker keeps one per line and asks again only once time leaves
 * it, so a sample costs a comparison instead of a calendar lookup.
 */
export interface PlannedSpan {
  planned: boolean;
  from: number;
  to: number;
}

/** Whether a line is scheduled to produce at an instant (its shift calendar minus planned downtime). */
export interface LineCalendar {
  span(plant: string, line: string, ts: number): PlannedSpan;
}

const HOUR = 3_600_000;

/** The span containing `ts` within a sorted, disjoint list of planned intervals covering [from, to). */
export function spanAt(planned: readonly Interval[], from: number, to: number, ts: number): PlannedSpan {
  let gapFrom = from;
  for (const [a, b] of planned) {
    if (ts < a) return { planned: false, from: gapFrom, to: a };
    if (ts < b) return { planned: true, from: a, to: b };
    gapFrom = b;
  }
  return { planned: false, from: gapFrom, to };
}

/**
 * The registry's calendars, with each line's planned intervals cached for a window around the last asked
 * instant: Intl time-zone arithmetic is not free. A line or plant unknown to the registry is always planned
 * (never idle).
 */
export class RegistryCalendar implements LineCalendar {
  readonly #plants = new Map<string, Plant>();
  readonly #cache = new Map<string, { from: number; to: number; planned: Interval[] }>();

  constructor(registry: Registry) {
    this.setRegistry(registry);
  }

  setRegistry(registry: Registry): void {
    this.#plants.clear();
    this.#cache.clear();
    for (const p of registry.plants) this.#plants.set(p.id, p);
  }

  span(plant: string, line: string, ts: number): PlannedSpan {
    const p = this.#plants.get(plant);
    if (p === undefined) return ALWAYS;
    const key = lineKey(plant, line);
    let c = this.#cache.get(key);
    if (c === undefined || ts < c.from || ts >= c.to) {
      const from = ts - 36 * HOUR;
      const to = ts + 36 * HOUR;
      c = { from, to, planned: plannedIntervals(p, line, from, to) };
      this.#cache.set(key, c);
    }
    return spanAt(c.planned, c.from, c.to, ts);
  }
}

const ALWAYS: PlannedSpan = { planned: true, from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY };

/** Every line always planned: a plant without a calendar. */
export const ALWAYS_PLANNED: LineCalendar = { span: () => ALWAYS };
