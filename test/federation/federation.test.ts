import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { hashPassword } from "../../gateway/auth/password.ts";
import { InfluxSampleStore } from "../../gateway/store/influx-sample-store.ts";
import type { CapacityResponse, Counts, OutputResponse, PlantFreshness } from "../../protocol/index.ts";
import { CliProcess } from "../support/cli-process.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { until } from "../support/wait.ts";

/**
 * The issue 8 acceptance test: two plant gateways forward per-minute roll-ups to a bureau gateway (three
 * processes, three InfluxDB databases on the suite's influxd). The simulator runs two lines in each plant;
 * plant sr-01's uplink is cut for 60 s mid-run. At the end the bureau's /api/output and /api/capacity equal
 * the ledger exactly and equal the sum of the two plants' own figures.
 */
const PLANTS = { "sr-01": "shangrao", "nc-01": "nanchang" } as const;
type PlantId = keyof typeof PLANTS;
const plantYaml = (p: PlantId) => `  - id: ${p}
    name: 示例防护用品有限公司 ${p}
    region: ${PLANTS[p]}
    target: { daily: 200000 }
    lines:
      - { id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 300 }
      - { id: l2, name: 2号KN95线, type: kn95, ratedPerMin: 120 }`;
const registry = (plants: PlantId[]) => `timezone: Asia/Shanghai
target: { daily: 1000000 }
regions:
  - { id: shangrao, name: 上饶市 }
  - { id: nanchang, name: 南昌市 }
plants:
${plants.map(plantYaml).join("\n")}
`;
const SIM_SECONDS = 85;
const CUT_AT_S = 10;
const CUT_MS = 60_000;

let dir: string;
const databases: string[] = [];
const started: CliProcess[] = [];
let proxy: TcpProxy | undefined;
const http: Record<"bureau" | PlantId, number> = { bureau: 0, "sr-01": 0, "nc-01": 0 };
const mqtt: Record<PlantId, number> = { "sr-01": 0, "nc-01": 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get<T>(who: keyof typeof http, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${http[who]}${path}`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${who} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function gateway(name: string, config: Record<string, unknown>): Promise<Record<string, unknown>> {
  const database = `t_fed_${name.replace(/-/g, "_")}_${Date.now().toString(36)}`;
  databases.push(database);
  const file = join(dir, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({ ...config, database, dataDir: join(dir, name), influx: inject("influxUrl") }),
  );
  const p = new CliProcess(["gateway", "--config", file, "--mqtt-port", "0", "--http-port", "0"]);
  started.push(p);
  return p.waitForLog((l) => l.msg === "gateway ready", 60_000);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-federation-"));
  await writeFile(join(dir, "bureau.yaml"), registry(["sr-01", "nc-01"]));
  for (const p of Object.keys(PLANTS) as PlantId[]) {
    await writeFile(join(dir, `${p}.yaml`), registry([p]));
    await writeFile(join(dir, `${p}.password`), `secret-of-${p}\n`);
  }
  const devices = await Promise.all(
    (Object.keys(PLANTS) as PlantId[]).map(
      async (p) =>
        `  - { id: gw-${p}, passwordHash: "${await hashPassword(`secret-of-${p}`)}", lines: [${p}/l1, ${p}/l2] }`,
    ),
  );
  await writeFile(join(dir, "devices.yaml"), `devices:\n${devices.join("\n")}\n`);
  const bureau = await gateway("bureau", {
    registry: join(dir, "bureau.yaml"),
    devices: join(dir, "devices.yaml"),
  });
  http.bureau = bureau.httpPort as number;
  proxy = await TcpProxy.start({ port: bureau.mqttPort as number });
  const direct = `mqtt://127.0.0.1:${bureau.mqttPort as number}`;
  const plants = await Promise.all(
    (Object.keys(PLANTS) as PlantId[]).map((p) =>
      gateway(p, {
        registry: join(dir, `${p}.yaml`),
        allowAnonymous: true,
        upstream: {
          broker: p === "sr-01" ? proxy!.url : direct,
          username: `gw-${p}`,
          passwordFile: join(dir, `${p}.password`),
          intervalMs: 1000,
        },
      }),
    ),
  );
  (Object.keys(PLANTS) as PlantId[]).forEach((p, i) => {
    http[p] = plants[i]!.httpPort as number;
    mqtt[p] = plants[i]!.mqttPort as number;
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop("SIGTERM", 15_000)));
  await proxy?.close();
  for (const database of databases) {
    await new InfluxSampleStore({ url: inject("influxUrl"), database }).influx
      .dropDatabase(database)
      .catch(() => {});
  }
  await rm(dir, { recursive: true, force: true });
}, 60_000);

const byLine = (o: OutputResponse) =>
  Object.fromEntries(o.lines.map((l) => [`${l.plant}/${l.line}`, { good: l.good, reject: l.reject }]));
const canon = (o: Record<string, Counts>) =>
  JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
const add = (a: Counts, b: Counts): Counts => ({ good: a.good + b.good, reject: a.reject + b.reject });

async function outputs(from: string, to: string) {
  const q = `/api/output?from=${from}&to=${to}`;
  const [bureau, sr, nc] = await Promise.all([
    get<OutputResponse>("bureau", q),
    get<OutputResponse>("sr-01", q),
    get<OutputResponse>("nc-01", q),
  ]);
  return { bureau: byLine(bureau), plants: { ...byLine(sr), ...byLine(nc) }, total: bureau.total };
}

/** Records every freshness state the bureau shows for sr-01 until stopped. */
function watchFreshness(): { seen: Array<PlantFreshness["state"]>; stop: () => void } {
  const seen: Array<PlantFreshness["state"]> = [];
  let on = true;
  void (async () => {
    while (on) {
      const c = await get<CapacityResponse>("bureau", "/api/capacity").catch(() => null);
      const state = c?.plants.find((p) => p.id === "sr-01")?.upstream?.state;
      if (state !== undefined && seen.at(-1) !== state) seen.push(state);
      await sleep(250);
    }
  })();
  return { seen, stop: () => (on = false) };
}

describe("province federation", () => {
  it("gives the bureau exactly the ledger and the plants' own sums after a 60 s uplink cut", async () => {
    const t0 = Date.now();
    const from = new Date(t0 - 10 * 60_000).toISOString();
    const sims = (Object.keys(PLANTS) as PlantId[]).map((p) => {
      const sim = new CliProcess([
        "sim",
        ...["--registry", join(dir, `${p}.yaml`), "--broker", `mqtt://127.0.0.1:${mqtt[p]}`],
        ...["--seed", p === "sr-01" ? "81" : "82", "--duration", String(SIM_SECONDS), "--speedup", "4"],
        ...["--truth", join(dir, `${p}-truth.json`)],
      ]);
      started.push(sim);
      return sim;
    });
    const freshness = watchFreshness();
    await sleep(Math.max(0, t0 + CUT_AT_S * 1000 - Date.now()));
    proxy!.cut();
    // While cut, the bureau says sr-01 went quiet; its roll-ups wait in its disk outbox.
    await until(
      "sr-01 silent at the bureau",
      () => get<CapacityResponse>("bureau", "/api/capacity"),
      (c) => c.plants.find((p) => p.id === "sr-01")?.upstream?.state === "silent",
      CUT_MS - 5000,
    );
    await sleep(Math.max(0, t0 + CUT_AT_S * 1000 + CUT_MS - Date.now()));
    proxy!.restore();
    for (const sim of sims) {
      const end = await sim.exited;
      expect(end.code, sim.stderr).toBe(0);
    }
    const truth: Record<string, Counts> = {};
    for (const p of Object.keys(PLANTS)) {
      const t = JSON.parse(await readFile(join(dir, `${p}-truth.json`), "utf8")) as {
        lines: Record<string, Counts>;
      };
      Object.assign(truth, t.lines);
    }
    const to = new Date(Date.now() + 10 * 60_000).toISOString();
    // The plants have every count once the sims drained; the bureau once the roll-ups caught up.
    const final = await until(
      "the bureau to equal the ledger",
      () => outputs(from, to),
      (o) => canon(o.bureau) === canon(truth) && canon(o.plants) === canon(truth),
      60_000,
    );
    await until(
      "sr-01 current again",
      () => get<CapacityResponse>("bureau", "/api/capacity"),
      (c) => c.plants.find((p) => p.id === "sr-01")?.upstream?.state === "current",
      30_000,
    );
    freshness.stop();
    expect(final.bureau).toEqual(truth);
    expect(final.plants).toEqual(truth);
    for (const c of Object.values(truth)) expect(c.good).toBeGreaterThan(500);

    // /api/capacity: the bureau's figures over both plants equal the sum of each plant's own (every day the run touched).
    const days = [
      ...new Set([t0, Date.now()].map((t) => new Date(t + 8 * 3_600_000).toISOString().slice(0, 10))),
    ];
    let bureauOut: Counts = { good: 0, reject: 0 };
    let plantsOut: Counts = { good: 0, reject: 0 };
    for (const date of days) {
      const [b, sr, nc] = await Promise.all(
        (["bureau", "sr-01", "nc-01"] as const).map((w) =>
          get<CapacityResponse>(w, `/api/capacity?date=${date}`),
        ),
      );
      bureauOut = add(bureauOut, b!.output);
      plantsOut = add(plantsOut, add(sr!.output, nc!.output));
      for (const p of b!.plants) {
        const own = (p.id === "sr-01" ? sr! : nc!).plants.find((x) => x.id === p.id)!;
        expect(p.output).toEqual(own.output);
        expect(p.reporting).toBe(true);
      }
    }
    const ledgerTotal = Object.values(truth).reduce(add, { good: 0, reject: 0 });
    expect(bureauOut).toEqual(ledgerTotal);
    expect(plantsOut).toEqual(ledgerTotal);
    expect(final.total).toEqual(ledgerTotal);
    expect(freshness.seen).toContain("silent");
    console.log(JSON.stringify({ truth, freshness: freshness.seen, wallSeconds: (Date.now() - t0) / 1000 }));
  }, 240_000);
});
