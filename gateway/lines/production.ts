import { join } from "node:path";
import type { InfluxDB } from "influx";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry as MetricsRegistry } from "prom-client";
import {
  type AlertEvent,
  type AlertHealth,
  type Registry,
  registryLines,
  topics,
} from "../../protocol/index.ts";
import { type AlertSettings, DEFAULT_ALERT_SETTINGS } from "../alerts/alert-engine.ts";
import { AlertFileStore } from "../alerts/alert-file-store.ts";
import { alertText } from "../alerts/alert-messages.ts";
import { AlertService } from "../alerts/alert-service.ts";
import { type WebhookConfig, WebhookSender } from "../alerts/webhook-sender.ts";
import type { Clock } from "../clock.ts";
import type { PlantScope } from "../http/routes/plant-scope.ts";
import type { HttpDeps } from "../http/server.ts";
import { RegistrySource } from "../registry/registry-source.ts";
import { InfluxLineStore } from "../store/influx-line-store.ts";
import { InfluxOutputAggregates } from "../store/influx-output-aggregates.ts";
import type { LineStore } from "../store/line-store.ts";
import { MemoryLineStore } from "../store/memory-line-store.ts";
import { type OutputAggregates, SumOutputAggregates } from "../store/output-aggregates.ts";
import type { RollupView } from "../store/rollup-hours.ts";
import type { SampleStore } from "../store/sample-store.ts";
import type { CapacityDeps } from "./capacity.ts";
import { RegistryCalendar } from "./line-calendar.ts";
import { lineRecorder } from "./line-recorder.ts";
import type { LineStateTracker } from "./line-state.ts";

/** Gateway config `alerts` (CONTRACTS.md), plus what tests shorten. */
export interface AlertOptions {
  stopDelaySeconds?: number | undefined;
  escalateAfterMinutes?: number | undefined;
  webhooks?: WebhookConfig[] | undefined;
  /** Base URL of the dashboard as technicians reach it; messages then link to `/#/alerts/{id}`. */
  publicUrl?: string | undefined;
  remindEveryMinutes?: number | undefined;
  /** Tests: exact settings in ms, overriding the minute/second ones. */
  settings?: Partial<AlertSettings> | undefined;
  tickMs?: number | undefined;
  webhookRetry?: { initialMs?: number; maxMs?: number; maxAttempts?: number } | undefined;
}

export interface ProductionOptions {
  registry: Registry;
  /** The registry file, for reloads (null when the registry was given as an object). */
  registryFile: string | null;
  tracker: LineStateTracker;
  /** Told about reloads too (its set of known lines). */
  ingest: { setRegistry(registry: Registry): void };
  store: SampleStore;
  /** The InfluxDB client of the sample store, when it is one: line history and day queries go there. */
  influx: InfluxDB | null;
  dataDir: string | null;
  alerts: AlertOptions;
  publish: (topic: string, payload: string) => Promise<void>;
  metrics: MetricsRegistry;
  clock: Clock;
  log: Logger;
  scope?: PlantScope | undefined;
  /** Bureau gateway: federated plants' freshness for the capacity view and daily report (issue 8). */
  freshness?: CapacityDeps["freshness"] | undefined;
  /** The gateway's hourly rollups (ADR 0010): day and capacity queries read them for clean, closed hours. */
  rollups?: RollupView | null | undefined;
}

export interface Production {
  registry: RegistrySource;
  lineStore: LineStore;
  alerts: AlertService;
  http: NonNullable<HttpDeps["production"]>;
  alertHealth(): AlertHealth;
  stop(): Promise<void>;
}

function settingsOf(a: AlertOptions): AlertSettings {
  const stopDelayMs = (a.stopDelaySeconds ?? 120) * 1000;
  return {
    ...DEFAULT_ALERT_SETTINGS,
    stopDelayMs,
    offlineDelayMs: stopDelayMs,
    escalateAfterMs: (a.escalateAfterMinutes ?? 15) * 60_000,
    remindEveryMs: (a.remindEveryMinutes ?? 5) * 60_000,
    ...a.settings,
  };
}

function productionMetrics(metrics: MetricsRegistry, active: () => number, daysHeld: () => number) {
  new Gauge({
    name: "masktally_day_totals_days",
    help: "Settled production days whose per-line totals are held in memory (ADR 0012)",
    registers: [metrics],
    collect() {
      this.set(daysHeld());
    },
  });
  const webhooks = new Counter({
    name: "masktally_webhook_deliveries_total",
    help: "Alert webhook attempts by robot kind and result (delivered, retry, failed = given up)",
    labelNames: ["kind", "result"] as const,
    registers: [metrics],
  });
  const microStops = new Counter({
    name: "masktally_line_micro_stops_total",
    help: "Stops too short to alert, per line",
    labelNames: ["plant", "line"] as const,
    registers: [metrics],
  });
  new Gauge({
    name: "masktally_alerts_active",
    help: "Alerts raised or acknowledged and not yet resolved",
    registers: [metrics],
    collect() {
      this.set(active());
    },
  });
  return { webhooks, microStops };
}

/**
 * Wires issue 5's parts onto the running ingest: the registry source (reloads), the line calendar and history
 * recorder on the line-state tracker, the alert service with its MQTT, SSE and webhook deliveries, and the
 * HTTP dependencies of the day, shift, capacity, report and alert routes.
 */
export async function startProduction(o: ProductionOptions): Promise<Production> {
  const log = o.log;
  const registry = new RegistrySource(o.registry, o.registryFile, log);
  const lineStore: LineStore = o.influx !== null ? new InfluxLineStore(o.influx) : new MemoryLineStore();
  const influxAggregates =
    o.influx !== null
      ? new InfluxOutputAggregates(o.influx, o.rollups ?? null, {
          zones: () => [...new Set(registry.current().plants.map((p) => p.timezone))],
        })
      : null;
  const aggregates: OutputAggregates = influxAggregates ?? new SumOutputAggregates(o.store);
  const calendar = new RegistryCalendar(o.registry);
  const settings = settingsOf(o.alerts);
  let alerts: AlertService | undefined;
  const m = productionMetrics(
    o.metrics,
    () => alerts?.activeCount() ?? 0,
    () => influxAggregates?.daysHeld() ?? 0,
  );
  const sender = new WebhookSender({
    hooks: o.alerts.webhooks ?? [],
    log,
    clock: o.clock,
    text: (e: AlertEvent) =>
      alertText(
        e,
        registry.current().plants.find((p) => p.id === e.alert.plant)?.timezone ??
          registry.current().timezone,
      ),
    retryInitialMs: o.alerts.webhookRetry?.initialMs,
    retryMaxMs: o.alerts.webhookRetry?.maxMs,
    maxAttempts: o.alerts.webhookRetry?.maxAttempts,
    onResult: (kind, result) => m.webhooks.inc({ kind, result }),
  });
  const mqtt = (e: AlertEvent) => {
    o.publish(topics.alert(e.alert.plant, e.alert.line), JSON.stringify(e)).catch((err: unknown) =>
      log.warn({ err, alert: e.alert.id }, "alert mqtt publish failed"),
    );
  };
  alerts = new AlertService({
    settings,
    clock: o.clock,
    log,
    registry: () => registry.current(),
    tracker: o.tracker,
    file: new AlertFileStore(o.dataDir === null ? null : join(o.dataDir, "alerts.json")),
    sinks: [mqtt, (e) => sender.send(e)],
    history: lineStore,
    publicUrl: o.alerts.publicUrl,
    tickMs: o.alerts.tickMs,
  });
  const service = alerts;
  const lineDefs = (r: Registry) =>
    registryLines(r).map(({ plant, line }) => ({
      plant: plant.id,
      line: line.id,
      ratedPerMin: line.ratedPerMin,
    }));
  o.tracker.setLines(lineDefs(o.registry), calendar);
  o.tracker.setMicroStopMs(settings.stopDelayMs);
  o.tracker.setListener(
    lineRecorder(
      lineStore,
      (p, l, since) => service.reasonFor(p, l, since),
      log.child({ module: "line-history" }),
      (plant, line) => m.microStops.inc({ plant, line }),
    ),
  );
  registry.onChange((r) => {
    calendar.setRegistry(r);
    o.tracker.setLines(lineDefs(r), calendar);
    o.ingest.setRegistry(r);
  });
  await service.start();
  const current = () => registry.current();
  const scope = o.scope;
  return {
    registry,
    lineStore,
    alerts: service,
    http: {
      plants: {
        periods: { aggregates, store: o.store, lineStore, clock: o.clock },
        registry: current,
        clock: o.clock,
        scope,
      },
      capacity: {
        capacity: {
          ...{ registry: current, aggregates, tracker: o.tracker, clock: o.clock },
          ...(o.freshness !== undefined ? { freshness: o.freshness } : {}),
        },
        registry: current,
        clock: o.clock,
        scope,
      },
      alerts: { alerts: service, stream: service, scope },
      registry,
    },
    alertHealth: () => ({ active: service.activeCount(), webhooks: sender.stats() }),
    stop: async () => {
      sender.close();
      await service.stop();
    },
  };
}
