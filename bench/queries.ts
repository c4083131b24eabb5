import { performance } from "node:perf_hooks";
import { addDays, dayStart, productionDay } from "../gateway/lines/production-day.ts";
import { writeHistory } from "./support/history.ts";
import { MqttLoad } from "./support/mqtt-load.ts";
import { percentile, round } from "./support/proc.ts";
import { ADMIN_TOKEN, influxQuery, startGateway, startInflux, tempDir } from "./support/processes.ts";
import { benchLines, registryYaml } from "./support/registry.ts";

/**
 * Queries (issue 7 goal: /api/capacity and /api/plants/:plant/days p99 ≤ 50 ms over 300 lines × 30 days):
 * 30 plants × 10 lines of history (1-minute points; --quick: 10-minute points) written straight to
 * InfluxDB, then the gateway (its own process) answers each route repeatedly, one request at a time,
 * rotating dates and plants so no answer is a cache hit of the one before. `npm run bench -- queries`.
 */
const TZ = "Asia/Shanghai";

export interface RouteFigures {
  route: string;
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

export interface QueriesResult {
  lines: number;
  days: number;
  pointStepMinutes: number;
  points: number;
  loadSeconds: number;
  /** From the gateway's start until its hourly rollup had backfilled the history (ADR 0010). */
  backfillSeconds: number;
  /** From then until the gateway held the 30 settled days' totals in memory (ADR 0012). */
  prefillSeconds: number;
  routes: RouteFigures[];
  /**
   * The worst of past days (rotating; settled days come from memory), today on a quiet gateway and today while
   * every line publishes a sample a second (today's open hours: read once, then kept from the writes, ADR 0012).
   */
  capacityP99Ms: number;
  daysP99Ms: number;
  linesP99Ms: number;
}

async function time(url: string, requests: number, path: (i: number) => string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}${path(i)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${path(i)}: HTTP ${res.status}`);
    out.push(performance.now() - t0);
  }
  return out;
}

/** Resolves once the gateway has written its rollup watermark: the backfill is done (timeout 10 min). */
async function rolledUp(url: string): Promise<void> {
  const deadline = Date.now() + 600_000;
  while ((await influxQuery(url, "SELECT last(until) FROM rollup_state", "masktally")).length === 0) {
    if (Date.now() > deadline) throw new Error("the gateway's rollup backfill did not finish within 10 min");
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Resolves once the gateway holds the 30 settled days and today's rolled hours in memory (ADR 0012: filled in the background
 * right after the rollup advance, like the backfill itself): the figures are then those of a running gateway,
 * not of its first second (timeout 60 s).
 */
async function daysHeld(httpPort: number, days: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const m = /^masktally_day_totals_days (\d+)$/m.exec(await res.text());
    if (Number(m?.[1] ?? 0) >= days) return;
    if (Date.now() > deadline) throw new Error(`the gateway did not hold ${days} settled days within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const LIVE_ROUTE = "/api/capacity (today, every line 1 sample/s)";

/**
 * Runs `measure` while each of the 300 lines publishes a sample a second through the gateway (QoS 1, today's
 * time): the writes land in today's open hours while they are asked for. The load starts 1 s before and lasts
 * past the requests (6 s; full run 20 s).
 */
async function measureLive(
  mqttPort: number,
  lines: ReturnType<typeof benchLines>,
  quick: boolean,
  measure: () => Promise<void>,
  check: () => Promise<void>,
): Promise<void> {
  const load = new MqttLoad({ host: "127.0.0.1", port: mqttPort, lines, epoch: "live" });
  await load.connect();
  try {
    const running = load.runRate(lines.length, quick ? 6 : 20, false);
    await new Promise((r) => setTimeout(r, 1000));
    await measure();
    const step = await running;
    if (step.slowed > 0) throw new Error(`live load slowed: ${step.slowed} samples held back`);
    if (!(await load.drain(10_000))) throw new Error("live load: samples still unacknowledged after 10 s");
    await check();
  } finally {
    await load.close();
  }
}

/** Today's output as the API answers it equals InfluxDB's raw sum to the unit, after the live writes. */
async function sameAsInflux(base: string, influxUrl: string, today: string): Promise<void> {
  const res = await fetch(`${base}/api/capacity?date=${today}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const api = ((await res.json()) as { output: { good: number; reject: number } }).output;
  const from = dayStart(today, TZ).getTime();
  const to = dayStart(addDays(today, 1), TZ).getTime();
  const series = (await influxQuery(
    influxUrl,
    `SELECT sum(good), sum(reject) FROM output WHERE time >= ${from}ms AND time < ${to}ms`,
    "masktally",
  )) as Array<{ values: Array<[number, number, number]> }>;
  const [, good, reject] = series[0]?.values[0] ?? [0, 0, 0];
  if (api.good !== good || api.reject !== reject) {
    throw new Error(`today's output ${api.good}/${api.reject} differs from InfluxDB's ${good}/${reject}`);
  }
}

export async function run(opts: { quick?: boolean } = {}): Promise<QueriesResult> {
  const quick = opts.quick ?? false;
  const stepMin = quick ? 10 : 1;
  const lines = benchLines(300);
  const today = productionDay(Date.now(), TZ);
  const first = addDays(today, -30);
  const tmp = await tempDir("queries");
  const influx = await startInflux(tmp.dir);
  try {
    await influxQuery(influx.url, "CREATE DATABASE masktally");
    const t0 = performance.now();
    const history = await writeHistory({
      url: influx.url,
      database: "masktally",
      lines,
      from: dayStart(first, TZ).getTime(),
      to: Date.now() - 60_000,
      stepMs: stepMin * 60_000,
    });
    const loadSeconds = round((performance.now() - t0) / 1000);
    const t1 = performance.now();
    const g = await startGateway(tmp.dir, { influx: influx.url }, registryYaml(lines));
    try {
      await rolledUp(influx.url);
      const backfillSeconds = round((performance.now() - t1) / 1000);
      const t2 = performance.now();
      await daysHeld(g.httpPort, 31);
      const prefillSeconds = round((performance.now() - t2) / 1000);
      const base = `http://127.0.0.1:${g.httpPort}`;
      const n = quick ? 20 : 200;
      const warm = (p: (i: number) => string) => time(base, 2, p);
      const capacity = (i: number) => `/api/capacity?date=${addDays(today, -1 - (i % 30))}`;
      // Today is never a settled day (ADR 0012): every request sums rolled hours and the raw current hours.
      const capacityToday = () => `/api/capacity?date=${today}`;
      const days = (i: number) =>
        `/api/plants/p${String((i % 30) + 1).padStart(3, "0")}/days?from=${first}&to=${addDays(today, -1)}`;
      const linesPath = () => "/api/lines";
      const routes: RouteFigures[] = [];
      const measure = async (route: string, path: (i: number) => string) => {
        await warm(path);
        const ms = await time(base, n, path);
        routes.push({
          route,
          requests: n,
          p50Ms: round(percentile(ms, 50)),
          p99Ms: round(percentile(ms, 99)),
        });
      };
      for (const [route, path] of [
        ["/api/capacity", capacity],
        ["/api/capacity (today)", capacityToday],
        ["/api/plants/:plant/days (30 days)", days],
        ["/api/lines", linesPath],
      ] as const) {
        await measure(route, path);
      }
      await measureLive(
        g.mqttPort,
        lines,
        quick,
        () => measure(LIVE_ROUTE, capacityToday),
        () => sameAsInflux(base, influx.url, today),
      );
      return {
        lines: lines.length,
        days: 30,
        pointStepMinutes: stepMin,
        points: history.points,
        loadSeconds,
        backfillSeconds,
        prefillSeconds,
        routes,
        capacityP99Ms: Math.max(routes[0]!.p99Ms, routes[1]!.p99Ms, routes[4]!.p99Ms),
        daysP99Ms: routes[2]!.p99Ms,
        linesP99Ms: routes[3]!.p99Ms,
      };
    } finally {
      await g.stop();
    }
  } finally {
    await influx.stop();
    await tmp.cleanup();
  }
}

export function report(result: unknown): string {
  const r = result as QueriesResult;
  return [
    `queries: ${r.lines} lines × ${r.days} days, ${r.pointStepMinutes}-minute points (${r.points} points, loaded in ${r.loadSeconds} s, rollup backfilled ${r.backfillSeconds} s after the gateway started, days in memory ${r.prefillSeconds} s later)`,
    "route | requests | p50 ms | p99 ms",
    ...r.routes.map((x) => `${x.route} | ${x.requests} | ${x.p50Ms} | ${x.p99Ms}`),
    "(goal: /api/capacity and /api/plants/:plant/days p99 ≤ 50 ms)",
  ].join("\n");
}
