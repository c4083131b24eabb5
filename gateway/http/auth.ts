import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal, Role } from "../../protocol/api.ts";
import { HttpError } from "./errors.ts";
import type { Users } from "./users.ts";

export type { Principal, Role };

declare module "fastify" {
  interface FastifyRequest {
    /** Set for every /api request by the access hook (installAccess). */
    principal: Principal;
  }
}

export interface AccessOptions {
  /** A token that signs in as admin (`--admin-token`). */
  adminToken?: string | undefined;
  users: Users;
  /** Open the bureau board's read-only routes to anyone (gateway config `publicBoard: true`). */
  publicBoard?: boolean | undefined;
}

/** Open without a token: liveness for load balancers, and the sign-in itself. */
const PUBLIC = new Set(["/api/health", "/api/login"]);
/** What the public bureau board reads (route patterns). */
const BOARD = ["/api/capacity", "/api/report/", "/api/plants/:plant/days", "/api/lines", "/api/me"];
/** Province-wide roll-ups: they name every plant, so a plant's own people may not read them. */
const PROVINCE_WIDE = ["/api/capacity", "/api/report/"];
/** A technician's screen: line states and alerts. */
const TECHNICIAN = ["/api/alerts", "/api/alerts/", "/api/lines", "/api/events", "/api/me", "/api/logout"];
/** The only writes a plant's people may make: acknowledging an alert, signing out. */
const PLANT_WRITES = ["/api/alerts/", "/api/logout"];

const ANONYMOUS_ADMIN: Principal = Object.freeze({ name: "anonymous", role: "admin" });
const PUBLIC_BOARD: Principal = Object.freeze({ name: "public", role: "bureau", public: true });

const matches = (route: string, list: readonly string[]) =>
  list.some((p) => route === p || (p.endsWith("/") && route.startsWith(p)));

export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice(7).trim();
  // EventSource cannot send headers, so the token may also come as ?token=.
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === "string" ? query.token : undefined;
}

export function sameToken(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The plant a request is limited to, or undefined when it may see every plant. */
export function plantScope(request: FastifyRequest): string | undefined {
  const p = request.principal;
  return p === undefined || p.role === "admin" || p.role === "bureau" ? undefined : p.plant;
}

/** The same as a set, the shape of issue 5's `PlantScope` (routes/plant-scope.ts): undefined = every plant. */
export function requestPlants(request: FastifyRequest): ReadonlySet<string> | undefined {
  const scope = plantScope(request);
  return scope === undefined ? undefined : new Set([scope]);
}

/** Throws 403 unless the request may see `plant`'s data. Routes call it for data found by id (an alert). */
export function assertPlant(request: FastifyRequest, plant: string): void {
  const scope = plantScope(request);
  if (scope !== undefined && scope !== plant) {
    throw new HttpError(403, "forbidden", `${request.principal.name} may not see plant "${plant}"`);
  }
}

/** Why the principal may not call the route (method + pattern), or null when it may. */
function refusal(p: Principal, method: string, route: string): string | null {
  const read = method === "GET" || method === "HEAD";
  if (p.public) return read && matches(route, BOARD) ? null : "the public board is read-only";
  switch (p.role) {
    case "admin":
      return null;
    case "bureau":
      return read || route === "/api/logout" ? null : "the bureau role is read-only";
    case "technician":
      if (!matches(route, TECHNICIAN)) return "a technician sees line states and alerts only";
      return read || matches(route, PLANT_WRITES) ? null : "a technician may only acknowledge alerts";
    case "manager":
      if (matches(route, PROVINCE_WIDE)) return "province-wide figures are for the bureau";
      return read || matches(route, PLANT_WRITES) ? null : "a manager may only acknowledge alerts";
  }
}

/** A plant named in the path (`:plant`) or the query (`?plant=`) must be the principal's own. */
function checkNamedPlant(request: FastifyRequest): void {
  const params = request.params as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  for (const plant of [params?.plant, query?.plant])
    if (typeof plant === "string") assertPlant(request, plant);
}

function unauthorized(reply: FastifyReply, message: string) {
  reply.header("www-authenticate", "Bearer");
  return reply.code(401).send({ error: "unauthorized", message });
}

/**
 * Access to /api (CONTRACTS.md): without an admin token and users, the API is open (demo, tests). Otherwise
 * every route but /api/health and /api/login needs a token — the admin token, a user's token or a session
 * from /api/login — as `Authorization: Bearer` or `?token=`; the role decides the routes (refusal) and the
 * plant scope (checkNamedPlant here, plantScope/assertPlant in the routes).
 */
export function installAccess(app: FastifyInstance, o: AccessOptions): (token: string) => Principal | null {
  const adminToken = o.adminToken === "" ? undefined : o.adminToken;
  const open = adminToken === undefined && o.users.size === 0;
  const resolve = (token: string): Principal | null =>
    adminToken !== undefined && sameToken(token, adminToken)
      ? { name: "admin", role: "admin" }
      : o.users.byToken(token);
  app.decorateRequest("principal", undefined as unknown as Principal);
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    if (!path.startsWith("/api/")) return;
    if (open) {
      request.principal = ANONYMOUS_ADMIN;
      return;
    }
    const token = presentedToken(request);
    const principal = token === undefined ? (o.publicBoard ? PUBLIC_BOARD : null) : resolve(token);
    if (PUBLIC.has(path)) return;
    if (principal === null)
      return unauthorized(reply, "a valid token is required (Authorization: Bearer TOKEN)");
    request.principal = principal;
    const route = request.routeOptions.url;
    if (route === undefined) return; // no such route: the 404 handler answers
    const why = refusal(principal, request.method, route);
    if (why !== null) {
      if (principal.public) return unauthorized(reply, `sign in to use ${route}`);
      throw new HttpError(403, "forbidden", why);
    }
    checkNamedPlant(request);
  });
  return resolve;
}
