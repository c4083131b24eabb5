import { existsSync } from "node:fs";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/** Serves the built dashboard (dist/dashboard) at `/`; without a build, `/` explains how to make one. */
export async function dashboardRoutes(app: FastifyInstance, dir: string): Promise<void> {
  if (existsSync(dir)) {
    await app.register(fastifyStatic, { root: dir, prefix: "/", index: ["index.html"] });
    return;
  }
  app.get("/", async (_request, reply) =>
    reply.code(503).send({
      error: "dashboard_not_built",
      message: `the dashboard is not built (${dir} is missing): run \`npm run build\``,
    }),
  );
}
