import { latencyComparison } from "./support/compare.ts";

/**
 * Latency at 1,000 devices × 1 sample/s (issue 7 goal: p99 publish → stored ≤ 100 ms). masktally's figure is
 * the PUBACK time (sent only once the sample is stored); the baseline's is the subscriber's write time minus
 * the publish time carried in the sample. `npm run bench -- latency [--quick]`.
 */
export async function run(opts: { quick?: boolean } = {}) {
  const both = await latencyComparison(opts.quick ?? false);
  return { ...both.masktally, baseline: both.baseline };
}

export function report(result: unknown): string {
  const r = result as Awaited<ReturnType<typeof run>>;
  return [
    `latency, ${r.devices} devices × ${r.ratePerDevice}/s for ${r.seconds} s — stack | samples | p50 ms | p99 ms | max ms | zero loss`,
    `masktally | ${r.samples} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.zeroLoss ? "yes" : "NO"}   (goal p99 ≤ 100 ms)`,
    `baseline  | ${r.baseline.samples} | ${r.baseline.p50Ms} | ${r.baseline.p99Ms} | ${r.baseline.maxMs} | ${r.baseline.zeroLoss ? "yes" : "NO"}`,
  ].join("\n");
}
