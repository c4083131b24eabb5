import { performance } from "node:perf_hooks";
import { MqttLoad } from "./mqtt-load.ts";
import { percentile, round, rssOf, sleep, waitFor } from "./proc.ts";
import { startInflux, tempDir } from "./processes.ts";
import { benchLines } from "./registry.ts";
import { measured, startTarget, type Target } from "./targets.ts";

/**
 * The MQTT side of issue 7, run against both stacks with the same load generator, the same rates and the
 * same influxd: ingest ladders (highest zero-loss rate), CPU per sample at a fixed rate, latency at
 * 1,000 devices × 1 sample/s, and RSS per idle connection. Each part is computed once per bench process and
 * shared by the ingest, baseline, latency and memory scenarios.
 */
export interface StepFigures {
  targetRate: number;
  rate: number;
  sent: number;
  stored: number;
  slowed: number;
  ok: boolean;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuPct: number;
  cpuUsPerSample: number;
  rssMB: number;
}

export interface LadderFigures {
  devices: number;
  zeroLossRate: number;
  /** Counts the 10,000/s warm-up sent but the store does not hold (masktally: always 0). */
  warmUpLost: number;
  steps: StepFigures[];
}

export interface StackFigures {
  ladders: LadderFigures[];
  /** At 10,000 samples/s from 1,000 devices. */
  cpuUsPerSampleAt10k: number | null;
}

const HOST = "127.0.0.1";

async function withInflux<T>(name: string, work: (url: string, dir: string) => Promise<T>): Promise<T> {
  const tmp = await tempDir(name);
  const influx = await startInflux(tmp.dir);
  try {
    return await work(influx.url, tmp.dir);
  } finally {
    await influx.stop();
    await tmp.cleanup();
  }
}

/** One rate step: publish for `seconds`, wait for every PUBACK and for the store to hold every count. */
/** `lostBefore`: counts earlier steps (the warm-up) did not store; a step is judged on its own samples. */
async function step(t: Target, load: MqttLoad, rate: number, seconds: number, lostBefore = 0) {
  const m = await measured(t.pids, async () => {
    const r = await load.runRate(rate, seconds);
    const drained = await load.drain(15_000);
    const expected = load.sent - lostBefore;
    let last = -1;
    let stableSince = performance.now();
    // Zero loss: the store ends up with exactly what was sent (the baseline may lag its PUBACKs, or lose).
    await waitFor(async () => {
      const s = await t.stored();
      if (s !== last) [last, stableSince] = [s, performance.now()];
      return s >= expected || performance.now() - stableSince > 3000;
    }, 30_000);
    return { r, drained, expected, stored: last };
  });
  const { r, drained, expected, stored } = m.value;
  const lat = (await t.storeLatencies()) ?? load.latencies;
  return {
    targetRate: rate,
    rate: Math.round(r.rate),
    sent: r.sent,
    stored: stored - (expected - r.sent),
    slowed: r.slowed,
    // Sustained: a rate whose acknowledgements fall behind by more than a second is a growing backlog.
    ok: drained && stored === expected && r.rate >= 0.95 * rate && percentile(lat, 99) <= 1000,
    p50Ms: round(percentile(lat, 50)),
    p99Ms: round(percentile(lat, 99)),
    maxMs: round(lat.reduce((a, b) => Math.max(a, b), 0)),
    cpuPct: round((m.cpuMs / m.wallMs) * 100),
    cpuUsPerSample: round((m.cpuMs * 1000) / Math.max(1, r.sent)),
    rssMB: round(m.rssPeak / 2 ** 20),
  } satisfies StepFigures;
}

function ladder(quick: boolean): number[] {
  return quick
    ? [10_000, 20_000, 40_000]
    : [10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 60_000, 80_000];
}

async function runLadder(
  name: Target["name"],
  devices: number,
  quick: boolean,
  url: string,
  dir: string,
): Promise<LadderFigures & { at10k: number | null }> {
  const lines = benchLines(devices);
  const t = await startTarget(name, dir, url, lines);
  const load = new MqttLoad({ host: HOST, port: t.mqttPort, lines, epoch: `e${Date.now()}` });
  try {
    await load.connect();
    // Warm-up at 10,000/s (quick 5 s, full 10 s): connections, first points, per-line state, and the
    // JIT — through a fresh gateway the first 50,000–100,000 samples cost 5–15 µs more each than the steady
    // state (V8 tiers up and sizes its heap), which the "CPU per sample at a fixed 10,000/s" is not about.
    const warm = await step(t, load, 10_000, quick ? 5 : 10);
    const warmUpLost = warm.sent - warm.stored;
    const steps: StepFigures[] = [];
    for (const rate of ladder(quick)) {
      const s = await step(t, load, rate, quick ? 2 : 5, warmUpLost);
      steps.push(s);
      if (!s.ok) break;
    }
    const at10k = steps.find((s) => s.targetRate === 10_000);
    return {
      devices,
      zeroLossRate: Math.max(0, ...steps.filter((s) => s.ok).map((s) => s.rate)),
      warmUpLost,
      steps,
      at10k: at10k?.ok ? at10k.cpuUsPerSample : null,
    };
  } finally {
    await load.close().catch(() => undefined);
    await t.stop();
  }
}

let ingestRun: Promise<Record<Target["name"], StackFigures>> | undefined;

/** Ingest ladders at 100 and 1,000 devices for both stacks, alternating stacks so noise hits both. */
export function ingestComparison(quick: boolean) {
  ingestRun ??= withInflux("ingest", async (url, dir) => {
    const out: Record<Target["name"], StackFigures> = {
      masktally: { ladders: [], cpuUsPerSampleAt10k: null },
      baseline: { ladders: [], cpuUsPerSampleAt10k: null },
    };
    for (const devices of [100, 1000]) {
      for (const name of ["masktally", "baseline"] as const) {
        const { at10k, ...l } = await runLadder(name, devices, quick, url, dir);
        out[name].ladders.push(l);
        if (devices === 1000) out[name].cpuUsPerSampleAt10k = at10k;
      }
    }
    return out;
  });
  return ingestRun;
}

export interface LatencyFigures {
  devices: number;
  ratePerDevice: number;
  seconds: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  zeroLoss: boolean;
}

let latencyRun: Promise<Record<Target["name"], LatencyFigures>> | undefined;

/** 1,000 devices × 1 sample/s: publish → stored latency for both stacks. */
export function latencyComparison(quick: boolean) {
  latencyRun ??= withInflux("latency", async (url, dir) => {
    const out: Partial<Record<Target["name"], LatencyFigures>> = {};
    const lines = benchLines(1000);
    for (const name of ["masktally", "baseline"] as const) {
      const t = await startTarget(name, dir, url, lines);
      const load = new MqttLoad({ host: HOST, port: t.mqttPort, lines, epoch: `e${Date.now()}` });
      try {
        await load.connect();
        await step(t, load, 1000, 1);
        const seconds = quick ? 5 : 30;
        const s = await step(t, load, 1000, seconds);
        out[name] = {
          ...{ devices: 1000, ratePerDevice: 1, seconds, samples: s.sent, p50Ms: s.p50Ms, p99Ms: s.p99Ms },
          maxMs: s.maxMs,
          zeroLoss: s.ok,
        };
      } finally {
        await load.close().catch(() => undefined);
        await t.stop();
      }
    }
    return out as Record<Target["name"], LatencyFigures>;
  });
  return latencyRun;
}

export interface MemoryFigures {
  devices: number;
  rssIdleMB: number;
  rssConnectedMB: number;
  bytesPerDevice: number;
}

let memoryRun: Promise<Record<Target["name"], MemoryFigures>> | undefined;

/** RSS per connected idle device: 5,000 connections, each having sent one sample, then quiet. */
export function memoryComparison(quick: boolean) {
  memoryRun ??= withInflux("memory", async (url, dir) => {
    const out: Partial<Record<Target["name"], MemoryFigures>> = {};
    const devices = 5000;
    const lines = benchLines(devices);
    for (const name of ["masktally", "baseline"] as const) {
      const t = await startTarget(name, dir, url, lines);
      const load = new MqttLoad({ host: HOST, port: t.mqttPort, lines, epoch: `e${Date.now()}` });
      try {
        await sleep(quick ? 500 : 2000);
        const idle = rssOf(t.pids);
        await load.connect();
        await load.runRate(devices * 2, 0.5, false); // one sample per device: realistic per-line state
        await load.drain(15_000);
        await sleep(quick ? 1000 : 5000);
        const connected = rssOf(t.pids);
        out[name] = {
          devices,
          rssIdleMB: round(idle / 2 ** 20),
          rssConnectedMB: round(connected / 2 ** 20),
          bytesPerDevice: Math.round((connected - idle) / devices),
        };
      } finally {
        // Target first: 5,000 devices disconnecting from a running gateway turn 5,000 lines offline at once,
        // and its process then lingers ~5 s after "gateway stopped" (cli/main.ts open-handle timer).
        await t.stop();
        await load.close().catch(() => undefined);
      }
    }
    return out as Record<Target["name"], MemoryFigures>;
  });
  return memoryRun;
}

/** Forgets the shared runs, so the next call measures again (`masktally bench --repeat N`). */
export function resetComparisons(): void {
  ingestRun = latencyRun = memoryRun = undefined;
}
