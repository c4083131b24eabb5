import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningGateway, startGateway } from "../../gateway/gateway.ts";
import type { OutputResponse } from "../../protocol/index.ts";
import { type TestInflux, testInflux } from "../support/influx.ts";
import { silentLogger } from "./support/fakes.ts";
import { REGISTRY, sample, send, telemetry } from "./support/gateway-harness.ts";

let influx: TestInflux;
let dir: string;
beforeAll(async () => {
  influx = await testInflux("gateway");
  dir = await mkdtemp(join(tmpdir(), "masktally-gw-influx-"));
});
afterAll(async () => {
  await influx?.drop();
  await rm(dir, { recursive: true, force: true });
});

const start = () =>
  startGateway({
    registry: REGISTRY,
    mqttPort: 0,
    httpPort: 0,
    allowAnonymous: true,
    influx: influx.url,
    database: influx.database,
    log: silentLogger(),
    dashboardDir: join(dir, "none"),
  });

async function output(gw: RunningGateway): Promise<OutputResponse> {
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  return (await (
    await fetch(`http://127.0.0.1:${gw.httpPort}/api/output?from=${from}&to=${to}`)
  ).json()) as OutputResponse;
}

describe("gateway against a real InfluxDB", () => {
  it("stores exact counts, and after a restart replays add nothing while new samples count", async () => {
    const gw = await start();
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort}`, { reconnectPeriod: 0 });
    // Two samples with the same ts: the second is stored 1 ms later instead of overwriting the first.
    await send(c, telemetry(), sample(1, 100, 2));
    await send(c, telemetry(), sample(2, 130, 2, { ts: sample(1, 0).ts }));
    await send(c, telemetry(), sample(3, 180, 5));
    await send(c, telemetry("l2"), sample(1, 9, 1, { device: "pi-02" }));
    expect((await output(gw)).total).toEqual({ good: 189, reject: 6 });
    await c.endAsync();
    await gw.stop();

    const again = await start();
    const d = await mqtt.connectAsync(`mqtt://127.0.0.1:${again.mqttPort}`, { reconnectPeriod: 0 });
    for (const seq of [1, 2, 3]) await send(d, telemetry(), sample(seq, [100, 130, 180][seq - 1] ?? 0, 2));
    await send(d, telemetry(), sample(4, 200, 5));
    const out = await output(again);
    expect(out.lines).toEqual([
      { plant: "sr-01", line: "l1", good: 200, reject: 5 },
      { plant: "sr-01", line: "l2", good: 9, reject: 1 },
    ]);
    const health = await (await fetch(`http://127.0.0.1:${again.httpPort}/api/health`)).json();
    expect(health).toMatchObject({ status: "ok", influx: "up", clients: 1 });
    await d.endAsync();
    await again.stop();
  });
});
