import type { Counts, LinesResponse, LineView, Registry } from "../../protocol/index.ts";
import { lineKey, registryLines } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { SampleStore } from "../store/sample-store.ts";
import type { LineStateTracker } from "./line-state.ts";
import { dayRange, productionDay } from "./production-day.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Builds the LineViews of /api/lines and the `line` SSE events: today's counts are the stored sums since the
 * production-day start in each plant's time zone (one query per time zone, cached for `cacheMs`), the state
 * and rate come from the live tracker.
 */
export class LineViews {
  readonly #cache = new Map<string, { at: number; sums: Promise<Map<string, Counts>> }>();
  /** The current registry (a getter follows reloads). */
  readonly registry: () => Registry;

  constructor(
    registry: Registry | (() => Registry),
    private readonly lineState: LineStateTracker,
    private readonly store: Pick<SampleStore, "sumOutput">,
    private readonly clock: Clock,
    private readonly cacheMs = 1000,
  ) {
    this.registry = typeof registry === "function" ? registry : () => registry;
  }

  async lines(): Promise<LinesResponse> {
    const now = this.clock.now();
    const registry = this.registry();
    const zones = [...new Set(registry.plants.map((p) => p.timezone))];
    const sumsByZone = new Map(
      await Promise.all(zones.map(async (tz) => [tz, await this.#today(tz, now)] as const)),
    );
    const lines: LineView[] = registryLines(registry).map(({ plant, line }) => {
      const snap = this.lineState.snapshot(plant.id, line.id);
      const today = sumsByZone.get(plant.timezone)?.get(lineKey(plant.id, line.id)) ?? { good: 0, reject: 0 };
      return {
        plant: plant.id,
        plantName: plant.name,
        line: line.id,
        name: line.name,
        state: snap?.state ?? "unknown",
        since: iso(snap?.since ?? null),
        today: { good: today.good, reject: today.reject },
        ratePerMin: snap?.ratePerMin ?? 0,
        ratedPerMin: line.ratedPerMin,
        lastSeen: iso(snap?.lastSeen ?? null),
      };
    });
    // The production day is the calendar day at local midnight (docs/adr/0007), the same day the capacity
    // view and the daily report use.
    return { date: productionDay(now, registry.timezone), lines };
  }

  /** Sums of today's production day in `tz`, per "plant/line"; a failed query is not cached. */
  #today(tz: string, now: number): Promise<Map<string, Counts>> {
    const range = dayRange(now, tz);
    const key = `${tz} ${range.date}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined && now - cached.at < this.cacheMs) return cached.sums;
    const sums = this.store
      .sumOutput({ from: range.from, to: range.to })
      .then(
        (rows) => new Map(rows.map((r) => [lineKey(r.plant, r.line), { good: r.good, reject: r.reject }])),
      );
    sums.catch(() => this.#cache.delete(key));
    for (const k of this.#cache.keys()) if (k.startsWith(`${tz} `)) this.#cache.delete(k);
    this.#cache.set(key, { at: now, sums });
    return sums;
  }
}
