import { randomBytes } from "node:crypto";
import type { RateLimitOptions } from "@fastify/rate-limit";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { ConfigError, type Problem } from "../../protocol/index.ts";
import { parsePasswordHash, verifyPassword } from "../auth/password.ts";
import { type Principal, presentedToken, type Role, sameToken } from "./auth.ts";
import { HttpError } from "./errors.ts";

/** One entry of the gateway config's `users` (CONTRACTS.md): a password hash or a token, a role, a plant. */
export interface UserConfig {
  name: string;
  passwordHash?: string | undefined;
  token?: string | undefined;
  role: Role | string;
  plant?: string | undefined;
}

interface Session {
  principal: Principal;
  expires: number;
}

/** Sessions opened by a password login last a working day and a night shift, then the user signs in again. */
const SESSION_MS = 24 * 3600_000;
const MAX_SESSIONS = 10_000;

function checkUser(u: UserConfig, i: number, plants: ReadonlySet<string>, names: Set<string>): Problem[] {
  const at = (key: string) => `/users/${i}/${key}`;
  const problems: Problem[] = [];
  if (names.has(u.name)) problems.push({ path: at("name"), message: `duplicate user name "${u.name}"` });
  names.add(u.name);
  if ((u.passwordHash === undefined) === (u.token === undefined)) {
    problems.push({ path: at(""), message: "give exactly one of passwordHash or token" });
  }
  if (u.passwordHash !== undefined && parsePasswordHash(u.passwordHash) === null) {
    problems.push({ path: at("passwordHash"), message: "not a hash from `masktally hash-password`" });
  }
  const scoped = u.role === "manager" || u.role === "technician";
  if (scoped && u.plant === undefined)
    problems.push({ path: at("plant"), message: `required for ${u.role}` });
  if (u.plant !== undefined && !plants.has(u.plant)) {
    problems.push({ path: at("plant"), message: `no plant "${u.plant}" in the registry` });
  }
  return problems;
}

/**
 * The people who may use the API (DESIGN.md, security): users sign in with a configured token (wall displays,
 * scripts) or a name and password, which opens an in-memory session; a gateway restart signs password users
 * out — the dashboard then shows its login page again.
 */
export class Users {
  readonly #users: ReadonlyArray<UserConfig & { role: Role }>;
  readonly #sessions = new Map<string, Session>();

  constructor(
    users: ReadonlyArray<UserConfig>,
    /** The registry's plant ids: a manager's or technician's plant must be one. */
    plants: ReadonlyArray<string>,
    private readonly now: () => number = Date.now,
  ) {
    const names = new Set<string>();
    const known = new Set(plants);
    const problems = users.flatMap((u, i) => checkUser(u, i, known, names));
    const tokens = users.map((u) => u.token).filter((t) => t !== undefined);
    if (new Set(tokens).size !== tokens.length)
      problems.push({ path: "/users", message: "tokens must differ" });
    if (problems.length > 0) throw new ConfigError("gateway config", problems);
    this.#users = users as ReadonlyArray<UserConfig & { role: Role }>;
  }

  get size(): number {
    return this.#users.length;
  }

  /** The principal for a configured token or an open session, else null. */
  byToken(token: string): Principal | null {
    const user = this.#users.find((u) => u.token !== undefined && sameToken(u.token, token));
    if (user !== undefined) return principalOf(user);
    const session = this.#sessions.get(token);
    if (session === undefined) return null;
    if (session.expires <= this.now()) {
      this.#sessions.delete(token);
      return null;
    }
    return session.principal;
  }

  /** Checks a name and password; on success opens a session and returns its token. */
  async login(name: string, password: string): Promise<{ token: string; principal: Principal } | null> {
    const user = this.#users.find((u) => u.name === name && u.passwordHash !== undefined);
    // Hash even for an unknown name, so the answer time does not tell which names exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (user === undefined || !ok) return null;
    this.#prune();
    const token = randomBytes(24).toString("base64url");
    const principal = principalOf(user);
    this.#sessions.set(token, { principal, expires: this.now() + SESSION_MS });
    return { token, principal };
  }

  logout(token: string): void {
    this.#sessions.delete(token);
  }

  #prune(): void {
    const now = this.now();
    for (const [token, s] of this.#sessions) if (s.expires <= now) this.#sessions.delete(token);
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
  }
}

/** A well-formed hash of a random password, checked when the name is unknown. */
const DUMMY_HASH = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

function principalOf(u: UserConfig & { role: Role }): Principal {
  return u.plant === undefined
    ? { name: u.name, role: u.role }
    : { name: u.name, role: u.role, plant: u.plant };
}

const LoginSchema = Type.Union([
  Type.Object(
    { name: Type.String({ minLength: 1, maxLength: 100 }), password: Type.String({ maxLength: 200 }) },
    { additionalProperties: false },
  ),
  Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
]);

/** Sign-in attempts allowed per client address and user name (or per address for tokens) in the window. */
export const LOGIN_ATTEMPTS = 10;
export const LOGIN_WINDOW_MS = 5 * 60_000;

/**
 * Guessing passwords or tokens over HTTP is slowed to LOGIN_ATTEMPTS per LOGIN_WINDOW_MS (@fastify/rate-limit):
 * keyed by the client's address and the name tried, so technicians signing in behind one plant NAT at shift
 * change do not lock each other out. Counted after the body is parsed (preHandler); 429 with Retry-After.
 */
const LOGIN_LIMIT: RateLimitOptions = {
  max: LOGIN_ATTEMPTS,
  timeWindow: LOGIN_WINDOW_MS,
  // The counters live in an LRU of `cache` keys (default 5,000): a guesser cycling through as many other names
  // would evict the name under attack and start afresh. 100,000 keys (~15 MB at most) take hours of scrypt
  // checks to cycle. (The route's own store: the plugin's `cache` option does not reach it.)
  cache: 100_000,
  hook: "preHandler",
  keyGenerator: (request) => {
    const body = request.body as { name?: unknown } | undefined;
    return `${request.ip}\n${typeof body?.name === "string" ? `name:${body.name}` : "token"}`;
  },
  errorResponseBuilder: (_request, context) =>
    new HttpError(429, "too_many_attempts", `too many sign-in attempts; try again in ${context.after}`),
};

/**
 * POST /api/login `{name, password}` or `{token}` → `{token, principal}`; GET /api/me → the principal;
 * POST /api/logout ends a password session. `resolve` is the access hook's token check (admin token included).
 */
export function userRoutes(
  app: FastifyInstance,
  users: Users,
  resolve: (token: string) => Principal | null,
): void {
  app.post(
    "/api/login",
    { schema: { body: LoginSchema }, config: { rateLimit: LOGIN_LIMIT } },
    async (request) => {
      const body = request.body as { name: string; password: string } | { token: string };
      if ("token" in body) {
        const principal = resolve(body.token);
        if (principal === null) throw new HttpError(401, "unauthorized", "unknown token");
        return { token: body.token, principal };
      }
      const session = await users.login(body.name, body.password);
      if (session === null) throw new HttpError(401, "unauthorized", "wrong name or password");
      request.log.info({ user: body.name }, "user signed in");
      return session;
    },
  );
  app.get("/api/me", async (request) => request.principal);
  app.post("/api/logout", async (request) => {
    const token = presentedToken(request);
    if (token !== undefined) users.logout(token);
    return { ok: true };
  });
}
