import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { Route } from "playwright-core";
import type { CapacityPlant, CapacityResponse, LinesResponse, LineView } from "../protocol/api.ts";
import { launchChromium } from "../test/support/browser.ts";

/**
 * Bureau-view render benchmark (issue 6: "renders 300 lines / 30 days of history in under 1 s on this
 * machine"). The built dashboard runs in headless Chromium with the API answered from synthetic data of the
 * real shapes (30 plants × 10 lines, 30 production days), so the figure is the page's own cost: fetch
 * handling, Preact render of the roll-up, uPlot trend. Measured from navigation start to the roll-up and
 * trend chart on screen. Run: `node --import tsx bench/dashboard.ts [--runs N]` (needs `npm run build`).
 */
export interface DashboardBenchOptions {
  plants?: number;
  linesPerPlant?: number;
  days?: number;
  runs?: number;
  /** `masktally bench --quick`: two measured runs. */
  quick?: boolean;
}

export interface DashboardBenchResult {
  scenario: "dashboard-bureau-render";
  lines: number;
  days: number;
  runs: number;
  renderMs: { median: number; max: number; min: number };
  budgetMs: 1000;
  withinBudget: boolean;
}

const DIST = fileURLToPath(new URL("../dist/dashboard", import.meta.url));
const BASE = "http://masktally.bench";
const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
};

function plantsOf(o: Required<DashboardBenchOptions>): CapacityPlant[] {
  return Array.from({ length: o.plants }, (_, i) => ({
    id: `p-${i}`,
    name: `示例口罩厂 ${i + 1}`,
    region: `r-${i % 6}`,
    target: 60_000 * o.linesPerPlant,
    installed: 86_400 * o.linesPerPlant,
    output: { good: 50_000 * o.linesPerPlant + i, reject: 300 + i },
    percentOfTarget: 0.83,
    producingLines: o.linesPerPlant - (i % 3),
    lines: o.linesPerPlant,
    reporting: i % 17 !== 0,
    lastSeen: new Date().toISOString(),
  }));
}

function capacity(date: string, o: Required<DashboardBenchOptions>): CapacityResponse {
  const plants = plantsOf(o);
  const sum = (ps: CapacityPlant[], f: (p: CapacityPlant) => number) => ps.reduce((s, p) => s + f(p), 0);
  const regions = Array.from({ length: 6 }, (_, r) => {
    const ps = plants.filter((p) => p.region === `r-${r}`);
    return {
      ...{ id: `r-${r}`, name: `地区 ${r + 1}`, target: sum(ps, (p) => p.target ?? 0) },
      installed: sum(ps, (p) => p.installed),
      output: { good: sum(ps, (p) => p.output.good), reject: sum(ps, (p) => p.output.reject) },
      ...{ percentOfTarget: 0.8, producingPlants: ps.length, plants: ps.length },
    };
  });
  return {
    ...{ date, target: 10_000_000, installed: sum(plants, (p) => p.installed) },
    output: { good: sum(plants, (p) => p.output.good), reject: sum(plants, (p) => p.output.reject) },
    ...{
      percentOfTarget: 0.2,
      producingPlants: plants.length,
      cumulative: { since: "2020-02-01", good: 1e8, reject: 1e5 },
    },
    notReporting: plants.filter((p) => !p.reporting).map((p) => p.id),
    regions,
    plants,
  };
}

function lines(o: Required<DashboardBenchOptions>): LinesResponse {
  const all: LineView[] = plantsOf(o).flatMap((p) =>
    Array.from({ length: o.linesPerPlant }, (_, l) => ({
      ...{
        plant: p.id,
        plantName: p.name,
        line: `l${l + 1}`,
        name: `${l + 1}号线`,
        state: "running" as const,
      },
      ...{
        since: null,
        today: { good: 5000, reject: 30 },
        ratePerMin: 100,
        ratedPerMin: 120,
        lastSeen: null,
      },
    })),
  );
  return { date: "2020-03-01", lines: all };
}

async function answer(route: Route, o: Required<DashboardBenchOptions>): Promise<void> {
  const url = new URL(route.request().url());
  const json = (body: unknown) =>
    route.fulfill({ contentType: "application/json", body: JSON.stringify(body) });
  if (url.pathname === "/api/me") return json({ name: "bench", role: "bureau" });
  if (url.pathname === "/api/lines") return json(lines(o));
  if (url.pathname === "/api/capacity")
    return json(capacity(url.searchParams.get("date") ?? "2020-03-01", o));
  if (url.pathname === "/api/events")
    return route.fulfill({ contentType: "text/event-stream", body: "retry: 60000\n\n" });
  const file = normalize(join(DIST, url.pathname === "/" ? "index.html" : url.pathname));
  if (!file.startsWith(DIST)) return route.fulfill({ status: 404 });
  const body = await readFile(file).catch(() => null);
  if (body === null) return route.fulfill({ status: 404 });
  return route.fulfill({ contentType: TYPES[extname(file)] ?? "application/octet-stream", body });
}

export async function run(opts: DashboardBenchOptions = {}): Promise<DashboardBenchResult> {
  const o = { plants: 30, linesPerPlant: 10, days: 30, runs: opts.quick ? 2 : 5, quick: false, ...opts };
  const browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
  const times: number[] = [];
  try {
    await browser.route(`${BASE}/**`, (route) => answer(route, o));
    for (let i = 0; i < o.runs + 1; i++) {
      const page = await browser.newPage();
      await page.goto(`${BASE}/#/bureau?days=${o.days}`);
      await page.waitForSelector("#trend-chart canvas", { timeout: 30_000 });
      await page.waitForFunction(
        (n) => document.querySelectorAll("#rollup tr[data-plant]").length === n,
        o.plants,
      );
      const ms = await page.evaluate(() => performance.now());
      if (i > 0) times.push(ms); // the first run warms the browser's caches
      await page.close();
    }
  } finally {
    await browser.dispose();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const round = (x: number) => Math.round(x);
  return {
    scenario: "dashboard-bureau-render",
    ...{ lines: o.plants * o.linesPerPlant, days: o.days, runs: o.runs },
    renderMs: { median: round(median), max: round(times.at(-1) ?? 0), min: round(times[0] ?? 0) },
    budgetMs: 1000,
    withinBudget: median < 1000,
  };
}

/** The table line `masktally bench` prints. */
export function report(result: DashboardBenchResult): string {
  const r = result.renderMs;
  return `dashboard: bureau view, ${result.lines} lines / ${result.days} days: median ${r.median} ms, min ${r.min}, max ${r.max} (budget ${result.budgetMs} ms${result.withinBudget ? "" : ", OVER"})`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--runs");
  const result = await run(i > 0 ? { runs: Number(process.argv[i + 1]) } : {});
  process.stdout.write(`${report(result)}\n${JSON.stringify(result)}\n`);
}
