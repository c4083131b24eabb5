import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../../../gateway/auth/password.ts";
import { assertPlant, plantScope } from "../../../gateway/http/auth.ts";
import { buildServer } from "../../../gateway/http/server.ts";
import { LOGIN_ATTEMPTS, LOGIN_WINDOW_MS, Users } from "../../../gateway/http/users.ts";
import { LineEvents } from "../../../gateway/lines/line-events.ts";
import { LineStateTracker } from "../../../gateway/lines/line-state.ts";
import { LineViews } from "../../../gateway/lines/line-views.ts";
import { ConfigError, type LinesResponse, parseRegistry } from "../../../protocol/index.ts";
import { FakeClock, silentLogger } from "../support/fakes.ts";
import { MemoryStore } from "../support/memory-store.ts";

const REGISTRY = parseRegistry(`
regions: [ { id: shangrao, name: 上饶市 } ]
plants:
  - { id: sr-01, name: 一厂, region: shangrao, lines: [ { id: l1, name: 1号线, type: flat, ratedPerMin: 120 } ] }
  - { id: sr-02, name: 二厂, region: shangrao, lines: [ { id: l1, name: 1号线, type: kn95, ratedPerMin: 45 } ] }
`);
const PLANTS = ["sr-01", "sr-02"];
const ADMIN = "admin-token-1";
const TOKENS = { manager: "manager-token-1", technician: "tech-token-1", bureau: "bureau-token-1" };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let app: FastifyInstance;
let dir: string;

/** Stand-ins for issue 5's routes when they are not there yet; the access rules are keyed by route pattern. */
function probeRoutes(a: FastifyInstance): void {
  const probe = (method: "GET" | "POST", url: string) => {
    if (!a.hasRoute({ method, url })) a.route({ method, url, handler: async () => ({ probe: url }) });
  };
  probe("GET", "/api/capacity");
  probe("GET", "/api/plants/:plant/days");
  probe("POST", "/api/alerts/:id/ack");
  a.get("/api/test/alert-of/:owner", async (request) => {
    assertPlant(request, (request.params as { owner: string }).owner);
    return { scope: plantScope(request) ?? null };
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-auth-"));
  await mkdir(join(dir, "assets"));
  await writeFile(join(dir, "index.html"), "<!doctype html><title>dash</title>");
  await writeFile(join(dir, "assets", "index-Cb6gYO0c.js"), "console.log(1)");
  const clock = new FakeClock();
  const lineState = new LineStateTracker(
    [
      { plant: "sr-01", line: "l1", ratedPerMin: 120 },
      { plant: "sr-02", line: "l1", ratedPerMin: 45 },
    ],
    clock,
  );
  const store = new MemoryStore();
  const views = new LineViews(() => REGISTRY, lineState, store, clock, 0);
  const users = new Users(
    [
      { name: "wang", role: "manager", plant: "sr-01", token: TOKENS.manager },
      { name: "li", role: "technician", plant: "sr-01", token: TOKENS.technician },
      { name: "bureau", role: "bureau", token: TOKENS.bureau },
      { name: "zhao", role: "manager", plant: "sr-02", passwordHash: await hashPassword("s3cret-pw") },
    ],
    PLANTS,
  );
  app = await buildServer({
    ...{ log: silentLogger(), store, views, events: new LineEvents(views, silentLogger(), 20) },
    ...{ clients: () => 0, spooled: () => 0, version: "t", adminToken: ADMIN, users, publicBoard: true },
    dashboardDir: dir,
  });
  probeRoutes(app);
});

afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (url: string, token?: string) =>
  app.inject({ method: "GET", url, headers: token ? bearer(token) : {} });

describe("API access by role", () => {
  it("gives a manager only their plant: /api/lines filtered, another plant's data 403", async () => {
    const lines = (await get("/api/lines", TOKENS.manager)).json() as LinesResponse;
    expect(lines.lines.map((l) => l.plant)).toEqual(["sr-01"]);
    const other = await get("/api/plants/sr-02/days?from=2020-02-01&to=2020-02-10", TOKENS.manager);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: "forbidden" });
    expect(
      (await get("/api/plants/sr-01/days?from=2020-02-01&to=2020-02-10", TOKENS.manager)).statusCode,
    ).not.toBe(403);
    const output = "/api/output?from=2020-02-10T00:00:00Z&to=2020-02-11T00:00:00Z";
    expect((await get(`${output}&plant=sr-02`, TOKENS.manager)).statusCode).toBe(403);
    expect((await get(output, TOKENS.manager)).statusCode).toBe(200);
    expect((await get("/api/capacity", TOKENS.manager)).statusCode).toBe(403);
    expect((await get("/api/test/alert-of/sr-02", TOKENS.manager)).statusCode).toBe(403);
    expect((await get("/api/test/alert-of/sr-01", TOKENS.manager)).json()).toEqual({ scope: "sr-01" });
  });

  it("gives a technician their plant's lines and alerts only, and lets them acknowledge", async () => {
    expect(((await get("/api/lines", TOKENS.technician)).json() as LinesResponse).lines).toHaveLength(1);
    expect(
      (await get("/api/output?from=2020-02-10T00:00:00Z&to=2020-02-11T00:00:00Z", TOKENS.technician))
        .statusCode,
    ).toBe(403);
    expect((await get("/api/plants/sr-01/days", TOKENS.technician)).statusCode).toBe(403);
    const ack = { method: "POST" as const, url: "/api/alerts/a1/ack", payload: { by: "li" } };
    expect((await app.inject({ ...ack, headers: bearer(TOKENS.technician) })).statusCode).not.toBe(403);
  });

  it("lets the bureau read every plant but write nothing", async () => {
    expect(((await get("/api/lines", TOKENS.bureau)).json() as LinesResponse).lines).toHaveLength(2);
    expect((await get("/api/plants/sr-02/days", TOKENS.bureau)).statusCode).not.toBe(403);
    const ack = { method: "POST" as const, url: "/api/alerts/a1/ack", payload: { by: "x" } };
    expect((await app.inject({ ...ack, headers: bearer(TOKENS.bureau) })).statusCode).toBe(403);
    expect((await app.inject({ ...ack, headers: bearer(ADMIN) })).statusCode).not.toBe(403);
  });

  it("opens the bureau board without a token, read-only, and nothing else", async () => {
    expect((await get("/api/capacity")).statusCode).toBe(200);
    expect((await get("/api/output?from=2020-02-10T00:00:00Z&to=2020-02-11T00:00:00Z")).statusCode).toBe(401);
    expect((await get("/api/events")).statusCode).toBe(401);
    expect((await get("/api/me")).json()).toEqual({ name: "public", role: "bureau", public: true });
    expect((await get("/api/lines", "wrong-token")).statusCode).toBe(401);
  });
});

describe("sign-in", () => {
  it("signs a user in with name and password and answers /api/me with their role and plant", async () => {
    const login = await app.inject({
      method: "POST",
      url: "/api/login",
      payload: { name: "zhao", password: "s3cret-pw" },
    });
    expect(login.statusCode).toBe(200);
    const { token, principal } = login.json() as { token: string; principal: unknown };
    expect(principal).toEqual({ name: "zhao", role: "manager", plant: "sr-02" });
    expect((await get("/api/me", token)).json()).toEqual(principal);
    expect((await get("/api/plants/sr-01/days", token)).statusCode).toBe(403);
    await app.inject({ method: "POST", url: "/api/logout", headers: bearer(token) });
    expect((await get("/api/me", token)).statusCode).toBe(401);
  });

  it("refuses a wrong password or an unknown token with 401, a malformed body with 400", async () => {
    const wrong = await app.inject({
      method: "POST",
      url: "/api/login",
      payload: { name: "zhao", password: "x" },
    });
    expect(wrong.statusCode).toBe(401);
    const ghost = await app.inject({
      method: "POST",
      url: "/api/login",
      payload: { name: "nobody", password: "x" },
    });
    expect(ghost.statusCode).toBe(401);
    const token = await app.inject({ method: "POST", url: "/api/login", payload: { token: "nope-nope" } });
    expect(token.statusCode).toBe(401);
    const ok = await app.inject({ method: "POST", url: "/api/login", payload: { token: TOKENS.bureau } });
    expect(ok.json()).toEqual({ token: TOKENS.bureau, principal: { name: "bureau", role: "bureau" } });
    const bad = await app.inject({ method: "POST", url: "/api/login", payload: { name: 7 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: "bad_request" });
  });

  it("slows guessing: after 10 attempts for one name from one address, 429 with Retry-After, others unaffected", async () => {
    const attempt = (remoteAddress: string, payload: object) =>
      app.inject({ method: "POST", url: "/api/login", payload, remoteAddress });
    const tries: number[] = [];
    for (let i = 0; i < LOGIN_ATTEMPTS; i++)
      tries.push((await attempt("10.0.0.1", { name: "zhao", password: `guess-${i}` })).statusCode);
    expect(tries).toEqual(Array(LOGIN_ATTEMPTS).fill(401));
    const blocked = await attempt("10.0.0.1", { name: "zhao", password: "s3cret-pw" });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toEqual({
      error: "too_many_attempts",
      message: "too many sign-in attempts; try again in 5 minutes",
    });
    expect(blocked.headers["retry-after"]).toBe(String(LOGIN_WINDOW_MS / 1000));
    // The same user from another address (a colleague at another gate), and another name from the first one.
    expect((await attempt("10.0.0.2", { name: "zhao", password: "s3cret-pw" })).statusCode).toBe(200);
    expect((await attempt("10.0.0.1", { name: "nobody", password: "x" })).statusCode).toBe(401);
    // Tokens are counted per address.
    const tokens: number[] = [];
    for (let i = 0; i <= LOGIN_ATTEMPTS; i++)
      tokens.push((await attempt("10.0.0.3", { token: `guess-token-${i}` })).statusCode);
    expect(tokens).toEqual([...Array(LOGIN_ATTEMPTS).fill(401), 429]);
  });
});

describe("users config", () => {
  it("reports every problem with its path", () => {
    const attempt = () =>
      new Users(
        [
          { name: "a", role: "manager", token: "tok-1-abc" },
          { name: "a", role: "technician", plant: "nowhere", passwordHash: "plain" },
          { name: "b", role: "bureau", token: "tok-1-abc", passwordHash: "scrypt$x" },
        ],
        PLANTS,
      );
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const paths = (err as ConfigError).problems.map((p) => p.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          "/users/0/plant",
          "/users/1/name",
          "/users/1/plant",
          "/users/1/passwordHash",
          "/users/2/",
          "/users",
        ]),
      );
    }
  });
});

describe("dashboard caching", () => {
  it("marks hashed assets immutable and index.html no-cache", async () => {
    expect((await get("/")).headers["cache-control"]).toBe("no-cache");
    expect((await get("/index.html")).headers["cache-control"]).toBe("no-cache");
    const asset = await get("/assets/index-Cb6gYO0c.js");
    expect(asset.statusCode).toBe(200);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });
});
