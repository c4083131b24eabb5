import type { FastifyInstance } from "fastify";
import type { CapacityResponse, Registry } from "../../../protocol/index.ts";
import type { Clock } from "../../clock.ts";
import { type CapacityDeps, capacity } from "../../lines/capacity.ts";
import { dailyReportCsv } from "../../lines/daily-report.ts";
import { productionDay } from "../../lines/production-day.ts";
import { ALL_PLANTS, checkDate, DateQuery, type DateQueryString, type PlantScope } from "./plant-scope.ts";

export interface CapacityRouteDeps {
  capacity: CapacityDeps;
  registry: () => Registry;
  clock: Clock;
  scope?: PlantScope;
}

/** GET /api/capacity?date= and GET /api/report/daily.csv?date= (default: today's production day). */
export function capacityRoutes(app: FastifyInstance, d: CapacityRouteDeps): void {
  const scope = d.scope ?? ALL_PLANTS;
  const dateOf = (q: DateQueryString) =>
    q.date !== undefined ? checkDate(q.date) : productionDay(d.clock.now(), d.registry().timezone);

  app.get(
    "/api/capacity",
    { schema: { querystring: DateQuery } },
    async (request): Promise<CapacityResponse> =>
      capacity(d.capacity, dateOf(request.query as DateQueryString), scope(request)),
  );

  app.get("/api/report/daily.csv", { schema: { querystring: DateQuery } }, async (request, reply) => {
    const date = dateOf(request.query as DateQueryString);
    const report = await capacity(d.capacity, date, scope(request));
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="masktally-daily-${date}.csv"`)
      .send(dailyReportCsv(report));
  });
}
