import { memoryComparison } from "./support/compare.ts";

/**
 * Memory per connected idle device (issue 7 goal: ≤ 30 KB of gateway RSS at 5,000 devices): RSS before any
 * connection and after 5,000 connections have each sent one sample and gone quiet, divided by 5,000.
 * `npm run bench -- memory [--quick]`.
 */
export async function run(opts: { quick?: boolean } = {}) {
  const both = await memoryComparison(opts.quick ?? false);
  return { ...both.masktally, baseline: both.baseline };
}

export function report(result: unknown): string {
  const r = result as Awaited<ReturnType<typeof run>>;
  return [
    `memory, ${r.devices} idle devices — stack | RSS idle MB | RSS connected MB | bytes per device`,
    `masktally | ${r.rssIdleMB} | ${r.rssConnectedMB} | ${r.bytesPerDevice}   (goal ≤ 30,720)`,
    `baseline  | ${r.baseline.rssIdleMB} | ${r.baseline.rssConnectedMB} | ${r.baseline.bytesPerDevice}   (Mosquitto + subscriber)`,
  ].join("\n");
}
