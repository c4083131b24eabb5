import { readFileSync } from "node:fs";

/** Linux USER_HZ: /proc/PID/stat counts CPU time in ticks of 1/100 s on every mainstream kernel config. */
const TICK_MS = 10;

/** CPU time (user + system, ms) a process has used so far: /proc/PID/stat fields 14 and 15 (proc(5)). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Resident set size in bytes: VmRSS of /proc/PID/status. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Sums CPU over several processes (the baseline is Mosquitto plus its subscriber). */
export const cpuOf = (pids: readonly number[]) => pids.reduce((s, p) => s + cpuMs(p), 0);
export const rssOf = (pids: readonly number[]) => pids.reduce((s, p) => s + rssBytes(p), 0);

/** p-th percentile (0–100) of a sample, nearest rank; 0 for an empty one. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export const median = (values: readonly number[]) => percentile(values, 50);
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `done` every 20 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await done()) return true;
    await sleep(20);
  }
  return done();
}
