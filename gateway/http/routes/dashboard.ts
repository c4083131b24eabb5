import { existsSync } from "node:fs";
import { basename, sep } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/**
 * Vite names every built asset after its content hash (assets/index-Cb6gYO0c.js): those never change and may be
 * cached for a year; index.html names the current ones, so the browser revalidates it on every load (a new
 * build then reaches wall displays at their next reload).
 */
export function cacheControlFor(file: string): string {
  if (file.includes(`${sep}assets${sep}`) && /-[\w-]{8,}\.\w+$/.test(basename(file))) {
    return "public, max-age=31536000, immutable";
  }
  return "no-cache";
}

/** Serves the built dashboard (dist/dashboard) at `/`; without a build, `/` explains how to make one. */
export async function dashboardRoutes(app: FastifyInstance, dir: string): Promise<void> {
  if (existsSync(dir)) {
    await app.register(fastifyStatic, {
      root: dir,
      prefix: "/",
      index: ["index.html"],
      cacheControl: false,
      setHeaders: (res, file) => res.header("cache-control", cacheControlFor(file)),
    });
    return;
  }
  app.get("/", async (_request, reply) =>
    reply.code(503).send({
      error: "dashboard_not_built",
      message: `the dashboard is not built (${dir} is missing): run \`npm run build\``,
    }),
  );
}
