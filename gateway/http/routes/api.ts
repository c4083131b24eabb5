import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { AlertHealth, HealthResponse, OutputResponse } from "../../../protocol/index.ts";
import { ID_PATTERN } from "../../../protocol/index.ts";
import type { LineViews } from "../../lines/line-views.ts";
import type { SampleStore } from "../../store/sample-store.ts";
import { plantScope } from "../auth.ts";
import { HttpError } from "../errors.ts";

export interface ApiDeps {
  store: Pick<SampleStore, "sumOutput" | "ping">;
  views: LineViews;
  clients(): number;
  /** Points waiting in the disk spool for InfluxDB. */
  spooled(): number;
  version: string;
  /** Alert delivery health (issue 5): reported as `alerts`; a webhook still retrying makes the status degraded. */
  alertHealth?: (() => AlertHealth) | undefined;
}

const OutputQuerySchema = Type.Object({
  from: Type.String({ format: "date-time", description: "inclusive, ISO 8601 with time zone" }),
  to: Type.String({ format: "date-time", description: "exclusive, ISO 8601 with time zone" }),
  plant: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  line: Type.Optional(Type.String({ pattern: ID_PATTERN })),
  token: Type.Optional(Type.String()),
});
type OutputQueryString = Static<typeof OutputQuerySchema>;

export function apiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get("/api/health", async (): Promise<HealthResponse> => {
    const up = await deps.store.ping().catch(() => false);
    const spooled = deps.spooled();
    const alerts = deps.alertHealth?.();
    const webhooksFailing =
      alerts !== undefined && alerts.webhooks.pending > 0 && alerts.webhooks.lastError !== null;
    return {
      // Degraded while points wait in the disk spool, even once InfluxDB answers again: counts are incomplete.
      status: up && spooled === 0 && !webhooksFailing ? "ok" : "degraded",
      influx: up ? "up" : "down",
      spooled,
      clients: deps.clients(),
      version: deps.version,
      ...(alerts !== undefined ? { alerts } : {}),
    };
  });

  app.get("/api/lines", async (request) => {
    const all = await deps.views.lines();
    const scope = plantScope(request);
    return scope === undefined ? all : { ...all, lines: all.lines.filter((l) => l.plant === scope) };
  });

  app.get(
    "/api/output",
    { schema: { querystring: OutputQuerySchema } },
    async (request): Promise<OutputResponse> => {
      const q = request.query as OutputQueryString;
      const from = new Date(q.from);
      const to = new Date(q.to);
      if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
        throw new HttpError(400, "bad_request", "from and to must be ISO 8601 date-times");
      }
      if (from.getTime() >= to.getTime()) throw new HttpError(400, "bad_request", "from must be before to");
      // A plant's own people see only their plant (the access hook refused any other ?plant=).
      const plant = q.plant ?? plantScope(request);
      const lines = await deps.store.sumOutput({ from, to, plant, line: q.line });
      const total = lines.reduce((t, l) => ({ good: t.good + l.good, reject: t.reject + l.reject }), {
        good: 0,
        reject: 0,
      });
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        lines: lines.map(({ plant, line, good, reject }) => ({ plant, line, good, reject })),
        total,
      };
    },
  );
}
