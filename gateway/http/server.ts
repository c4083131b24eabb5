import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { Registry as MetricsRegistry } from "prom-client";
import type { LineEvents } from "../lines/line-events.ts";
import { installTokenAuth } from "./auth.ts";
import { installErrorHandlers } from "./errors.ts";
import { type ApiDeps, apiRoutes } from "./routes/api.ts";
import { dashboardRoutes } from "./routes/dashboard.ts";
import { eventRoutes } from "./routes/events.ts";

export interface HttpDeps extends ApiDeps {
  log: Logger;
  events: LineEvents;
  /** When set, every /api route except /api/health needs this token. */
  adminToken?: string | undefined;
  /** The built dashboard; `/` answers 503 when it does not exist. */
  dashboardDir: string;
  metrics?: MetricsRegistry | undefined;
  sseKeepAliveMs?: number;
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
  installTokenAuth(app, deps.adminToken);
  apiRoutes(app, deps);
  eventRoutes(app, {
    events: deps.events,
    ...(deps.sseKeepAliveMs ? { keepAliveMs: deps.sseKeepAliveMs } : {}),
  });
  const metrics = deps.metrics;
  if (metrics !== undefined) {
    app.get("/metrics", async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.metrics()),
    );
  }
  await dashboardRoutes(app, deps.dashboardDir);
  return app;
}
