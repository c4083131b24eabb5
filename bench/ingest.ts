import { ingestComparison, type LadderFigures, type StackFigures } from "./support/compare.ts";

/**
 * Ingest (issue 7): N devices (one QoS 1 connection and line each) publishing at stepped rates through the
 * real gateway (its own process) into a real influxd; a rate passes when ≥ 95 % of it was published, every
 * PUBACK came back and InfluxDB holds exactly the counts sent. The same ladder runs against the baseline
 * (bench/baseline.ts) in the same bench process. `npm run bench -- ingest [--quick]`.
 */
export interface IngestResult extends StackFigures {
  /** Highest zero-loss rate at 100 devices (samples/s). */
  zeroLossRate: number;
  zeroLossRateAt1000: number;
  /** masktally / baseline, per device count. */
  ratio: Record<string, number | null>;
  baselineZeroLossRate: Record<string, number>;
}

const rateAt = (f: StackFigures, devices: number) =>
  f.ladders.find((l) => l.devices === devices)?.zeroLossRate ?? 0;

export async function run(opts: { quick?: boolean } = {}): Promise<IngestResult> {
  const both = await ingestComparison(opts.quick ?? false);
  const m = both.masktally;
  const b = both.baseline;
  const ratio: Record<string, number | null> = {};
  const baselineZeroLossRate: Record<string, number> = {};
  for (const l of m.ladders) {
    const base = rateAt(b, l.devices);
    baselineZeroLossRate[String(l.devices)] = base;
    ratio[String(l.devices)] = base > 0 ? Math.round((l.zeroLossRate / base) * 100) / 100 : null;
  }
  return {
    ...m,
    zeroLossRate: rateAt(m, 100),
    zeroLossRateAt1000: rateAt(m, 1000),
    ratio,
    baselineZeroLossRate,
  };
}

export function ladderTable(title: string, ladders: readonly LadderFigures[]): string[] {
  const out = [
    title,
    "devices | target/s | sent/s | stored ok | slowed | p50 ms | p99 ms | CPU % | µs/sample | RSS MB",
  ];
  for (const l of ladders)
    for (const s of l.steps)
      out.push(
        [
          String(l.devices).padStart(7),
          String(s.targetRate).padStart(8),
          String(s.rate).padStart(6),
          (s.ok ? "yes" : `NO ${s.stored}/${s.sent}`).padStart(9),
          String(s.slowed).padStart(6),
          String(s.p50Ms).padStart(6),
          String(s.p99Ms).padStart(6),
          String(s.cpuPct).padStart(5),
          String(s.cpuUsPerSample).padStart(9),
          String(s.rssMB).padStart(6),
        ].join(" | "),
      );
  for (const l of ladders)
    if (l.warmUpLost > 0)
      out.push(`${l.devices} devices: the warm-up lost ${l.warmUpLost} counts (steps judged on their own)`);
  return out;
}

export function report(result: unknown): string {
  const r = result as IngestResult;
  return [
    ...ladderTable("ingest: masktally gateway (PUBACK after store)", r.ladders),
    `highest zero-loss rate: ${r.zeroLossRate}/s at 100 devices (goal ≥ 40,000), ${r.zeroLossRateAt1000}/s at 1,000 (goal ≥ 20,000)`,
    `baseline (Mosquitto + DIY subscriber): ${JSON.stringify(r.baselineZeroLossRate)}; masktally/baseline: ${JSON.stringify(r.ratio)}`,
    `gateway CPU per sample at 10,000/s from 1,000 devices: ${r.cpuUsPerSampleAt10k ?? "n/a"} µs (goal ≤ 40)`,
  ].join("\n");
}
