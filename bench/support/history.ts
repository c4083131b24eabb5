import type { BenchLine } from "./registry.ts";

/**
 * Synthetic history written straight to InfluxDB in line protocol (the gateway's `output` schema: tags plant,
 * line, epoch; integer fields), batches of 5,000 points with two requests in flight (STACK.md: influxd's sweet
 * spot). Each line produces `perPoint` ± 20 % good masks per point and ~1 % rejects; returns the exact totals
 * written so a test can compare them with what the API answers.
 */
export interface HistoryOptions {
  url: string;
  database: string;
  lines: readonly BenchLine[];
  /** First and last point time (ms). */
  from: number;
  to: number;
  stepMs: number;
}

export async function writeHistory(
  o: HistoryOptions,
): Promise<{ points: number; good: number; reject: number }> {
  let points = 0;
  let good = 0;
  let reject = 0;
  let batch: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const send = async (body: string) => {
    const res = await fetch(`${o.url}/write?db=${o.database}&precision=ms`, { method: "POST", body });
    if (!res.ok) throw new Error(`history write failed: ${res.status} ${await res.text()}`);
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const p = send(batch.join("\n")).finally(() => inFlight.delete(p));
    inFlight.add(p);
    batch = [];
    if (inFlight.size >= 2) await Promise.race(inFlight);
  };
  const odo = o.lines.map(() => ({ good: 0, reject: 0, seq: 0 }));
  for (let ts = o.from; ts <= o.to; ts += o.stepMs) {
    for (let i = 0; i < o.lines.length; i++) {
      const l = o.lines[i]!;
      const s = odo[i]!;
      const g = 100 + ((ts / o.stepMs + i * 7) % 41);
      const r = (ts / o.stepMs + i) % 97 === 0 ? 3 : 0;
      s.good += g;
      s.reject += r;
      s.seq++;
      batch.push(
        `output,epoch=h,line=${l.line},plant=${l.plant} device="d${i}",good=${g}i,good_odo=${s.good}i,reject=${r}i,reject_odo=${s.reject}i,seq=${s.seq}i ${ts}`,
      );
      points++;
      good += g;
      reject += r;
      if (batch.length >= 5000) await flush();
    }
  }
  await flush();
  await Promise.all(inFlight);
  return { points, good, reject };
}
