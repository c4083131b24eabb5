import { ladderTable } from "./ingest.ts";
import { ingestComparison, latencyComparison, memoryComparison } from "./support/compare.ts";

/**
 * The do-it-yourself stack under the same load as masktally (issue 7): Debian Mosquitto + a minimal mqtt.js
 * subscriber writing to InfluxDB with node-influx (bench/support/baseline-subscriber.ts). Shares the runs of
 * the ingest, latency and memory scenarios (each runs once per bench process). CPU and RSS are Mosquitto's
 * plus the subscriber's. `apt-get install mosquitto` (scripts/setup.sh --bench).
 */
export async function run(opts: { quick?: boolean } = {}) {
  const quick = opts.quick ?? false;
  const ingest = (await ingestComparison(quick)).baseline;
  const latency = (await latencyComparison(quick)).baseline;
  const memory = (await memoryComparison(quick)).baseline;
  const rate = (d: number) => ingest.ladders.find((l) => l.devices === d)?.zeroLossRate ?? 0;
  return {
    zeroLossRate: rate(100),
    zeroLossRateAt1000: rate(1000),
    cpuUsPerSampleAt10k: ingest.cpuUsPerSampleAt10k,
    ladders: ingest.ladders,
    latency,
    memory,
  };
}

export function report(result: unknown): string {
  const r = result as Awaited<ReturnType<typeof run>>;
  return [
    ...ladderTable(
      "baseline: Mosquitto + mqtt.js/node-influx subscriber (latency = publish → written)",
      r.ladders,
    ),
    `highest zero-loss rate: ${r.zeroLossRate}/s at 100 devices, ${r.zeroLossRateAt1000}/s at 1,000; CPU per sample at 10,000/s: ${r.cpuUsPerSampleAt10k ?? "n/a"} µs`,
    `latency at 1,000 × 1/s: p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms; memory: ${r.memory.bytesPerDevice} B per idle device at ${r.memory.devices}`,
  ].join("\n");
}
