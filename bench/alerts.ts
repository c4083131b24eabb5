import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MqttLoad } from "./support/mqtt-load.ts";
import { percentile, round, sleep, waitFor } from "./support/proc.ts";
import { influxQuery, startGateway, startInflux, tempDir } from "./support/processes.ts";
import { benchLines, registryYaml } from "./support/registry.ts";

/**
 * Alert latency (issue 7): from a line's last pulse to the delivery of its stop alert at a generic webhook,
 * minus the configured delay. A stop dates from the line's last advancing count (line-state.ts), is detected
 * after no good count for max(`alerts.minStopSeconds`, 10 ideal cycles) and alerts once it is
 * `alerts.stopDelaySeconds` old (1 s here): the configured delay is the larger of the two. The full run keeps
 * the default 30 s detection (10 cycles at 120/min are 5 s); --quick configures 2 s (lines rated 600/min: 10
 * cycles are 1 s) so the run takes seconds, not 40 — the figure, what comes on top, is the same. Lines run
 * for a few seconds, then stop one after another 250 ms apart while their devices keep reporting (a stopped
 * machine's firmware still sends its unchanged odometers, so the line is stopped, not offline).
 */
const STOP_DELAY_S = 1;

function timing(quick: boolean) {
  const minStopS = quick ? 2 : 30;
  const ratedPerMin = quick ? 600 : 120;
  const detectMs = Math.max(minStopS * 1000, 10 * (60_000 / ratedPerMin));
  return { minStopS, ratedPerMin, detectMs, configuredMs: Math.max(detectMs, STOP_DELAY_S * 1000) };
}

export async function run(opts: { quick?: boolean } = {}) {
  const count = opts.quick ? 5 : 20;
  const { minStopS, ratedPerMin, detectMs, configuredMs } = timing(opts.quick ?? false);
  const lines = benchLines(count);
  const delivered = new Map<string, number>();
  const hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => {
      body += d.toString();
    });
    req.on("end", () => {
      const at = Date.now();
      for (const l of lines) {
        const key = `${l.plant}/${l.line}`;
        if (
          !delivered.has(key) &&
          body.includes(`"plant":"${l.plant}"`) &&
          body.includes(`"line":"${l.line}"`)
        )
          delivered.set(key, at);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const tmp = await tempDir("alerts");
  const influx = await startInflux(tmp.dir);
  try {
    await influxQuery(influx.url, "CREATE DATABASE masktally");
    const g = await startGateway(
      tmp.dir,
      {
        influx: influx.url,
        alerts: {
          ...{ stopDelaySeconds: STOP_DELAY_S, minStopSeconds: minStopS },
          webhooks: [{ kind: "generic", url: hookUrl }],
        },
      },
      registryYaml(lines, ratedPerMin),
    );
    const load = new MqttLoad({ host: "127.0.0.1", port: g.mqttPort, lines, epoch: `a${Date.now()}` });
    try {
      await load.connect();
      const lastPulse = new Map<string, number>();
      const stopAt = Date.now() + (opts.quick ? 2000 : 4000);
      const running = (i: number) => Date.now() < stopAt + i * 250;
      const until = stopAt + count * 250 + detectMs + 15_000;
      while (delivered.size < count && Date.now() < until) {
        load.conns.forEach((c, i) => {
          const l = lines[i]!;
          if (running(i)) {
            load.publishOne(c, 1);
            lastPulse.set(`${l.plant}/${l.line}`, c.lastTs);
          } else load.publishOne(c, 0);
        });
        await sleep(200);
      }
      await waitFor(() => delivered.size === count, 1000);
      const latencies = lines.flatMap((l) => {
        const key = `${l.plant}/${l.line}`;
        const at = delivered.get(key);
        const last = lastPulse.get(key);
        return at === undefined || last === undefined ? [] : [at - last - configuredMs];
      });
      return {
        lines: count,
        delivered: delivered.size,
        configuredDelayMs: configuredMs,
        p50Ms: round(percentile(latencies, 50)),
        p99Ms: round(percentile(latencies, 99)),
        maxMs: round(latencies.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY)),
      };
    } finally {
      await load.close().catch(() => undefined);
      await g.stop();
    }
  } finally {
    await influx.stop();
    await tmp.cleanup();
    hook.close();
  }
}

export function report(result: unknown): string {
  const r = result as Awaited<ReturnType<typeof run>>;
  return [
    `alerts: ${r.lines} lines stopped, ${r.delivered} webhooks delivered; latency after the configured ${r.configuredDelayMs} ms (max of stop detection and stopDelaySeconds)`,
    `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms (the alert engine ticks every second)`,
  ].join("\n");
}
