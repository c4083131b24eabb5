import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningGateway, startGateway } from "../../../gateway/gateway.ts";
import { addDays, productionDay } from "../../../gateway/lines/production-day.ts";
import type { CapacityResponse, Counts, PlantDaysResponse } from "../../../protocol/index.ts";
import { parseRegistry } from "../../../protocol/index.ts";
import { runSim, type SimResult } from "../../../sim/run-sim.ts";
import { type TestInflux, testInflux } from "../../support/influx.ts";
import { silentLogger } from "../support/fakes.ts";

const REGIONS = [
  { id: "shangrao", name: "上饶市", target: 400_000, plants: 4 },
  { id: "nanchang", name: "南昌市", target: 300_000, plants: 3 },
  { id: "jiujiang", name: "九江市", target: 200_000, plants: 3 },
];
const RATED = [60, 120, 240, 300];
/** Planned minutes per day of each plant, worked out by hand from the shifts below (the independent side). */
const DAY_SHIFT_PLANT = "nanchang-02"; // 08:00–20:00 with lunch 12:00–12:30 planned downtime: 690 minutes
const plantId = (r: string, i: number) => `${r}-0${i + 1}`;

function registryYaml(startDate: string): string {
  const plants = REGIONS.flatMap((r) =>
    Array.from({ length: r.plants }, (_, i) => {
      const id = plantId(r.id, i);
      const shifts =
        id === DAY_SHIFT_PLANT
          ? `\n    shifts: [ { name: day, start: "08:00", end: "20:00" } ]\n    plannedDowntime: [ { start: "12:00", end: "12:30" } ]`
          : `\n    shifts: [ { name: day, start: "08:00" }, { name: night, start: "20:00" } ]`;
      const lines = RATED.map(
        (rate, j) => `      - { id: l${j + 1}, name: ${j + 1}号线, type: flat, ratedPerMin: ${rate} }`,
      );
      return `  - id: ${id}\n    name: ${r.name}示例口罩厂${i + 1}\n    region: ${r.id}\n    target: { daily: 100000 }${shifts}\n    lines:\n${lines.join("\n")}`;
    }),
  );
  const regions = REGIONS.map((r) => `  - { id: ${r.id}, name: ${r.name}, target: { daily: ${r.target} } }`);
  return `timezone: Asia/Shanghai\ntarget: { daily: 10000000 }\nstartDate: "${startDate}"\nregions:\n${regions.join("\n")}\nplants:\n${plants.join("\n")}\n`;
}

let dir: string;
let influx: TestInflux;
let gateway: RunningGateway;
let sim: SimResult;
let dates: string[];
const registry = () => parseRegistry(registryYaml(addDays(productionDay(Date.now(), "Asia/Shanghai"), -3)));

const api = async <T>(path: string) => {
  const res = await fetch(`http://127.0.0.1:${gateway.httpPort}${path}`);
  return {
    status: res.status,
    text: await res.clone().text(),
    body: (await res.json().catch(() => null)) as T,
  };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-capacity-"));
  influx = await testInflux("capacity");
  const reg = registry();
  gateway = await startGateway({
    ...{
      registry: reg,
      mqttPort: 0,
      httpPort: 0,
      allowAnonymous: true,
      influx: influx.url,
      database: influx.database,
    },
    ...{ dataDir: join(dir, "data"), log: silentLogger(), dashboardDir: join(dir, "none") },
  });
  const before = productionDay(Date.now(), "Asia/Shanghai");
  sim = await runSim({
    registry: reg,
    broker: `mqtt://127.0.0.1:${gateway.mqttPort}`,
    seed: 11,
    durationSec: 6,
    speedup: 10,
    intervalMs: 500,
    drainTimeoutSec: 30,
  });
  dates = [...new Set([before, productionDay(Date.now(), "Asia/Shanghai")])];
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await influx?.drop();
  await rm(dir, { recursive: true, force: true });
});

const sum = (xs: Counts[]) =>
  xs.reduce((s, c) => ({ good: s.good + c.good, reject: s.reject + c.reject }), { good: 0, reject: 0 });
const ledger = (prefix: string) =>
  sum(
    Object.entries(sim.ledger.lines)
      .filter(([k]) => k.startsWith(`${prefix}/`) || prefix === "")
      .map(([, c]) => c),
  );

describe("/api/capacity for 3 regions, 10 plants, 40 lines against the simulator's ledger", () => {
  it("matches the ledger per plant, region and in total, with installed capacity from rated speed × planned minutes", async () => {
    expect(sim.drained).toBe(true);
    expect(Object.keys(sim.ledger.lines)).toHaveLength(40);
    const answers = await Promise.all(dates.map((d) => api<CapacityResponse>(`/api/capacity?date=${d}`)));
    for (const a of answers) expect(a.status).toBe(200);
    const cap = answers[answers.length - 1]!.body;
    const plants = REGIONS.flatMap((r) => Array.from({ length: r.plants }, (_, i) => plantId(r.id, i)));
    for (const id of plants) {
      const got = sum(answers.map((a) => a.body.plants.find((p) => p.id === id)!.output));
      expect(got, id).toEqual(ledger(id));
      const minutes = id === DAY_SHIFT_PLANT ? 690 : 1440;
      expect(cap.plants.find((p) => p.id === id)!.installed, id).toBe(
        RATED.reduce((s, r) => s + r * minutes, 0),
      );
    }
    for (const r of REGIONS) {
      const got = sum(answers.map((a) => a.body.regions.find((x) => x.id === r.id)!.output));
      expect(got, r.id).toEqual(
        sum(
          Object.keys(sim.ledger.lines)
            .filter((k) => k.startsWith(`${r.id}-`))
            .map((k) => sim.ledger.lines[k]!),
        ),
      );
    }
    const total = ledger("");
    expect(total.good).toBeGreaterThan(1000);
    expect(sum(answers.map((a) => a.body.output))).toEqual(total);
    expect(cap).toMatchObject({ target: 10_000_000, producingPlants: 10, notReporting: [] });
    expect(cap.installed).toBe(9 * 720 * 1440 + 720 * 690);
    expect(cap.cumulative).toMatchObject({
      since: addDays(dates[0]!, -3),
      ...(dates.length === 1 ? total : {}),
    });
    if (dates.length === 1)
      expect(cap.percentOfTarget).toBe(Math.round((total.good / 10_000_000) * 10_000) / 100);
  });

  it("answers the plant's days with the same counts per line (GROUP BY time(1d) tz) and OEE bounded", async () => {
    const id = "shangrao-01";
    const days = await api<PlantDaysResponse>(
      `/api/plants/${id}/days?from=${dates[0]}&to=${dates[dates.length - 1]}`,
    );
    expect(days.status).toBe(200);
    for (const l of RATED.map((_, j) => `l${j + 1}`)) {
      const got = sum(days.body.days.map((d) => d.lines.find((x) => x.line === l)!));
      expect(got, l).toEqual(sim.ledger.lines[`${id}/${l}`]);
    }
    for (const d of days.body.days) {
      for (const l of d.lines) {
        for (const f of [l.oee.availability, l.oee.performance, l.oee.quality, l.oee.oee]) {
          if (f !== null) expect(f >= 0 && f <= 1).toBe(true);
        }
      }
    }
    expect((await api(`/api/plants/${id}/days?from=2020-02-31&to=2020-03-01`)).status).toBe(400);
    expect((await api(`/api/plants/nope/days?from=2020-02-01&to=2020-02-02`)).status).toBe(404);
  });

  it("serves the daily report as CSV with a BOM, Chinese headers and the province total", async () => {
    const d = dates[dates.length - 1]!;
    const res = await fetch(`http://127.0.0.1:${gateway.httpPort}/api/report/daily.csv?date=${d}`);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = new TextDecoder().decode(bytes.slice(3)).trimEnd().split("\r\n");
    expect(rows[0]).toContain("企业 Plant");
    expect(rows).toHaveLength(1 + 10 + 3 + 1);
    const cap = (await api<CapacityResponse>(`/api/capacity?date=${d}`)).body;
    expect(rows[rows.length - 1]).toBe(
      `${d},全省 Province,合计 Total,${cap.output.good},${cap.output.reject},10000000,${cap.percentOfTarget},${cap.installed},${cap.plants.reduce((n, p) => n + p.producingLines, 0)}/40,`,
    );
  });
});
