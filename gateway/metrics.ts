import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { REJECT_REASONS } from "./auth/rejections.ts";
import { DROP_REASONS } from "./ingest/drop-counter.ts";

/** Live values the gauges read at scrape time. */
export interface MetricSources {
  /** Points in the disk spool, not yet in InfluxDB. */
  spooled?: () => number;
  /** False while InfluxDB writes fail. */
  storeUp?: () => boolean;
  /** Each line's last publish (ms), read at scrape time rather than set on every message. */
  linesSeen?: () => Iterable<{ plant: string; line: string; lastSeen: number }>;
  /** QoS 1 telemetry acknowledged without aedes' delivery path (gateway/broker-direct-ack.ts). */
  directAcks?: () => number;
}

/** The gateway's Prometheus metrics, in a registry of its own (tests run several gateways in one process). */
export function createMetrics(clients: () => number, sources: MetricSources = {}) {
  const registry = new Registry();
  const messagesIn = new Counter({
    name: "masktally_mqtt_messages_total",
    help: "Publishes received from devices, by kind",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const drops = new Counter({
    name: "masktally_mqtt_drops_total",
    help: "Publishes acknowledged and dropped, by reason",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  for (const reason of DROP_REASONS) drops.inc({ reason }, 0);
  const rejections = new Counter({
    name: "masktally_mqtt_rejections_total",
    help: "Connections refused or closed by the broker (credentials, protocol violations, limits), by reason",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  for (const reason of REJECT_REASONS) rejections.inc({ reason }, 0);
  const batchLatency = new Histogram({
    name: "masktally_store_write_seconds",
    help: "Latency of one batch write to InfluxDB (direct or drained from the spool)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pointsWritten = new Counter({
    name: "masktally_store_points_total",
    help: "Output points written to InfluxDB",
    registers: [registry],
  });
  new Gauge({
    name: "masktally_line_last_seen_seconds",
    help: "Unix time of the last publish from a device for the line",
    labelNames: ["plant", "line"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of sources.linesSeen?.() ?? [])
        this.set({ plant: s.plant, line: s.line }, s.lastSeen / 1000);
    },
  });
  readAtScrape(registry, clients, sources);
  // Children bound once: inc() on a child skips hashing the label set on every message.
  const messagesByKind = {
    telemetry: messagesIn.labels({ kind: "telemetry" }),
    status: messagesIn.labels({ kind: "status" }),
  };
  return { registry, messagesIn, messagesByKind, drops, rejections, batchLatency, pointsWritten };
}

/** Metrics whose value is read from its source when /metrics is scraped, not kept up to date per message. */
function readAtScrape(registry: Registry, clients: () => number, sources: MetricSources): void {
  new Gauge({
    name: "masktally_mqtt_clients",
    help: "Connected MQTT clients",
    registers: [registry],
    collect() {
      this.set(clients());
    },
  });
  new Counter({
    name: "masktally_mqtt_direct_acks_total",
    help: "QoS 1 telemetry nobody subscribed to, acknowledged without the broker's delivery path",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.directAcks?.() ?? 0);
    },
  });
  new Gauge({
    name: "masktally_spool_points",
    help: "Output points in the disk spool waiting for InfluxDB",
    registers: [registry],
    collect() {
      this.set(sources.spooled?.() ?? 0);
    },
  });
  new Gauge({
    name: "masktally_store_up",
    help: "1 while InfluxDB accepts writes, 0 while they fail and points are spooled",
    registers: [registry],
    collect() {
      this.set(sources.storeUp?.() === false ? 0 : 1);
    },
  });
}

export type Metrics = ReturnType<typeof createMetrics>;
