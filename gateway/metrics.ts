import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { DROP_REASONS } from "./ingest/drop-counter.ts";

/** The gateway's Prometheus metrics, in a registry of its own (tests run several gateways in one process). */
export function createMetrics(clients: () => number) {
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
  const batchLatency = new Histogram({
    name: "masktally_store_write_seconds",
    help: "Latency of one batch write to the store",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pointsWritten = new Counter({
    name: "masktally_store_points_total",
    help: "Output points written to the store",
    registers: [registry],
  });
  new Gauge({
    name: "masktally_mqtt_clients",
    help: "Connected MQTT clients",
    registers: [registry],
    collect() {
      this.set(clients());
    },
  });
  return { registry, messagesIn, drops, batchLatency, pointsWritten };
}

export type Metrics = ReturnType<typeof createMetrics>;
