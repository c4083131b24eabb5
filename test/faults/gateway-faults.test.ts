import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManagedInflux, startManagedInflux } from "../../gateway/store/managed-influx.ts";
import type { HealthResponse, OutputResponse } from "../../protocol/index.ts";
import { CliProcess } from "../support/cli-process.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";

/**
 * The issue 4 acceptance test: 12 simulated lines for 190 s while the gateway is killed with SIGKILL twice
 * (once while points sit in its disk spool), InfluxDB is stopped for 30 s, the network between firmware
 * and gateway is cut for 30 s, and the proxy injects duplicate, reordered and stale deliveries throughout.
 * The stored totals must equal the simulator's ledger, per line, to the unit.
 */
const PLANTS = ["sr-01", "nc-01"];
const REGISTRY = `
timezone: Asia/Shanghai
regions: [ { id: shangrao, name: 上饶市 } ]
plants:
${PLANTS.map(
  (p) => `  - id: ${p}
    name: 示例防护用品有限公司 ${p}
    region: shangrao
    lines:
${[1, 2, 3, 4, 5, 6].map((n) => `      - { id: l${n}, name: ${n}号线, type: flat, ratedPerMin: ${60 + n * 40} }`).join("\n")}`,
).join("\n")}
`;
const SIM_SECONDS = 190;
const OUTAGE_MS = 30_000;

let dir: string;
let influx: ManagedInflux;
let proxy: TcpProxy;
let gateway: CliProcess | undefined;
let ports: { mqtt: number; http: number };
const started: CliProcess[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function health(): Promise<HealthResponse | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${ports.http}/api/health`, {
      signal: AbortSignal.timeout(5000),
    });
    return (await res.json()) as HealthResponse;
  } catch {
    return null;
  }
}

/** Polls until `check` holds; the fault test's only waits are for conditions (and the outages' lengths). */
async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (check(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await sleep(250);
  }
}

function startGatewayProcess(mqttPort: number, httpPort: number): CliProcess {
  const p = new CliProcess([
    "gateway",
    ...["--registry", join(dir, "registry.yaml"), "--influx", influx.url, "--data-dir", join(dir, "gw")],
    ...["--mqtt-port", String(mqttPort), "--http-port", String(httpPort), "--allow-anonymous"],
  ]);
  started.push(p);
  return p;
}

async function restartGateway(): Promise<CliProcess> {
  const { signal } = await gateway!.stop("SIGKILL");
  expect(signal).toBe("SIGKILL");
  gateway = startGatewayProcess(ports.mqtt, ports.http);
  return gateway;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-faults-"));
  await writeFile(join(dir, "registry.yaml"), REGISTRY);
  influx = await startManagedInflux({ dataDir: join(dir, "influx") });
  gateway = startGatewayProcess(0, 0);
  const ready = await gateway.waitForLog((l) => l.msg === "gateway ready", 60_000);
  ports = { mqtt: ready.mqttPort as number, http: ready.httpPort as number };
  proxy = await TcpProxy.start({ port: ports.mqtt });
}, 90_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop("SIGKILL")));
  await proxy?.close();
  await influx?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe("exact counts through every fault", () => {
  it("stores exactly the ledger per line after 2 kill -9s, a 30 s InfluxDB outage, a 30 s network cut, duplicates and reorders", async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    proxy.faults = { duplicate: 0.1, reorder: 0.1, replayOld: 0.05 };
    const sim = new CliProcess([
      "sim",
      ...["--registry", join(dir, "registry.yaml"), "--broker", proxy.url, "--seed", "44"],
      ...["--duration", String(SIM_SECONDS), "--speedup", "4", "--drain-timeout", "120"],
      ...["--truth", join(dir, "truth.json")],
    ]);
    started.push(sim);
    const t0 = Date.now();
    const at = async (s: number) => sleep(Math.max(0, t0 + s * 1000 - Date.now()));

    // Kill 1: SIGKILL mid-run, restart on the same ports; the firmware reconnects and resends.
    await at(20);
    await (await restartGateway()).waitForLog((l) => l.msg === "gateway ready", 60_000);

    // InfluxDB down: samples are acknowledged from the disk spool; health says degraded with the depth.
    await at(40);
    await influx.stop();
    const stoppedAt = Date.now();
    const degraded = await until(
      "points in the spool",
      health,
      (h) => h !== null && h.spooled > 0,
      OUTAGE_MS - 5000,
    );
    expect(degraded).toMatchObject({ status: "degraded", influx: "down" });

    // Kill 2 while points sit only in the spool: they must survive and not be counted twice.
    const spoolDir = join(dir, "gw", "spool");
    expect(readdirSync(spoolDir).length).toBeGreaterThan(0);
    const restarted = await restartGateway();
    await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
    influx = await startManagedInflux({ dataDir: join(dir, "influx"), port: influx.port });
    await restarted.waitForLog((l) => l.msg === "gateway ready", 90_000);
    await until("the spool to drain", health, (h) => h?.status === "ok" && h.spooled === 0);

    // Network cut between firmware and gateway for 30 s.
    await at(110);
    proxy.cut();
    await sleep(OUTAGE_MS);
    proxy.restore();

    const end = await sim.exited;
    expect(end.code, sim.stderr).toBe(0);
    const finished = sim.logs.find((l) => l.msg === "sim finished");
    expect(finished?.drained).toBe(true);
    const truth = JSON.parse(await readFile(join(dir, "truth.json"), "utf8")) as {
      lines: Record<string, { good: number; reject: number }>;
    };
    const to = new Date(Date.now() + 10 * 60_000).toISOString();
    const res = await fetch(`http://127.0.0.1:${ports.http}/api/output?from=${from}&to=${to}`);
    const out = (await res.json()) as OutputResponse;
    const stored = Object.fromEntries(
      out.lines.map((l) => [`${l.plant}/${l.line}`, { good: l.good, reject: l.reject }]),
    );
    const summary = { truth: truth.lines, stored, proxy: proxy.stats, wallSeconds: (Date.now() - t0) / 1000 };
    console.log(JSON.stringify(summary));
    expect(Object.keys(truth.lines)).toHaveLength(12);
    expect(stored).toEqual(truth.lines);
    for (const c of Object.values(truth.lines)) expect(c.good).toBeGreaterThan(500);
    expect(proxy.stats.duplicated).toBeGreaterThan(0);
    expect(proxy.stats.reordered).toBeGreaterThan(0);
    expect(proxy.stats.refused).toBeGreaterThan(0);
    expect(existsSync(spoolDir)).toBe(true);
  }, 420_000);
});
