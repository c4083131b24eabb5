import type {
  CapacityPlant,
  CapacityRegion,
  CapacityResponse,
  Counts,
  Plant,
  PlantFreshness,
  Registry,
} from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { OutputAggregates } from "../store/output-aggregates.ts";
import type { LineStateTracker } from "./line-state.ts";
import { plannedDay } from "./planned-days.ts";

export interface CapacityDeps {
  registry: () => Registry;
  /** Per-line sums over production days (rollup-backed on InfluxDB: a 30-day range costs ~ one day's query). */
  aggregates: Pick<OutputAggregates, "totals">;
  tracker: Pick<LineStateTracker, "snapshot">;
  clock: Clock;
  /** A plant is "reporting" when any of its devices was heard from within this window (default 15 min). */
  reportingWindowMs?: number;
  /** On a bureau gateway: federated plants' roll-up freshness (issue 8, gateway/federation/freshness.ts). */
  freshness?: {
    view(plant: string, tz: string): PlantFreshness | undefined;
    lastReceived(plant: string): number | null;
  };
}

type Sums = Map<string, Counts>;
const add = (a: Counts, b: Counts): Counts => ({ good: a.good + b.good, reject: a.reject + b.reject });
const ZERO: Counts = { good: 0, reject: 0 };
export const percent = (good: number, target: number | null | undefined) =>
  target ? Math.round((good / target) * 10_000) / 100 : null;

/** Sums per "plant/line" over local dates [fromDate, toDate] for each time zone the plants use. */
async function sumsByLine(
  deps: CapacityDeps,
  plants: Plant[],
  fromDate: string,
  toDate: string,
): Promise<Sums> {
  const zones = [...new Set(plants.map((p) => p.timezone))];
  const out: Sums = new Map();
  await Promise.all(
    zones.map(async (tz) => {
      const rows = await deps.aggregates.totals({ fromDate, toDate, tz });
      const here = new Set(plants.filter((p) => p.timezone === tz).map((p) => p.id));
      for (const r of rows)
        if (here.has(r.plant)) out.set(`${r.plant}/${r.line}`, { good: r.good, reject: r.reject });
    }),
  );
  return out;
}

function plantRow(deps: CapacityDeps, p: Plant, date: string, sums: Sums): CapacityPlant {
  const now = deps.clock.now();
  let installed = 0;
  let output = ZERO;
  let producingLines = 0;
  let lastSeen: number | null = null;
  for (const l of p.lines) {
    // Memoised per registry and date (planned-days.ts): the calendar walks dominated this route.
    installed += Math.round((l.ratedPerMin * plannedDay(p, l.id, date).plannedMs) / 60_000);
    const c = sums.get(`${p.id}/${l.id}`) ?? ZERO;
    output = add(output, c);
    if (c.good > 0) producingLines++;
    const seen = deps.tracker.snapshot(p.id, l.id)?.lastSeen ?? null;
    if (seen !== null && (lastSeen === null || seen > lastSeen)) lastSeen = seen;
  }
  // A federated plant reports through its gateway's roll-ups, not through devices of this gateway.
  const received = deps.freshness?.lastReceived(p.id) ?? null;
  if (received !== null && (lastSeen === null || received > lastSeen)) lastSeen = received;
  const upstream = deps.freshness?.view(p.id, p.timezone);
  const reporting = lastSeen !== null && now - lastSeen <= (deps.reportingWindowMs ?? 15 * 60_000);
  return {
    ...{ id: p.id, name: p.name, region: p.region, target: p.target?.daily ?? null, installed, output },
    ...{ percentOfTarget: percent(output.good, p.target?.daily), producingLines, lines: p.lines.length },
    ...{ reporting, lastSeen: lastSeen === null ? null : new Date(lastSeen).toISOString() },
    ...(upstream !== undefined ? { upstream } : {}),
  };
}

function regionRows(reg: Registry, plants: CapacityPlant[]): CapacityRegion[] {
  return reg.regions.flatMap((r) => {
    const mine = plants.filter((p) => p.region === r.id);
    if (mine.length === 0) return [];
    const output = mine.reduce((s, p) => add(s, p.output), ZERO);
    return [
      {
        ...{ id: r.id, name: r.name, target: r.target?.daily ?? null },
        installed: mine.reduce((s, p) => s + p.installed, 0),
        output,
        percentOfTarget: percent(output.good, r.target?.daily),
        producingPlants: mine.filter((p) => p.output.good > 0).length,
        plants: mine.length,
      },
    ];
  });
}

/**
 * The bureau's capacity view for one production day (issue 5): installed capacity (Σ rated speed × planned
 * minutes), output against the targets of province, regions and plants, plants producing that day, output
 * since the registry's startDate, and plants whose devices stopped reporting. `scope` limits it to some
 * plants (role checks, issue 6).
 */
export async function capacity(
  deps: CapacityDeps,
  date: string,
  scope?: ReadonlySet<string>,
): Promise<CapacityResponse> {
  const reg = deps.registry();
  const plants = reg.plants.filter((p) => scope === undefined || scope.has(p.id));
  const start = reg.startDate !== undefined && reg.startDate <= date ? reg.startDate : null;
  const [day, cumulative] = await Promise.all([
    sumsByLine(deps, plants, date, date),
    start !== null ? sumsByLine(deps, plants, start, date) : Promise.resolve(null),
  ]);
  const rows = plants.map((p) => plantRow(deps, p, date, day));
  const output = rows.reduce((s, p) => add(s, p.output), ZERO);
  return {
    date,
    target: reg.target.daily,
    installed: rows.reduce((s, p) => s + p.installed, 0),
    output,
    percentOfTarget: percent(output.good, reg.target.daily),
    producingPlants: rows.filter((p) => p.output.good > 0).length,
    cumulative:
      start !== null && cumulative !== null
        ? { since: start, ...[...cumulative.values()].reduce(add, ZERO) }
        : null,
    notReporting: rows.filter((p) => !p.reporting).map((p) => p.id),
    regions: regionRows(reg, rows),
    plants: rows,
  };
}
