import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { InfluxSampleStore } from "../../gateway/store/influx-sample-store.ts";
import type { AlertEvent, Counts, OutputResponse } from "../../protocol/index.ts";
import { CliProcess } from "../support/cli-process.ts";
import { until } from "../support/wait.ts";
import { Balancer } from "./balancer.ts";
import { startRedis, type TestRedis } from "./redis.ts";

/**
 * The issue 8 broker-cluster acceptance test: two gateway processes share MQTT state and line ownership
 * through one redis-server and one InfluxDB database; the simulator's devices reach them through a
 * round-robin TCP balancer. Instance A is SIGKILLed mid-run, its devices reconnect to B; the stored totals
 * equal the ledger exactly, and an alert raised on one instance reaches a subscriber on the other.
 */
const REGISTRY = `timezone: Asia/Shanghai
target: { daily: 1000000 }
regions:
  - { id: shangrao, name: 上饶市 }
plants:
  - id: sr-01
    name: 上饶示例防护用品有限公司
    region: shangrao
    target: { daily: 200000 }
    lines:
      - { id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 300 }
      - { id: l2, name: 2号平面口罩线, type: flat, ratedPerMin: 300 }
      - { id: l3, name: 3号KN95线, type: kn95, ratedPerMin: 120 }
      - { id: l4, name: 4号KN95线, type: kn95, ratedPerMin: 120 }
`;
const SIM_SECONDS = 30;
const SPEEDUP = 4;
const KILL_AT_S = 12;
const LEASE_MS = 3000;

let dir: string;
let redis: TestRedis | undefined;
let balancer: Balancer | undefined;
const database = `t_cluster_${Date.now().toString(36)}`;
const started: CliProcess[] = [];
const watchers: MqttClient[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gw: Record<"a" | "b", { proc: CliProcess; mqttPort: number; httpPort: number }> = {} as never;

async function startInstance(name: "a" | "b") {
  const file = join(dir, `${name}.json`);
  const config = {
    registry: join(dir, "registry.yaml"),
    allowAnonymous: true,
    influx: inject("influxUrl"),
    database,
    dataDir: join(dir, name),
    alerts: { stopDelaySeconds: 1 },
    cluster: { redis: redis!.url, instanceId: `gw-${name}`, leaseMs: LEASE_MS },
  };
  await writeFile(file, JSON.stringify(config));
  const proc = new CliProcess(["gateway", "--config", file, "--mqtt-port", "0", "--http-port", "0"]);
  started.push(proc);
  const ready = await proc.waitForLog((l) => l.msg === "gateway ready", 60_000);
  gw[name] = { proc, mqttPort: ready.mqttPort as number, httpPort: ready.httpPort as number };
}

/** A subscriber on one instance's own port: it only gets what the other instance raised through Redis. */
async function watch(name: "a" | "b"): Promise<AlertEvent[]> {
  const events: AlertEvent[] = [];
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw[name].mqttPort}`, { reconnectPeriod: 0 });
  watchers.push(client);
  client.on("message", (_t, payload) => events.push(JSON.parse(payload.toString()) as AlertEvent));
  await client.subscribeAsync("mt/v1/alerts/#", { qos: 1 });
  return events;
}

const acquired = (p: CliProcess) =>
  p.logs.filter((l) => l.msg === "line lease acquired").map((l) => l.line as string);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-cluster-"));
  await writeFile(join(dir, "registry.yaml"), REGISTRY);
  redis = await startRedis(dir);
  await Promise.all([startInstance("a"), startInstance("b")]);
  balancer = await Balancer.start([gw.a.mqttPort, gw.b.mqttPort]);
}, 90_000);

afterAll(async () => {
  for (const w of watchers) await w.endAsync(true).catch(() => {});
  await Promise.all(started.map((p) => p.stop("SIGTERM", 15_000)));
  await balancer?.close();
  await redis?.stop();
  await new InfluxSampleStore({ url: inject("influxUrl"), database }).influx
    .dropDatabase(database)
    .catch(() => {});
  await rm(dir, { recursive: true, force: true });
}, 60_000);

describe("broker cluster on Redis", () => {
  it("counts exactly once across two instances when one is SIGKILLed, and fans alerts out", async () => {
    const t0 = Date.now();
    const seen = { a: await watch("a"), b: await watch("b") };
    const truthFile = join(dir, "truth.json");
    const sim = new CliProcess([
      ...["sim", "--registry", join(dir, "registry.yaml"), "--broker", balancer!.url],
      ...["--seed", "88", "--duration", String(SIM_SECONDS), "--speedup", String(SPEEDUP)],
      ...["--stop", "sr-01/l1@8+24", "--truth", truthFile],
    ]);
    started.push(sim);

    // l1 stops at 2 s wall: whichever instance counts l1 raises the alert; the other one's subscriber gets it.
    const raised = await until(
      "a line-stopped alert for l1",
      async () =>
        (["a", "b"] as const).flatMap((name) =>
          gw[name].proc.logs
            .filter((l) => l.msg === "alert event" && l.event === "raised" && l.kind === "line-stopped")
            .filter((l) => l.line === "l1")
            .map((l) => ({ by: name, id: l.alert as string })),
        ),
      (r) => r.length > 0,
      (KILL_AT_S - 1) * 1000,
    );
    const { by, id } = raised[0]!;
    const other = by === "a" ? "b" : "a";
    await until(
      `the alert on instance ${other}'s subscriber`,
      async () => seen[other],
      (evs) => evs.some((e) => e.event === "raised" && e.alert.id === id),
      5000,
    );

    await sleep(Math.max(0, t0 + KILL_AT_S * 1000 - Date.now()));
    const heldByA = new Set(acquired(gw.a.proc));
    expect(heldByA.size, "instance A counted no line before the kill").toBeGreaterThan(0);
    expect(acquired(gw.b.proc).length, "instance B counted no line before the kill").toBeGreaterThan(0);
    const bBefore = acquired(gw.b.proc).length;
    gw.a.proc.child.kill("SIGKILL");
    await gw.a.proc.exited;

    const end = await sim.exited;
    expect(end.code, sim.stderr).toBe(0);
    expect(sim.logs.some((l) => l.msg === "sim finished" && l.drained === true)).toBe(true);
    // Every line A had counted was taken over by B after the kill.
    const takenOver = new Set(acquired(gw.b.proc).slice(bBefore));
    for (const line of heldByA) expect(takenOver.has(line), `B took over ${line}`).toBe(true);

    const truth = (JSON.parse(await readFile(truthFile, "utf8")) as { lines: Record<string, Counts> }).lines;
    const from = new Date(t0 - 10 * 60_000).toISOString();
    const to = new Date(Date.now() + 10 * 60_000).toISOString();
    const out = await until(
      "stored totals",
      async () => {
        const res = await fetch(`http://127.0.0.1:${gw.b.httpPort}/api/output?from=${from}&to=${to}`);
        return (await res.json()) as OutputResponse;
      },
      (o) => o.lines !== undefined,
      10_000,
    );
    const stored = Object.fromEntries(
      out.lines.map((l) => [`${l.plant}/${l.line}`, { good: l.good, reject: l.reject }]),
    );
    expect(stored).toEqual(truth);
    for (const c of Object.values(truth)) expect(c.good).toBeGreaterThan(100);
  }, 90_000);
});
