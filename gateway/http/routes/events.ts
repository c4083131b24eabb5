import type { FastifyInstance } from "fastify";
import type { AlertEvent } from "../../../protocol/index.ts";
import type { LineEvents } from "../../lines/line-events.ts";
import { plantScope } from "../auth.ts";

/** Alert events for SSE (issue 5's AlertService). */
export interface AlertStream {
  subscribe(listener: (e: AlertEvent) => void): () => void;
}

export interface EventsOptions {
  events: LineEvents;
  /** When set, `alert` events (an AlertEvent) go out too. */
  alerts?: AlertStream | undefined;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
}

/**
 * GET /api/events: Server-Sent Events, `line` (a LineView) whenever a line's counts or state change, and
 * `alert` (an AlertEvent) at each step of an alert's life.
 */
export function eventRoutes(app: FastifyInstance, o: EventsOptions): void {
  const streams = new Set<() => void>();
  app.addHook("onClose", async () => {
    for (const end of streams) end();
  });

  app.get("/api/events", (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const scope = plantScope(request);
    const unsubscribe = o.events.subscribe((view) => {
      if (scope !== undefined && view.plant !== scope) return;
      res.write(`event: line\ndata: ${JSON.stringify(view)}\n\n`);
    });
    const unsubscribeAlerts = o.alerts?.subscribe((e) => {
      if (scope !== undefined && e.alert.plant !== scope) return;
      res.write(`event: alert\ndata: ${JSON.stringify(e)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), o.keepAliveMs ?? 15_000);
    const end = () => {
      clearInterval(keepAlive);
      unsubscribe();
      unsubscribeAlerts?.();
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    request.raw.on("close", end);
  });
}
