import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { type GatewayOptions, type RunningGateway, startGateway } from "../../../gateway/gateway.ts";
import { parseRegistry, type Sample, topics } from "../../../protocol/index.ts";
import { onePlantRegistryYaml } from "../../support/registry.ts";
import { silentLogger } from "./fakes.ts";
import { MemoryStore } from "./memory-store.ts";

export const REGISTRY = parseRegistry(
  onePlantRegistryYaml([
    "{ id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 120 }",
    "{ id: l2, name: 2号KN95线, type: kn95, ratedPerMin: 45 }",
  ]),
);

export interface Harness {
  gateway: RunningGateway;
  store: MemoryStore;
  dir: string;
  connect(opts?: IClientOptions): Promise<MqttClient>;
  /** Drop counts by reason, read from /metrics. */
  drops(): Promise<Record<string, number>>;
  /** Refused connections and protocol violations by reason, read from /metrics. */
  rejections(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** A gateway on ports 0 with an in-memory store; every client it connects is ended on close(). */
export async function startHarness(
  opts: Partial<GatewayOptions> & { devicesYaml?: string } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "masktally-gw-"));
  const store = (opts.store as MemoryStore | undefined) ?? new MemoryStore();
  let devices: string | undefined;
  if (opts.devicesYaml !== undefined) {
    devices = join(dir, "devices.yaml");
    await writeFile(devices, opts.devicesYaml);
  }
  const gateway = await startGateway({
    registry: REGISTRY,
    mqttPort: 0,
    httpPort: 0,
    allowAnonymous: devices === undefined,
    log: silentLogger(),
    dashboardDir: join(dir, "no-dashboard"),
    writer: { flushMs: 5, retryInitialMs: 5, retryMaxMs: 20 },
    ...opts,
    devices,
    store,
  });
  const clients: MqttClient[] = [];
  return {
    gateway,
    store,
    dir,
    async connect(o: IClientOptions = {}) {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { reconnectPeriod: 0, ...o });
      clients.push(c);
      return c;
    },
    drops: () => byReason(gateway.httpPort, "masktally_mqtt_drops_total"),
    rejections: () => byReason(gateway.httpPort, "masktally_mqtt_rejections_total"),
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await gateway.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A `{reason="…"}` counter of /metrics as { reason: count }, leaving out zeros. */
async function byReason(httpPort: number, metric: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${metric}\\{reason="([a-z-]+)"\\} (\\d+)$`, "gm"))) {
    if (m[1] !== undefined && Number(m[2]) > 0) out[m[1]] = Number(m[2]);
  }
  return out;
}

export const T0 = Date.now() - 60_000;

export function sample(seq: number, good: number, reject = 0, over: Partial<Sample> = {}): Sample {
  return { v: 1, device: "pi-01", epoch: "e1", seq, ts: T0 + seq * 1000, good, reject, run: true, ...over };
}

export const telemetry = (line = "l1", plant = "sr-01") => topics.telemetry(plant, line);
export const status = (line = "l1", plant = "sr-01") => topics.status(plant, line);

/** Publishes with QoS 1 and resolves on the PUBACK. */
export async function send(c: MqttClient, topic: string, payload: unknown): Promise<void> {
  await c.publishAsync(topic, typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 1 });
}
