import { performance } from "node:perf_hooks";
import { MqttLoad } from "./support/mqtt-load.ts";
import { percentile, round, rssBytes, sleep, waitFor } from "./support/proc.ts";
import { ADMIN_TOKEN, influxQuery, startGateway, startInflux, tempDir } from "./support/processes.ts";
import { benchLines, registryYaml } from "./support/registry.ts";

/**
 * Overload (issue 7 goal: memory bounded, stored rate ≥ 80 % of capacity, QoS 1 publishers slowed rather
 * than dropped, drops counted). 100 QoS 1 devices publish at the sustainable rate, then at twice it; then
 * the same QoS 1 load runs while 100 other connections flood QoS 0 at 4× it. The gateway sheds QoS 0 (acks
 * and drops it, counted as `overload`) while `limits.qos0ShedBacklog` samples wait for the store; below that,
 * TCP backpressure bounds the flood: aedes reads a connection's next chunk only once every publish of the
 * previous one was handled (client.js nextBatch), and the gateway handles a publish only once it is stored.
 * `npm run bench -- overload [--quick]`; test/bench/overload.test.ts runs it at tiny scale.
 */
export interface PhaseFigures {
  phase: string;
  /** QoS 1 samples/s asked of the generator (and QoS 0, for the flood). */
  qos1Target: number;
  qos0Target: number;
  /** Samples (points) stored per second while the phase ran, both QoS (masktally_store_points_total). */
  storedRate: number;
  qos1Sent: number;
  /** QoS 1 samples the generator held back because the device's window of 100 was full. */
  qos1Slowed: number;
  /** Every QoS 1 sample sent was acknowledged and stored (nothing dropped). */
  qos1AllStored: boolean;
  qos1P99Ms: number;
  qos0Sent: number;
  /**
   * Counts of the QoS 0 devices stored in the end. Each sample advanced its odometer by one, so this is
   * samples sent minus the counts lost; a shed sample's count is not lost when a later sample of its line
   * is stored (cumulative odometers, ADR 0001) — only each line's trailing shed samples are.
   */
  qos0Stored: number;
  /** QoS 0 samples stored as points: with `gatewayDrops` (sheds), exactly `qos0Sent` when nothing else dropped. */
  qos0SamplesStored: number;
  /** masktally_mqtt_drops_total during the phase (dropped samples, by any reason). */
  gatewayDrops: number;
  rssPeakMB: number;
}

export interface OverloadResult {
  capacity: number;
  rssIdleMB: number;
  phases: PhaseFigures[];
  /** Stored rate under 2× load and under the flood ÷ capacity. */
  storedVsCapacity: { double: number; flood: number };
}

const HOST = "127.0.0.1";

/** sum(good) (counts) or count(good) (samples) stored for one of the two device groups. */
async function stored(url: string, epoch: string, fn: "sum" | "count" = "sum"): Promise<number> {
  const s = (await influxQuery(
    url,
    `SELECT ${fn}(good) FROM output WHERE epoch = '${epoch}'`,
    "masktally",
  )) as Array<{
    values: Array<[number, number]>;
  }>;
  return s[0]?.values[0]?.[1] ?? 0;
}

/** The gateway's /metrics as `name{labels}` → value. */
async function metrics(httpPort: number): Promise<Map<string, number>> {
  const res = await fetch(`http://${HOST}:${httpPort}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const out = new Map<string, number>();
  for (const l of (await res.text()).split("\n")) {
    const i = l.lastIndexOf(" ");
    if (!l.startsWith("#") && i > 0) out.set(l.slice(0, i), Number(l.slice(i + 1)));
  }
  return out;
}

/** Sum of a counter over its labels (only the series whose key includes `label`, when given). */
function sumOf(m: Map<string, number>, name: string, label = ""): number {
  let n = 0;
  for (const [key, v] of m) if ((key === name || key.startsWith(`${name}{`)) && key.includes(label)) n += v;
  return n;
}
const drops = async (httpPort: number) => sumOf(await metrics(httpPort), "masktally_mqtt_drops_total");
const points = async (httpPort: number) => sumOf(await metrics(httpPort), "masktally_store_points_total");
/** Publishes the gateway has taken in: handed to ingest, or shed under overload before it. */
async function taken(httpPort: number): Promise<number> {
  const m = await metrics(httpPort);
  return sumOf(m, "masktally_mqtt_messages_total") + sumOf(m, "masktally_mqtt_drops_total", '"overload"');
}

interface Ctx {
  url: string;
  pid: number;
  httpPort: number;
  q1: MqttLoad;
  q0: MqttLoad;
  seconds: number;
}

/**
 * QoS 0 has no acknowledgement: waits until the gateway has taken in every publish sent (the flood's TCP
 * backlog drained; shed ones count), then until the QoS 0 store stops growing for 500 ms (its last batches).
 */
async function qos0Settled(c: Ctx): Promise<void> {
  const sent = c.q1.sent + c.q0.sent;
  await waitFor(async () => (await taken(c.httpPort)) >= sent, 120_000);
  let last = -1;
  let since = performance.now();
  await waitFor(async () => {
    const s = await stored(c.url, "f0");
    if (s !== last) [last, since] = [s, performance.now()];
    return performance.now() - since > 500;
  }, 60_000);
}

async function phase(c: Ctx, name: string, q1Rate: number, q0Rate: number): Promise<PhaseFigures> {
  const [s1, s0, n0, d0, p0] = await Promise.all([
    stored(c.url, "q1"),
    stored(c.url, "f0"),
    stored(c.url, "f0", "count"),
    drops(c.httpPort),
    points(c.httpPort),
  ]);
  const sent1 = c.q1.sent;
  const sent0 = c.q0.sent;
  let rssPeak = rssBytes(c.pid);
  const timer = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssBytes(c.pid));
  }, 250);
  try {
    const t0 = performance.now();
    const [r1] = await Promise.all([
      c.q1.runRate(q1Rate, c.seconds),
      q0Rate > 0 ? c.q0.runRate(q0Rate, c.seconds, false) : Promise.resolve(null),
    ]);
    const wall = (performance.now() - t0) / 1000;
    const during = (await points(c.httpPort)) - p0;
    const drained = await c.q1.drain(60_000);
    if (q0Rate > 0) await qos0Settled(c);
    const q1Stored = (await stored(c.url, "q1")) - s1;
    return {
      ...{ phase: name, qos1Target: q1Rate, qos0Target: q0Rate, storedRate: Math.round(during / wall) },
      ...{
        qos1Sent: r1.sent,
        qos1Slowed: r1.slowed,
        qos1AllStored: drained && q1Stored === c.q1.sent - sent1,
      },
      qos1P99Ms: round(percentile(c.q1.latencies, 99)),
      ...{ qos0Sent: c.q0.sent - sent0, qos0Stored: (await stored(c.url, "f0")) - s0 },
      qos0SamplesStored: (await stored(c.url, "f0", "count")) - n0,
      gatewayDrops: (await drops(c.httpPort)) - d0,
      rssPeakMB: round(rssPeak / 2 ** 20),
    };
  } finally {
    clearInterval(timer);
  }
}

export interface OverloadOptions {
  quick?: boolean;
  /** The sustainable QoS 1 rate (samples/s): 40,000, quick 20,000 (the ingest ladder's zero-loss step). */
  capacity?: number;
  /** Devices in each group, QoS 1 and QoS 0 flood (default 100). */
  devices?: number;
  /** Length of each phase (default 20 s, quick 3 s). */
  seconds?: number;
}

export async function run(opts: OverloadOptions = {}): Promise<OverloadResult> {
  const quick = opts.quick ?? false;
  const capacity = opts.capacity ?? (quick ? 20_000 : 40_000);
  const devices = opts.devices ?? 100;
  const lines = benchLines(2 * devices);
  const tmp = await tempDir("overload");
  const influx = await startInflux(tmp.dir);
  try {
    await influxQuery(influx.url, "CREATE DATABASE masktally");
    const g = await startGateway(tmp.dir, { influx: influx.url }, registryYaml(lines));
    const q1 = new MqttLoad({ host: HOST, port: g.mqttPort, lines: lines.slice(0, devices), epoch: "q1" });
    const q0 = new MqttLoad({
      host: HOST,
      port: g.mqttPort,
      lines: lines.slice(devices),
      epoch: "f0",
      qos: 0,
    });
    try {
      await q1.connect();
      await q0.connect();
      await sleep(500);
      const rssIdleMB = round(rssBytes(g.pid) / 2 ** 20);
      const seconds = opts.seconds ?? (quick ? 3 : 20);
      const c: Ctx = { url: influx.url, pid: g.pid, httpPort: g.httpPort, q1, q0, seconds };
      const phases = [
        await phase(c, "sustainable", capacity, 0),
        await phase(c, "2× sustainable", 2 * capacity, 0),
        await phase(c, "QoS 0 flood + sustainable", capacity, 4 * capacity),
      ];
      const base = phases[0]?.storedRate || capacity;
      return {
        capacity: base,
        rssIdleMB,
        phases,
        storedVsCapacity: {
          double: round((phases[1]?.storedRate ?? 0) / base, 2),
          flood: round((phases[2]?.storedRate ?? 0) / base, 2),
        },
      };
    } finally {
      await Promise.allSettled([q1.close(), q0.close()]);
      await g.stop();
    }
  } finally {
    await influx.stop();
    await tmp.cleanup();
  }
}

export function report(result: unknown): string {
  const r = result as OverloadResult;
  return [
    `overload: capacity (stored rate at the sustainable step) ${r.capacity}/s; gateway RSS idle ${r.rssIdleMB} MB`,
    "phase | QoS1/s | QoS0/s | samples stored/s | QoS1 slowed | QoS1 all stored | QoS1 p99 ms | QoS0 samples sent | QoS0 samples stored | QoS0 counts stored | samples shed (drops) | RSS peak MB",
    ...r.phases.map((p) =>
      [
        p.phase,
        p.qos1Target,
        p.qos0Target,
        p.storedRate,
        p.qos1Slowed,
        p.qos1AllStored ? "yes" : "NO",
        p.qos1P99Ms,
        p.qos0Sent,
        p.qos0SamplesStored,
        p.qos0Stored,
        p.gatewayDrops,
        p.rssPeakMB,
      ].join(" | "),
    ),
    `stored ÷ capacity: 2× load ${r.storedVsCapacity.double}, QoS 0 flood ${r.storedVsCapacity.flood} (goal ≥ 0.8)`,
  ].join("\n");
}
