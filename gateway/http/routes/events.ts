import type { FastifyInstance } from "fastify";
import type { LineEvents } from "../../lines/line-events.ts";

export interface EventsOptions {
  events: LineEvents;
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
}

/** GET /api/events: Server-Sent Events, `line` (a LineView) whenever a line's counts or state change. */
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
    const unsubscribe = o.events.subscribe((view) => {
      res.write(`event: line\ndata: ${JSON.stringify(view)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), o.keepAliveMs ?? 15_000);
    const end = () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    request.raw.on("close", end);
  });
}
