import { lineKey, type Plant, type Registry } from "../../protocol/index.ts";
import { type Interval, plannedIntervals } from "./shift-calendar.ts";

/** Whether a line is scheduled to produce at an instant (its shift calendar minus planned downtime). */
export interface LineCalendar {
  isPlanned(plant: string, line: string, ts: number): boolean;
}

const HOUR = 3_600_000;

/**
 * The registry's calendars, with each line's planned intervals cached for a window around the last asked
 * instant: the line-state tracker asks for every line every second, and Intl arithmetic is not free.
 * A line or plant unknown to the registry is always planned (never idle).
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

  isPlanned(plant: string, line: string, ts: number): boolean {
    const p = this.#plants.get(plant);
    if (p === undefined) return true;
    const key = lineKey(plant, line);
    let c = this.#cache.get(key);
    if (c === undefined || ts < c.from || ts >= c.to) {
      const from = ts - 36 * HOUR;
      const to = ts + 36 * HOUR;
      c = { from, to, planned: plannedIntervals(p, line, from, to) };
      this.#cache.set(key, c);
    }
    return c.planned.some(([a, b]) => a <= ts && ts < b);
  }
}

/** Every line always planned: a plant without a calendar. */
export const ALWAYS_PLANNED: LineCalendar = { isPlanned: () => true };
