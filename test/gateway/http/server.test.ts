import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildServer } from "../../../gateway/http/server.ts";
import { LineEvents } from "../../../gateway/lines/line-events.ts";
import { LineStateTracker } from "../../../gateway/lines/line-state.ts";
import { LineViews } from "../../../gateway/lines/line-views.ts";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";
import type { LinesResponse, LineView } from "../../../protocol/index.ts";
import { FakeClock, silentLogger } from "../support/fakes.ts";
import { REGISTRY } from "../support/gateway-harness.ts";
import { MemoryStore } from "../support/memory-store.ts";

const TOKEN = "test-token-123";
// 2020-02-10 10:00 in Shanghai; the production day began at 2020-02-09T16:00Z.
const NOW = Date.parse("2020-02-10T10:00:00+08:00");

const pt = (line: string, ts: string, good: number, reject = 0, seq = 1): OutputPoint => ({
  plant: "sr-01",
  line,
  epoch: "e",
  device: "d",
  seq,
  ts: Date.parse(ts),
  good,
  reject,
  goodOdo: good,
  rejectOdo: reject,
});

let app: FastifyInstance | undefined;
/** Every temp folder build() made: a test may build more than one server. */
const dirs: string[] = [];
afterEach(async () => {
  await app?.close();
  app = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function build(opts: { adminToken?: string; dashboard?: boolean; store?: MemoryStore } = {}) {
  const clock = new FakeClock(NOW);
  const store = opts.store ?? new MemoryStore();
  const lineState = new LineStateTracker(
    [
      { plant: "sr-01", line: "l1", ratedPerMin: 120 },
      { plant: "sr-01", line: "l2", ratedPerMin: 45 },
    ],
    clock,
  );
  const views = new LineViews(REGISTRY, lineState, store, clock, 0);
  const dir = await mkdtemp(join(tmpdir(), "masktally-http-"));
  dirs.push(dir);
  if (opts.dashboard) await writeFile(join(dir, "index.html"), "<!doctype html><title>dash</title>");
  app = await buildServer({
    log: silentLogger(),
    store,
    views,
    events: new LineEvents(views, silentLogger(), 20),
    clients: () => 3,
    spooled: () => 0,
    version: "9.9.9",
    adminToken: opts.adminToken,
    dashboardDir: opts.dashboard ? dir : join(dir, "missing"),
    sseKeepAliveMs: 30,
  });
  return { app, store, clock, lineState };
}

describe("HTTP API", () => {
  it("answers /api/health publicly with influx up/down", async () => {
    const { app, store } = await build({ adminToken: TOKEN });
    const res = await app.inject("/api/health");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", influx: "up", spooled: 0, clients: 3, version: "9.9.9" });
    store.failWrites = true;
    expect((await app.inject("/api/health")).json()).toMatchObject({ status: "degraded", influx: "down" });
  });

  it("refuses /api routes without the token (401 JSON) and accepts it as Bearer header or ?token=", async () => {
    const { app } = await build({ adminToken: TOKEN });
    const denied = await app.inject("/api/lines");
    expect(denied.statusCode).toBe(401);
    expect(denied.json()).toEqual({ error: "unauthorized", message: expect.any(String) });
    expect(
      (await app.inject({ url: "/api/lines", headers: { authorization: "Bearer wrong" } })).statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ url: "/api/lines", headers: { authorization: `Bearer ${TOKEN}` } })).statusCode,
    ).toBe(200);
    expect((await app.inject(`/api/lines?token=${TOKEN}`)).statusCode).toBe(200);
  });

  it("is open when no admin token is configured", async () => {
    const { app } = await build();
    expect((await app.inject("/api/lines")).statusCode).toBe(200);
  });

  it("GET /api/lines: today's stored counts since the plant's local midnight, with state and rate", async () => {
    const { app, store, lineState, clock } = await build();
    await store.write([
      pt("l1", "2020-02-09T23:59:59+08:00", 1000, 10, 1), // yesterday in Shanghai
      pt("l1", "2020-02-10T00:00:00+08:00", 50, 1, 2),
      pt("l1", "2020-02-10T09:59:00+08:00", 70, 2, 3),
      pt("l2", "2020-02-10T09:00:00+08:00", 5, 0, 1),
    ]);
    lineState.sampleAccepted("sr-01", "l1", clock.now() - 1000, 30);
    const res = await app.inject("/api/lines");
    expect(res.statusCode).toBe(200);
    const body = res.json() as LinesResponse;
    expect(body.date).toBe("2020-02-10");
    expect(body.lines).toEqual([
      {
        plant: "sr-01",
        plantName: "上饶示例防护用品有限公司",
        line: "l1",
        name: "1号平面口罩线",
        state: "running",
        since: new Date(NOW - 1000).toISOString(),
        today: { good: 120, reject: 3 },
        ratePerMin: 30,
        ratedPerMin: 120,
        lastSeen: new Date(NOW).toISOString(),
      },
      {
        plant: "sr-01",
        plantName: "上饶示例防护用品有限公司",
        line: "l2",
        name: "2号KN95线",
        state: "unknown",
        since: null,
        today: { good: 5, reject: 0 },
        ratePerMin: 0,
        ratedPerMin: 45,
        lastSeen: null,
      },
    ]);
  });

  it("GET /api/output: exact sums with from ≤ t < to, filtered by plant and line", async () => {
    const { app, store } = await build();
    await store.write([
      pt("l1", "2020-02-10T01:00:00Z", 10, 1, 1),
      pt("l1", "2020-02-10T02:00:00Z", 20, 0, 2),
      pt("l2", "2020-02-10T01:30:00Z", 7, 2, 1),
      pt("l2", "2020-02-10T03:00:00Z", 100, 0, 2),
    ]);
    const res = await app.inject("/api/output?from=2020-02-10T01:00:00Z&to=2020-02-10T03:00:00Z");
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      from: "2020-02-10T01:00:00.000Z",
      to: "2020-02-10T03:00:00.000Z",
      lines: [
        { plant: "sr-01", line: "l1", good: 30, reject: 1 },
        { plant: "sr-01", line: "l2", good: 7, reject: 2 },
      ],
      total: { good: 37, reject: 3 },
    });
    const one = await app.inject(
      "/api/output?from=2020-02-10T00:00:00%2B08:00&to=2020-02-11T00:00:00Z&plant=sr-01&line=l2",
    );
    expect(one.json()).toMatchObject({
      lines: [{ line: "l2", good: 107, reject: 2 }],
      total: { good: 107, reject: 2 },
    });
  });

  it.each([
    ["from=garbage&to=2020-02-10T00:00:00Z", "from"],
    ["to=2020-02-10T00:00:00Z", "from"],
    ["from=2020-02-10T00:00:00Z&to=2020-02-10T00:00:00Z", "before"],
    ["from=2020-02-11T00:00:00Z&to=2020-02-10T00:00:00Z", "before"],
    ["from=2020-02-10T00:00:00Z&to=2020-02-11T00:00:00Z&plant=BAD!", "plant"],
  ])("GET /api/output?%s → 400 bad_request", async (query, mentions) => {
    const { app } = await build();
    const res = await app.inject(`/api/output?${query}`);
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: string; message: string };
    expect(body.error).toBe("bad_request");
    expect(body.message).toContain(mentions);
  });

  it("answers a failing store with a 500 JSON error and no details", async () => {
    const store = new MemoryStore();
    store.sumOutput = async () => {
      throw new Error("secret internals at /etc/passwd");
    };
    const { app } = await build({ store });
    const res = await app.inject("/api/output?from=2020-02-10T00:00:00Z&to=2020-02-11T00:00:00Z");
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: "internal", message: "internal error; see the gateway log" });
  });

  it("answers unknown routes with a 404 JSON error", async () => {
    const { app } = await build();
    const res = await app.inject("/api/nope");
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: "not_found" });
  });

  it("serves the dashboard at / when built, and explains how to build it otherwise (503)", async () => {
    const missing = await build();
    const res = await missing.app.inject("/");
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: "dashboard_not_built",
      message: expect.stringContaining("npm run build"),
    });
    await missing.app.close();
    const built = await build({ dashboard: true });
    const page = await built.app.inject("/");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("<title>dash</title>");
  });

  it("serves Prometheus metrics at /metrics only when given a registry", async () => {
    const { app } = await build();
    expect((await app.inject("/metrics")).statusCode).toBe(404);
  });

  it("streams `line` events over SSE, with keep-alive comments, and needs the token", async () => {
    const { app, lineState, clock } = await build({ adminToken: TOKEN });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    const ctl = new AbortController();
    const res = await fetch(`${base}/api/events?token=${TOKEN}`, { signal: ctl.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    const readUntil = async (pred: (t: string) => boolean) => {
      while (!pred(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += new TextDecoder().decode(value);
      }
    };
    const events = () =>
      [...text.matchAll(/event: line\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1] ?? "{}") as LineView);
    await readUntil(() => events().length >= 2);
    expect(events().map((v) => [v.line, v.state])).toEqual([
      ["l1", "unknown"],
      ["l2", "unknown"],
    ]);
    lineState.sampleAccepted("sr-01", "l2", clock.now(), 4);
    await readUntil(() => events().length >= 3);
    expect(events()[2]).toMatchObject({ line: "l2", state: "running", ratePerMin: 4 });
    await readUntil(() => text.includes(": keep-alive"));
    ctl.abort();
  });
});
