import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { ACK_REASONS, type AlertsResponse, type AlertView } from "../../../protocol/index.ts";
import { AlertError } from "../../alerts/alert-engine.ts";
import type { AlertService } from "../../alerts/alert-service.ts";
import { HttpError } from "../errors.ts";
import { ALL_PLANTS, type PlantScope } from "./plant-scope.ts";

export interface AlertRouteDeps {
  alerts: Pick<AlertService, "list" | "get" | "acknowledge">;
  scope?: PlantScope;
}

const ListQuery = Type.Object({
  state: Type.Optional(Type.Union([Type.Literal("active"), Type.Literal("all")])),
  token: Type.Optional(Type.String()),
});
const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const AckBody = Type.Object(
  {
    by: Type.String({ minLength: 1, maxLength: 100 }),
    reason: Type.Optional(Type.Union(ACK_REASONS.map((r) => Type.Literal(r)))),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** GET /api/alerts?state=active|all, GET /api/alerts/:id, POST /api/alerts/:id/ack. */
export function alertRoutes(app: FastifyInstance, d: AlertRouteDeps): void {
  const scope = d.scope ?? ALL_PLANTS;

  app.get("/api/alerts", { schema: { querystring: ListQuery } }, async (request): Promise<AlertsResponse> => {
    const q = request.query as Static<typeof ListQuery>;
    return { alerts: d.alerts.list(q.state ?? "active", scope(request)) };
  });

  app.get("/api/alerts/:id", { schema: { params: Params } }, async (request): Promise<AlertView> => {
    const { id } = request.params as Static<typeof Params>;
    const alert = d.alerts.get(id, scope(request));
    if (alert === undefined) throw new HttpError(404, "not_found", `no alert ${id}`);
    return alert;
  });

  app.post(
    "/api/alerts/:id/ack",
    { schema: { params: Params, body: AckBody } },
    async (request): Promise<AlertView> => {
      const { id } = request.params as Static<typeof Params>;
      try {
        return d.alerts.acknowledge(id, request.body as Static<typeof AckBody>, scope(request));
      } catch (err) {
        if (err instanceof AlertError)
          throw new HttpError(err.code === "not_found" ? 404 : 409, err.code, err.message);
        throw err;
      }
    },
  );
}
