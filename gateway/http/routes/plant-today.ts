import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { PlantHourlyResponse } from "../../../protocol/api.ts";
import type { Counts, Plant, Registry } from "../../../protocol/index.ts";
import { addDays, dayStart } from "../../lines/production-day.ts";
import { shiftsOfDate } from "../../lines/shift-calendar.ts";
import {
  type HourlyOutputRow,
  type OutputAggregates,
  SumOutputAggregates,
} from "../../store/output-aggregates.ts";
import type { SampleStore } from "../../store/sample-store.ts";
import { HttpError } from "../errors.ts";

const Query = Type.Object({
  date: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" }),
  token: Type.Optional(Type.String()),
});
const Params = Type.Object({ plant: Type.String() });

/** Dashboards re-read it every minute; a short cache spares InfluxDB when many screens show one plant. */
const CACHE_MS = 5_000;
const HOUR = 3600_000;

type ByLine = Record<string, Counts>;

function addTo(lines: ByLine, r: HourlyOutputRow): void {
  const c = lines[r.line] ?? { good: 0, reject: 0 };
  lines[r.line] = { good: c.good + r.good, reject: c.reject + r.reject };
}

/**
 * One plant's production day per hour and per shift from ONE hourly query (`GROUP BY time(1h) tz()` through
 * OutputAggregates) covering the day and every shift that starts on it (a night shift ends the next morning).
 * A shift whose bounds are not whole hours of that range falls back to an exact sumOutput of its own.
 */
async function plantDay(
  deps: { aggregates: OutputAggregates; store: Pick<SampleStore, "sumOutput"> },
  plant: Plant,
  date: string,
  now: number,
): Promise<PlantHourlyResponse> {
  const start = dayStart(date, plant.timezone).getTime();
  const end = dayStart(addDays(date, 1), plant.timezone).getTime();
  const shifts = shiftsOfDate(plant, date);
  const to = Math.max(end, ...shifts.map((s) => s.to));
  const rows = await deps.aggregates.hourly({
    from: new Date(start),
    to: new Date(start + Math.ceil((to - start) / HOUR) * HOUR),
    tz: plant.timezone,
    plant: plant.id,
  });
  const hours = Array.from({ length: Math.round((end - start) / HOUR) }, (_, h) => {
    const from = start + h * HOUR;
    const lines: ByLine = {};
    if (from <= now) for (const r of rows) if (r.from === from) addTo(lines, r);
    return { from: new Date(from).toISOString(), lines };
  });
  const out = await Promise.all(
    shifts.map(async (s) => {
      const aligned = s.from >= start && (s.from - start) % HOUR === 0 && (s.to - start) % HOUR === 0;
      const lines: ByLine = {};
      if (aligned) {
        for (const r of rows) if (r.from >= s.from && r.from < s.to) addTo(lines, r);
      } else {
        const sums = await deps.store.sumOutput({
          from: new Date(s.from),
          to: new Date(s.to),
          plant: plant.id,
        });
        for (const r of sums) lines[r.line] = { good: r.good, reject: r.reject };
      }
      return { name: s.name, from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString(), lines };
    }),
  );
  return { plant: plant.id, date, hours, shifts: out };
}

/** Read-only, plant-scoped by the access hook (`:plant`): GET /api/plants/:plant/hourly?date=. */
export function plantTodayRoutes(
  app: FastifyInstance,
  deps: {
    registry: Registry | (() => Registry);
    store: Pick<SampleStore, "sumOutput">;
    /** Default: per-hour sumOutput queries (the memory store in tests). */
    aggregates?: OutputAggregates | undefined;
    now?: () => number;
  },
): void {
  const cache = new Map<string, { at: number; answer: Promise<PlantHourlyResponse> }>();
  const now = deps.now ?? Date.now;
  const aggregates = deps.aggregates ?? new SumOutputAggregates(deps.store);
  app.get(
    "/api/plants/:plant/hourly",
    { schema: { querystring: Query, params: Params } },
    async (request) => {
      const { plant: id } = request.params as Static<typeof Params>;
      const { date } = request.query as Static<typeof Query>;
      const registry = typeof deps.registry === "function" ? deps.registry() : deps.registry;
      const plant = registry.plants.find((p) => p.id === id);
      if (plant === undefined) throw new HttpError(404, "not_found", `no plant "${id}"`);
      const key = `${id} ${date}`;
      const hit = cache.get(key);
      if (hit !== undefined && now() - hit.at < CACHE_MS) return hit.answer;
      const answer = plantDay({ aggregates, store: deps.store }, plant, date, now());
      answer.catch(() => cache.delete(key));
      if (cache.size > 200) cache.clear();
      cache.set(key, { at: now(), answer });
      return answer;
    },
  );
}
