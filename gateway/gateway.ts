import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { ConfigError, parseRegistry, type Registry, registryLines } from "../protocol/index.ts";
import { type Devices, loadDevices } from "./auth/devices.ts";
import { type BrokerLimits, type RunningBroker, startBroker } from "./broker.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type ClusterSettings, type RunningCluster, startCluster } from "./cluster/cluster.ts";
import { LineLeases } from "./cluster/line-leases.ts";
import { Federation } from "./federation/federation.ts";
import { InfluxMinuteSums } from "./federation/minute-sums.ts";
import type { RunningUpstream, UpstreamSettings } from "./federation/upstream.ts";
import { requestPlants } from "./http/auth.ts";
import { buildServer } from "./http/server.ts";
import { type UserConfig, Users } from "./http/users.ts";
import { BatchWriter, type BatchWriterOptions } from "./ingest/batch-writer.ts";
import { DropCounter } from "./ingest/drop-counter.ts";
import { Ingest } from "./ingest/ingest.ts";
import { OdometerTracker } from "./ingest/odometer-tracker.ts";
import { LineEvents } from "./lines/line-events.ts";
import { type LineStateOptions, LineStateTracker } from "./lines/line-state.ts";
import { LineViews } from "./lines/line-views.ts";
import { type AlertOptions, type Production, startProduction } from "./lines/production.ts";
import { createMetrics } from "./metrics.ts";
import { type DurableWrites, openDurableWrites, retryUntilUp } from "./store/durable-writes.ts";
import { InfluxSampleStore } from "./store/influx-sample-store.ts";
import { startManagedInflux } from "./store/managed-influx.ts";
import { type HourlyRollups, openRollups } from "./store/rollup-hours.ts";
import type { SampleStore } from "./store/sample-store.ts";
import { VERSION } from "./version.ts";

export interface GatewayOptions {
  /** Registry file (YAML) or an already validated registry. */
  registry: string | Registry;
  /** Devices file (YAML); required unless `allowAnonymous`. */
  devices?: string | undefined;
  /** Default 1883; 0 = a free port. */
  mqttPort?: number | undefined;
  /** Default 8080; 0 = a free port. */
  httpPort?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** "managed" (default): start influxd under `dataDir`; or the URL of an existing InfluxDB 1.x. */
  influx?: string | undefined;
  /** Default "masktally". */
  database?: string | undefined;
  /** Default ./data. */
  dataDir?: string | undefined;
  allowAnonymous?: boolean | undefined;
  /** When set, every /api route except /api/health needs it. */
  adminToken?: string | undefined;
  /** Dashboard and API users (gateway config `users`), validated against the registry at start. */
  users?: ReadonlyArray<UserConfig> | undefined;
  /** Open the bureau board read-only without signing in (gateway config `publicBoard`). */
  publicBoard?: boolean | undefined;
  log: Logger;
  /** Tests: a store to use instead of InfluxDB (`influx` is then ignored). */
  store?: SampleStore | undefined;
  clock?: Clock | undefined;
  /** Default: dist/dashboard of the package. */
  dashboardDir?: string | undefined;
  writer?: Partial<
    Pick<BatchWriterOptions, "flushMs" | "maxBatch" | "maxInFlight" | "retryInitialMs" | "retryMaxMs">
  >;
  /** On stop, how long to keep trying to store what devices sent but were not yet acknowledged. Default 10 s. */
  flushTimeoutMs?: number | undefined;
  lineState?: LineStateOptions;
  /** Gateway config `alerts` (stop delay, escalation, webhooks, public URL; `minStopSeconds` goes to line state). */
  alerts?: (AlertOptions & { minStopSeconds?: number | undefined }) | undefined;
  /** MQTT over TLS: PEM certificate and key files; `port` default 8883 (0 = a free one). */
  tls?: { cert: string; key: string; port?: number | undefined } | undefined;
  /** Broker limits: packet size, topic depth, in-flight QoS 2, connections, CONNECT timeout. */
  limits?: Partial<BrokerLimits> | undefined;
  /** A direct InfluxDB write slower than this goes to the disk spool instead (ms, default 5000). */
  storeWriteTimeoutMs?: number | undefined;
  /** Federation (issue 8): forward this gateway's per-minute roll-ups to a bureau gateway's broker. */
  upstream?: UpstreamSettings | undefined;
  /** Broker cluster (issue 8, ADR 0011): share MQTT state and line ownership with other instances via Redis. */
  cluster?: ClusterSettings | undefined;
}

export interface RunningGateway {
  mqttPort: number;
  /** The MQTT-over-TLS port, or null without TLS. */
  tlsPort: number | null;
  httpPort: number;
  /** Re-reads the registry file (SIGHUP); throws ConfigError and keeps the running one when it is invalid. */
  reloadRegistry(source?: "sighup" | "api"): Promise<void>;
  /** Ordered: stop taking messages, flush the writer, close HTTP, stop the managed InfluxDB. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_DASHBOARD = fileURLToPath(new URL("../dist/dashboard", import.meta.url));

async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [{ path: "/", message: `cannot read: ${(err as Error).message}` }]);
  }
}

async function loadInputs(o: GatewayOptions): Promise<{ registry: Registry; devices: Devices | null }> {
  const registry =
    typeof o.registry === "string" ? parseRegistry(await readConfigFile(o.registry), o.registry) : o.registry;
  if (o.devices !== undefined) {
    await readConfigFile(o.devices);
    return { registry, devices: await loadDevices(o.devices, registry) };
  }
  if (!o.allowAnonymous) {
    throw new ConfigError("gateway settings", [
      { path: "/devices", message: "required unless anonymous clients are allowed (--allow-anonymous)" },
    ]);
  }
  return { registry, devices: null };
}

/** The store and, for "managed", the influxd this gateway owns. */
async function openStore(o: GatewayOptions, log: Logger) {
  if (o.store !== undefined) return { store: o.store, stopInflux: async () => {} };
  const influx = o.influx ?? "managed";
  const managed =
    influx === "managed" ? await startManagedInflux({ dataDir: o.dataDir ?? "./data", log }) : null;
  try {
    const store = new InfluxSampleStore({ url: managed?.url ?? influx, database: o.database ?? "masktally" });
    await retryUntilUp(() => store.init(), "create database", log);
    return { store: store as SampleStore, stopInflux: async () => managed?.stop() };
  } catch (err) {
    await managed?.stop();
    throw err;
  }
}

interface Parts {
  store?: SampleStore;
  broker?: RunningBroker;
  writer?: BatchWriter;
  durable?: DurableWrites;
  rollups?: HourlyRollups | undefined;
  app?: FastifyInstance;
  events?: LineEvents;
  production?: Production;
  stopInflux?: () => Promise<void>;
  upstream?: RunningUpstream;
  cluster?: RunningCluster;
  leases?: LineLeases;
}

/** Ordered shutdown (STYLE.md): stop taking messages, flush the writer, close HTTP, stop the managed InfluxDB. */
async function stopParts(p: Parts, log: Logger, flushTimeoutMs = 10_000): Promise<void> {
  const steps: Array<[string, (() => Promise<void>) | undefined]> = [
    ["stop alerts", p.production?.stop],
    ["close mqtt", p.broker?.close],
    ["flush writer", p.writer && (() => p.writer!.close(flushTimeoutMs))],
    // After the flush, so no point of ours is still on its way when another instance takes a line over.
    ["release line leases", p.leases && (() => p.leases!.stop())],
    ["stop cluster", p.cluster?.stop],
    // After the flush: the last stored minutes go into the upstream outbox before it closes.
    ["stop upstream", p.upstream?.stop],
    ["close spool", p.durable?.close],
    ["stop rollups", p.rollups?.close && (() => p.rollups!.close())],
    [
      "close http",
      p.app &&
        (async () => {
          p.events?.stop();
          await p.app!.close();
        }),
    ],
    ["stop influxd", p.stopInflux],
  ];
  for (const [step, run] of steps) {
    if (run === undefined) continue;
    try {
      await run();
    } catch (err) {
      log.error({ err, step }, "stop step failed");
    }
  }
}

function wireIngest(
  o: GatewayOptions,
  registry: Registry,
  devices: Devices | null,
  tracker: OdometerTracker,
  parts: Parts,
) {
  const clock = o.clock ?? systemClock;
  const lineDefs = registryLines(registry).map(({ plant, line }) => ({
    plant: plant.id,
    line: line.id,
    ratedPerMin: line.ratedPerMin,
  }));
  // Config `alerts.minStopSeconds` (fast lines want faster stop detection); explicit `lineState` wins (tests).
  const minStop = o.alerts?.minStopSeconds;
  const lineState = new LineStateTracker(lineDefs, clock, {
    ...(minStop === undefined ? {} : { minStopMs: minStop * 1000 }),
    ...o.lineState,
  });
  const metrics = createMetrics(() => parts.broker?.clients() ?? 0, {
    spooled: () => parts.durable?.spooled() ?? 0,
    storeUp: () => parts.durable?.storeUp() ?? true,
    linesSeen: () => lineState.linesSeen(),
    directAcks: () => parts.broker?.directAcks() ?? 0,
  });
  const writer = new BatchWriter({
    sink: parts.durable?.sink ?? parts.store!,
    log: o.log.child({ module: "writer" }),
    ...o.writer,
    onWritten: (size, ms) => {
      metrics.batchLatency.observe(ms / 1000);
      metrics.pointsWritten.inc(size);
    },
  });
  const drops = new DropCounter(o.log.child({ module: "ingest" }), clock, 10_000, (reason) =>
    metrics.drops.inc({ reason }),
  );
  const ingest = new Ingest({
    ...{ registry, devices, tracker, writer, lineState, drops, clock, log: o.log },
    onMessage: (kind) => metrics.messagesByKind[kind].inc(),
    ownership: parts.leases,
  });
  return { metrics, lineState, writer, ingest, clock };
}

/** The composition root: loads config, picks the adapters, wires ingest, broker and HTTP, and starts them. */
export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const log = o.log.child({ module: "gateway" });
  const { registry, devices } = await loadInputs(o);
  const users = new Users(
    o.users ?? [],
    registry.plants.map((p) => p.id),
  );
  const { store, stopInflux } = await openStore(o, o.log.child({ module: "influxd" }));
  const parts: Parts & { store: SampleStore } = { store, stopInflux };
  try {
    // Broker state and the spool live under the data dir; a test's injected store without one keeps both in memory.
    const dataDir = o.dataDir ?? (o.store === undefined ? "./data" : undefined);
    const federation = new Federation({ upstream: o.upstream, clock: o.clock ?? systemClock, log: o.log });
    // Before the spool opens: its replay must mark the past hours it rewrites (ADR 0010). Not in a cluster:
    // another instance's late writes would not mark this one's hours dirty, so queries read raw there.
    parts.rollups = o.cluster
      ? undefined
      : await openRollups(store, o.clock ?? systemClock, o.log.child({ module: "rollups" }));
    const rolling = parts.rollups?.writesThrough(store) ?? store;
    if (o.cluster) parts.cluster = await startCluster(o.cluster, o.log.child({ module: "cluster" }));
    parts.durable = await openDurableWrites({
      store: federation.writesThrough(rolling),
      // Cluster: no disk spool — a point acknowledged from one instance's disk would be invisible to the
      // instance taking its lines over, which would count it again (ADR 0011).
      dataDir: parts.cluster ? undefined : dataDir,
      log: o.log.child({ module: "spool" }),
      writeTimeoutMs: o.storeWriteTimeoutMs,
    });
    const tracker = new OdometerTracker();
    const marks = await retryUntilUp(() => store.lastMarks(), "read odometer marks", log);
    // Both: a point that is only in the spool must not be counted again when its sample is resent (ADR 0005).
    tracker.restore(marks);
    tracker.restore(parts.durable.spoolMarks);
    log.info({ series: marks.length, spooled: parts.durable.spooled() }, "odometer marks restored");
    parts.durable.start();
    if (parts.cluster) {
      parts.leases = new LineLeases({
        ...{ store: parts.cluster.leases, instanceId: parts.cluster.instanceId, tracker },
        ...{ marks: () => store.lastMarks(), clock: o.clock ?? systemClock, log: o.log },
        ttlMs: o.cluster?.leaseMs,
      });
    }
    parts.rollups?.start();
    const { metrics, lineState, writer, ingest, clock } = wireIngest(o, registry, devices, tracker, parts);
    parts.writer = writer;
    federation.receive({
      registry: () => parts.production?.registry.current() ?? registry,
      writer,
      onDrop: (reason) => metrics.drops.inc({ reason }),
    });
    const host = o.host ?? "127.0.0.1";
    parts.broker = await startBroker({
      host,
      port: o.mqttPort ?? 1883,
      allowAnonymous: o.allowAnonymous ?? false,
      devices,
      onPublish: federation.route((identity, clientId, topic, payload) =>
        ingest.handle(identity, clientId, topic, payload),
      ),
      isTelemetry: (topic) => ingest.isTelemetry(topic),
      log: o.log,
      persistenceDir: dataDir === undefined ? undefined : join(dataDir, "broker"),
      shared: parts.cluster?.broker(),
      tls: o.tls && {
        cert: await readFile(o.tls.cert),
        key: await readFile(o.tls.key),
        port: o.tls.port ?? 8883,
      },
      limits: o.limits,
      onRejected: (reason) => metrics.rejections.inc({ reason }),
      backlog: () => writer.pending,
      onShed: () => metrics.drops.inc({ reason: "overload" }),
    });
    const broker = parts.broker;
    parts.leases?.start();
    parts.production = await startProduction({
      registry,
      registryFile: typeof o.registry === "string" ? o.registry : null,
      tracker: lineState,
      ingest,
      store,
      influx: store instanceof InfluxSampleStore ? store.influx : null,
      dataDir: dataDir ?? null,
      alerts: o.alerts ?? {},
      publish: (topic, payload) =>
        broker.publish({ topic, payload: Buffer.from(payload), qos: 1, retain: false }),
      metrics: metrics.registry,
      clock,
      log: o.log.child({ module: "production" }),
      scope: requestPlants,
      freshness: federation.freshness,
      rollups: parts.rollups ?? null,
    });
    const production = parts.production;
    parts.upstream =
      (await federation.startUpstream({
        registry: () => production.registry.current(),
        sums: store instanceof InfluxSampleStore ? new InfluxMinuteSums(store.influx) : null,
        store,
        lineState,
        activeAlerts: (plant, line) =>
          production.alerts
            .list("active", new Set([plant]))
            .filter((a) => a.line === line)
            .map((a) => ({ kind: a.kind, raisedAt: a.raisedAt })),
        dataDir,
      })) ?? undefined;
    const views = new LineViews(() => production.registry.current(), lineState, store, clock);
    parts.events = new LineEvents(views, o.log.child({ module: "events" }));
    parts.app = await buildServer({
      log: o.log,
      store,
      views,
      events: parts.events,
      clients: () => broker.clients(),
      spooled: () => parts.durable?.spooled() ?? 0,
      version: VERSION,
      adminToken: o.adminToken,
      users,
      publicBoard: o.publicBoard,
      registry: () => production.registry.current(),
      dashboardDir: o.dashboardDir ?? DEFAULT_DASHBOARD,
      metrics: metrics.registry,
      production: production.http,
      alertHealth: production.alertHealth,
    });
    await parts.app.listen({ host, port: o.httpPort ?? 8080 });
    const address = parts.app.server.address();
    let stopping: Promise<void> | undefined;
    return {
      mqttPort: broker.port,
      tlsPort: broker.tlsPort,
      httpPort: typeof address === "object" && address !== null ? address.port : 0,
      reloadRegistry: async (source = "sighup") => {
        await production.registry.reload(source);
      },
      stop: () => {
        stopping ??= stopParts(parts, log, o.flushTimeoutMs).then(() => log.info("gateway stopped"));
        return stopping;
      },
    };
  } catch (err) {
    await stopParts(parts, log);
    throw err;
  }
}
