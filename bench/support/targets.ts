import { performance } from "node:perf_hooks";
import { startBaseline } from "./baseline.ts";
import { cpuOf, rssOf } from "./proc.ts";
import { influxQuery, startGateway, storedGood } from "./processes.ts";
import { type BenchLine, registryYaml } from "./registry.ts";

/** A system under test: masktally's gateway, or Mosquitto + the DIY subscriber, writing into one influxd. */
export interface Target {
  name: "masktally" | "baseline";
  mqttPort: number;
  pids: number[];
  /** Good counts stored in InfluxDB (each bench sample adds exactly one). */
  stored(): Promise<number>;
  /** publish → stored latencies since the last call, or null when the PUBACK times are those latencies. */
  storeLatencies(): Promise<number[] | null>;
  stop(): Promise<void>;
}

export async function startTarget(
  name: Target["name"],
  dir: string,
  influxUrl: string,
  lines: readonly BenchLine[],
  settings: Record<string, unknown> = {},
): Promise<Target> {
  if (name === "baseline") {
    await influxQuery(influxUrl, "DROP DATABASE baseline");
    const b = await startBaseline(dir, influxUrl, "baseline");
    return {
      name,
      mqttPort: b.port,
      pids: b.pids,
      stored: () => storedGood(influxUrl, "baseline"),
      storeLatencies: async () => (await b.stats()).latenciesMs,
      stop: b.stop,
    };
  }
  await influxQuery(influxUrl, "DROP DATABASE masktally");
  const g = await startGateway(dir, { influx: influxUrl, ...settings }, registryYaml(lines));
  return {
    name,
    mqttPort: g.mqttPort,
    pids: [g.pid],
    stored: () => storedGood(influxUrl, "masktally"),
    storeLatencies: async () => null,
    stop: g.stop,
  };
}

/** CPU (ms) and peak RSS of a target's processes over `work`, sampling RSS every 250 ms. */
export async function measured<T>(
  pids: readonly number[],
  work: () => Promise<T>,
): Promise<{ value: T; cpuMs: number; wallMs: number; rssPeak: number }> {
  const cpu0 = cpuOf(pids);
  const t0 = performance.now();
  let rssPeak = rssOf(pids);
  const timer = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssOf(pids));
  }, 250);
  try {
    const value = await work();
    return { value, cpuMs: cpuOf(pids) - cpu0, wallMs: performance.now() - t0, rssPeak };
  } finally {
    clearInterval(timer);
  }
}
