import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { PlantDaysResponse, PlantShiftsResponse, Registry } from "../../../protocol/index.ts";
import { ID_PATTERN } from "../../../protocol/index.ts";
import type { Clock } from "../../clock.ts";
import { type PlantPeriodDeps, plantDays, plantShifts } from "../../lines/plant-periods.ts";
import { addDays, productionDay } from "../../lines/production-day.ts";
import { HttpError } from "../errors.ts";
import {
  ALL_PLANTS,
  assertInScope,
  checkDate,
  DateQuery,
  type DateQueryString,
  DateString,
  type PlantScope,
} from "./plant-scope.ts";

export interface PlantRouteDeps {
  periods: PlantPeriodDeps;
  registry: () => Registry;
  clock: Clock;
  scope?: PlantScope;
}

/** The longest range /days answers in one request (a quarter: the bureau's longest view). */
export const MAX_DAYS = 92;

const Params = Type.Object({ plant: Type.String({ pattern: ID_PATTERN }) });
const DaysQuery = Type.Object({ from: DateString, to: DateString, token: Type.Optional(Type.String()) });

/** GET /api/plants/:plant/days?from&to and GET /api/plants/:plant/shifts?date. */
export function plantRoutes(app: FastifyInstance, d: PlantRouteDeps): void {
  const scope = d.scope ?? ALL_PLANTS;
  const plantOf = (id: string, s: ReadonlySet<string> | undefined) => {
    assertInScope(s, id);
    const plant = d.registry().plants.find((p) => p.id === id);
    if (plant === undefined) throw new HttpError(404, "not_found", `no plant ${id}`);
    return plant;
  };

  app.get(
    "/api/plants/:plant/days",
    { schema: { params: Params, querystring: DaysQuery } },
    async (request): Promise<PlantDaysResponse> => {
      const { plant } = request.params as Static<typeof Params>;
      const q = request.query as Static<typeof DaysQuery>;
      const [from, to] = [checkDate(q.from, "from"), checkDate(q.to, "to")];
      if (from > to) throw new HttpError(400, "bad_request", "from must not be after to");
      if (addDays(from, MAX_DAYS - 1) < to)
        throw new HttpError(400, "bad_request", `at most ${MAX_DAYS} days per request`);
      return plantDays(d.periods, plantOf(plant, scope(request)), from, to);
    },
  );

  app.get(
    "/api/plants/:plant/shifts",
    { schema: { params: Params, querystring: DateQuery } },
    async (request): Promise<PlantShiftsResponse> => {
      const { plant } = request.params as Static<typeof Params>;
      const p = plantOf(plant, scope(request));
      const q = request.query as DateQueryString;
      const date = q.date !== undefined ? checkDate(q.date) : productionDay(d.clock.now(), p.timezone);
      return plantShifts(d.periods, p, date);
    },
  );
}
