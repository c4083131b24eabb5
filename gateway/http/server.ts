import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { Registry as MetricsRegistry } from "prom-client";
import type { Registry } from "../../protocol/index.ts";
import type { LineEvents } from "../lines/line-events.ts";
import { installAccess } from "./auth.ts";
import { installErrorHandlers } from "./errors.ts";
import { type AlertRouteDeps, alertRoutes } from "./routes/alerts.ts";
import { type ApiDeps, apiRoutes } from "./routes/api.ts";
import { type CapacityRouteDeps, capacityRoutes } from "./routes/capacity.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { type AlertStream, eventRoutes } from "./routes/events.ts";
import { plantTodayRoutes } from "./routes/plant-today.ts";
import { type PlantRouteDeps, plantRoutes } from "./routes/plants.ts";
import { registryRoutes } from "./routes/registry.ts";
import { Users, userRoutes } from "./users.ts";

export interface HttpDeps extends ApiDeps {
  log: Logger;
  events: LineEvents;
  /** When set, every /api route except /api/health needs this token. */
  adminToken?: string | undefined;
  /** Signed-in users and their roles (gateway config `users`); none: only the admin token signs in. */
  users?: Users | undefined;
  /** Open the bureau board's read-only routes without signing in (gateway config `publicBoard`). */
  publicBoard?: boolean | undefined;
  /** Plants and lines; enables the dashboard's hourly and shift totals (/api/plants/:plant/hourly). */
  registry?: Registry | (() => Registry) | undefined;
  /** The built dashboard; `/` answers 503 when it does not exist. */
  dashboardDir: string;
  metrics?: MetricsRegistry | undefined;
  sseKeepAliveMs?: number;
  /** Issue 5: plant days/shifts, capacity + daily report, alerts, registry reload; absent in bare test servers. */
  production?: {
    plants: PlantRouteDeps;
    capacity: CapacityRouteDeps;
    alerts: AlertRouteDeps & { stream: AlertStream };
    registry: Parameters<typeof registryRoutes>[1]["registry"];
  };
}

/** Builds the HTTP app (API, SSE, metrics, dashboard). Only the composition root calls listen(); tests use inject(). */
export async function buildServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ module: "http" }) as FastifyBaseLogger,
    // One log line per request would drown the counting logs (dashboards poll); errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  installErrorHandlers(app);
  // Only routes that ask for it (config.rateLimit) are limited: /api/login (users.ts).
  await app.register(rateLimit, { global: false });
  const users = deps.users ?? new Users([], []);
  const resolve = installAccess(app, { adminToken: deps.adminToken, users, publicBoard: deps.publicBoard });
  userRoutes(app, users, resolve);
  apiRoutes(app, deps);
  if (deps.registry !== undefined)
    plantTodayRoutes(app, {
      registry: deps.registry,
      store: deps.store,
      aggregates: deps.production?.plants.periods.aggregates,
    });
  eventRoutes(app, {
    events: deps.events,
    ...(deps.sseKeepAliveMs ? { keepAliveMs: deps.sseKeepAliveMs } : {}),
    ...(deps.production ? { alerts: deps.production.alerts.stream } : {}),
  });
  if (deps.production !== undefined) {
    plantRoutes(app, deps.production.plants);
    capacityRoutes(app, deps.production.capacity);
    alertRoutes(app, deps.production.alerts);
    registryRoutes(app, { registry: deps.production.registry });
  }
  const metrics = deps.metrics;
  if (metrics !== undefined) {
    app.get("/metrics", async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.metrics()),
    );
  }
  await dashboardRoutes(app, deps.dashboardDir);
  return app;
}
