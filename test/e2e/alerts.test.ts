import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayOptions, type RunningGateway, startGateway } from "../../gateway/gateway.ts";
import { InfluxLineStore } from "../../gateway/store/influx-line-store.ts";
import {
  type AlertEvent,
  type AlertsResponse,
  type AlertView,
  parseRegistry,
  topics,
} from "../../protocol/index.ts";
import { silentLogger, waitFor } from "../gateway/support/fakes.ts";
import { type TestInflux, testInflux } from "../support/influx.ts";
import { onePlantRegistryYaml } from "../support/registry.ts";

const REGISTRY = parseRegistry(
  onePlantRegistryYaml([
    "{ id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 600 }",
    "{ id: l2, name: 2号KN95线, type: kn95, ratedPerMin: 300 }",
  ]),
);
const STOP_DELAY_S = 5;

interface Received {
  path: string;
  at: number;
  content: string;
}

/** A local stand-in for the WeCom robot: records every message, answers like WeCom does. */
async function startReceiver(): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      const doc = JSON.parse(body) as { msgtype: string; markdown: { content: string } };
      expect(doc.msgtype).toBe("markdown");
      got.push({ path: req.url ?? "", at: Date.now(), content: doc.markdown.content });
      res.writeHead(200, { "content-type": "application/json" }).end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

/** A simulated machine publishing real samples (cumulative odometers, run signal) every 250 ms. */
class Machine {
  running = true;
  seq = 0;
  good = 0;
  /** Sample ts of the first sample with the run signal off / back on with counts. */
  stoppedTs: number | null = null;
  resumedTs: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #client: MqttClient | undefined;

  constructor(readonly line: string) {}

  async connect(port: number): Promise<void> {
    this.#client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    this.#timer = setInterval(() => void this.#publish(), 250);
  }

  async #publish(): Promise<void> {
    const ts = Date.now();
    if (this.running) this.good += 3;
    if (!this.running && this.stoppedTs === null) this.stoppedTs = ts;
    if (this.running && this.stoppedTs !== null && this.resumedTs === null) this.resumedTs = ts;
    const sample = {
      v: 1,
      device: `pi-${this.line}`,
      epoch: "e1",
      seq: ++this.seq,
      ts,
      good: this.good,
      reject: 0,
      run: this.running,
    };
    await this.#client
      ?.publishAsync(topics.telemetry("sr-01", this.line), JSON.stringify(sample), { qos: 1 })
      .catch(() => {});
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#client?.endAsync(true);
  }
}

let dir: string;
let influx: TestInflux;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let gateway: RunningGateway;
const machines = [new Machine("l1"), new Machine("l2")];

function options(): GatewayOptions {
  return {
    registry: REGISTRY,
    mqttPort: 0,
    httpPort: 0,
    allowAnonymous: true,
    influx: influx.url,
    database: influx.database,
    dataDir: join(dir, "data"),
    log: silentLogger(),
    dashboardDir: join(dir, "no-dashboard"),
    lineState: { minStopMs: 2000, resumeMs: 500, offlineAfterMs: 60_000 },
    alerts: {
      stopDelaySeconds: STOP_DELAY_S,
      publicUrl: "https://mt.example.cn",
      webhooks: [
        { kind: "wecom", url: `${receiver.url}/first` },
        { kind: "wecom", url: `${receiver.url}/escalation`, escalation: true },
      ],
      settings: { remindEveryMs: 3000, escalateAfterMs: 10_000 },
      tickMs: 200,
      webhookRetry: { initialMs: 100, maxMs: 500 },
    },
  };
}

const api = async <T>(path: string, init?: RequestInit) => {
  const res = await fetch(`http://127.0.0.1:${gateway.httpPort}${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
};
const messages = (path: string, lineName: string, head?: string) =>
  receiver.got.filter(
    (m) =>
      m.path === path && m.content.includes(lineName) && (head === undefined || m.content.includes(head)),
  );
const activeAlert = async (line: string) =>
  (await api<AlertsResponse>("/api/alerts?state=all")).body.alerts.find(
    (a) => a.line === line && a.state !== "resolved",
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-alerts-"));
  influx = await testInflux("alerts");
  receiver = await startReceiver();
  gateway = await startGateway(options());
  for (const m of machines) await m.connect(gateway.mqttPort);
}, 60_000);

afterAll(async () => {
  for (const m of machines) await m.close();
  await gateway?.stop();
  receiver?.server.close();
  await influx?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe("machine-stopped alerts reach technicians", () => {
  const alertEvents: AlertEvent[] = [];
  let watcher: MqttClient;
  let ackedAt = 0;
  let l1: AlertView;

  it("sends the WeCom-format message within the alert delay + 5 s of a stop, linking the technician view", async () => {
    watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { reconnectPeriod: 0 });
    watcher.on("message", (_t, payload) => alertEvents.push(JSON.parse(payload.toString()) as AlertEvent));
    await watcher.subscribeAsync("mt/v1/alerts/#", { qos: 1 });
    await waitFor(
      () => receiver.got.length === 0 && machines.every((m) => m.good > 30),
      10_000,
      "machines running",
    );
    machines[0]!.running = false;
    await waitFor(() => machines[0]!.stoppedTs !== null, 5000, "stop sample");
    await waitFor(
      () => messages("/first", "1号平面口罩线", "停机告警").length === 1,
      (STOP_DELAY_S + 10) * 1000,
      "raised",
    );
    const raised = messages("/first", "1号平面口罩线", "停机告警")[0]!;
    expect(raised.at - machines[0]!.stoppedTs!).toBeLessThanOrEqual((STOP_DELAY_S + 5) * 1000);
    expect(raised.content).toContain("上饶示例防护用品有限公司");
    l1 = (await activeAlert("l1"))!;
    expect(l1).toMatchObject({ kind: "line-stopped", plant: "sr-01", state: "raised" });
    expect(raised.content).toContain(`https://mt.example.cn/#/alerts/${l1.id}`);
    await waitFor(
      () => alertEvents.some((e) => e.event === "raised" && e.alert.id === l1.id),
      5000,
      "mqtt alert",
    );
  }, 30_000);

  it("reminds until acknowledged through the API, then stops reminding", async () => {
    await waitFor(() => messages("/first", "1号平面口罩线", "停机提醒").length >= 1, 10_000, "reminder");
    const ack = await api<AlertView>(`/api/alerts/${l1.id}/ack`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ by: "王师傅", reason: "nose-wire-jam", note: "换料" }),
    });
    ackedAt = Date.now();
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ state: "acknowledged", ackedBy: "王师傅", ackReason: "nose-wire-jam" });
    await waitFor(() => messages("/first", "1号平面口罩线", "已确认").length === 1, 5000, "ack message");
    expect(messages("/first", "1号平面口罩线", "已确认")[0]!.content).toContain("鼻梁条卡料");
    const bad = await api<{ error: string }>(`/api/alerts/${l1.id}/ack`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ by: "" }),
    });
    expect(bad).toMatchObject({ status: 400, body: { error: "bad_request" } });
  }, 20_000);

  it("escalates to the second list when nobody acknowledges", async () => {
    machines[1]!.running = false;
    await waitFor(() => messages("/first", "2号KN95线", "停机告警").length === 1, 15_000, "l2 raised");
    await waitFor(() => messages("/escalation", "2号KN95线", "告警升级").length === 1, 20_000, "escalation");
    // Nothing about l1 went to the escalation list: it was acknowledged in time.
    expect(messages("/escalation", "1号平面口罩线")).toEqual([]);
  }, 40_000);

  it("resolves when the line runs again, recording the downtime and its reason", async () => {
    machines[0]!.running = true;
    await waitFor(() => messages("/first", "1号平面口罩线", "已恢复").length === 1, 15_000, "resolved");
    const all = (await api<AlertsResponse>("/api/alerts?state=all")).body.alerts;
    const resolved = all.find((a) => a.id === l1.id)!;
    const downtime = machines[0]!.resumedTs! - machines[0]!.stoppedTs!;
    expect(resolved).toMatchObject({ state: "resolved", downtimeMs: downtime });
    const history = new InfluxLineStore(influx.store.influx);
    let stops = await history.downtime({ from: new Date(0), to: new Date(Date.now() + 60_000) });
    for (let i = 0; i < 50 && !stops.some((s) => s.line === "l1"); i++) {
      await new Promise((r) => setTimeout(r, 100)); // the downtime point is written asynchronously
      stops = await history.downtime({ from: new Date(0), to: new Date(Date.now() + 60_000) });
    }
    expect(stops.filter((s) => s.line === "l1")).toEqual([
      expect.objectContaining({
        start: machines[0]!.stoppedTs,
        durationMs: downtime,
        micro: false,
        reason: "nose-wire-jam",
      }),
    ]);
    // No reminder for l1 after it was acknowledged, though reminders for l2 kept coming every 3 s.
    expect(messages("/first", "1号平面口罩线", "停机提醒").filter((m) => m.at > ackedAt + 500)).toEqual([]);
    expect(messages("/first", "2号KN95线", "停机提醒").length).toBeGreaterThan(0);
  }, 30_000);

  it("keeps the active alert across a gateway restart without sending it again as new", async () => {
    const before = (await activeAlert("l2"))!;
    expect(before.escalatedAt).not.toBeNull();
    await watcher.endAsync(true);
    for (const m of machines) await m.close();
    await gateway.stop();
    const remindersBefore = messages("/first", "2号KN95线", "停机提醒").length;
    gateway = await startGateway(options());
    for (const m of machines) await m.connect(gateway.mqttPort);
    expect(await activeAlert("l2")).toMatchObject({
      id: before.id,
      state: "raised",
      raisedAt: before.raisedAt,
    });
    await waitFor(
      () => messages("/first", "2号KN95线", "停机提醒").length > remindersBefore,
      15_000,
      "reminder after restart",
    );
    expect(messages("/first", "2号KN95线", "停机告警")).toHaveLength(1);
    expect(messages("/escalation", "2号KN95线", "告警升级")).toHaveLength(1);
    const health = await api<{ alerts: { active: number; webhooks: { failed: number } } }>("/api/health");
    expect(health.body.alerts).toMatchObject({ active: 1, webhooks: { failed: 0 } });
  }, 40_000);
});
