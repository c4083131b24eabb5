import type { FastifyInstance } from "fastify";
import { ConfigError } from "../../../protocol/index.ts";
import type { RegistryDiff, RegistrySource } from "../../registry/registry-source.ts";

/** POST /api/registry/reload: re-reads the registry file; 400 with every problem when it is invalid. */
export function registryRoutes(app: FastifyInstance, d: { registry: Pick<RegistrySource, "reload"> }): void {
  app.post("/api/registry/reload", async (request, reply): Promise<{ reloaded: true } & RegistryDiff> => {
    try {
      const by = request.headers["x-masktally-user"];
      return {
        reloaded: true,
        ...(await d.registry.reload("api", typeof by === "string" ? by : request.ip)),
      };
    } catch (err) {
      if (err instanceof ConfigError) {
        return reply
          .code(400)
          .send({ error: "invalid_registry", message: err.message, problems: err.problems });
      }
      throw err;
    }
  });
}
