import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";

/** Routes open without a token: liveness for load balancers and supervisors. */
const PUBLIC = new Set(["/api/health"]);

function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice(7).trim();
  // EventSource cannot send headers, so the token may also come as ?token=.
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === "string" ? query.token : undefined;
}

function sameToken(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** When `adminToken` is set, every /api route but the public ones needs `Authorization: Bearer TOKEN` or `?token=`. */
export function installTokenAuth(app: FastifyInstance, adminToken: string | undefined): void {
  if (adminToken === undefined || adminToken === "") return;
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    if (!path.startsWith("/api/") || PUBLIC.has(path)) return;
    const token = presentedToken(request);
    if (token === undefined || !sameToken(token, adminToken)) {
      reply.header("www-authenticate", "Bearer");
      return reply
        .code(401)
        .send({ error: "unauthorized", message: "a valid token is required (Authorization: Bearer TOKEN)" });
    }
  });
}
