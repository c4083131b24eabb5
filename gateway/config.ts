import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Static, Type } from "@sinclair/typebox";
import { ConfigError, compile, parseYaml } from "../protocol/index.ts";

const Port = Type.Integer({ minimum: 0, maximum: 65535 });

/** The gateway config file (CONTRACTS.md): every CLI flag as a key, plus settings later issues implement. */
export const GatewayConfigSchema = Type.Object(
  {
    registry: Type.Optional(Type.String({ minLength: 1 })),
    devices: Type.Optional(Type.String({ minLength: 1 })),
    mqttPort: Type.Optional(Port),
    httpPort: Type.Optional(Port),
    host: Type.Optional(Type.String({ minLength: 1 })),
    influx: Type.Optional(Type.Union([Type.Literal("managed"), Type.String({ pattern: "^https?://" })])),
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    allowAnonymous: Type.Optional(Type.Boolean()),
    adminToken: Type.Optional(Type.String({ minLength: 8 })),
    /** MQTT over TLS: PEM certificate and key files; port default 8883. */
    tls: Type.Optional(
      Type.Object(
        {
          cert: Type.String({ minLength: 1 }),
          key: Type.String({ minLength: 1 }),
          port: Type.Optional(Port),
        },
        { additionalProperties: false },
      ),
    ),
    /** Broker limits (gateway/broker.ts BrokerLimits). */
    limits: Type.Optional(
      Type.Object(
        {
          maxPacketBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 268_435_455 })),
          maxTopicLevels: Type.Optional(Type.Integer({ minimum: 6, maximum: 100 })),
          maxInflightInbound: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
          maxConnections: Type.Optional(Type.Integer({ minimum: 1 })),
          connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
          /** Samples waiting for the store above which QoS 0 publishes are acknowledged and dropped. */
          qos0ShedBacklog: Type.Optional(Type.Integer({ minimum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** A direct InfluxDB write slower than this goes to the disk spool instead (ms). */
    storeWriteTimeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
    users: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1 }),
            passwordHash: Type.Optional(Type.String()),
            token: Type.Optional(Type.String({ minLength: 8 })),
            role: Type.Union(["admin", "bureau", "manager", "technician"].map((r) => Type.Literal(r))),
            plant: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    /** InfluxDB database name (default masktally); gateways sharing one InfluxDB need different ones. */
    database: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" })),
    /** Federation (issue 8, ADR 0009): forward per-minute roll-ups to a bureau gateway. */
    upstream: Type.Optional(
      Type.Object(
        {
          broker: Type.String({ pattern: "^mqtts?://" }),
          username: Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,31}$" }),
          passwordFile: Type.Optional(Type.String({ minLength: 1 })),
          plants: Type.Optional(
            Type.Array(Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,31}$" }), { minItems: 1 }),
          ),
          intervalMs: Type.Optional(Type.Integer({ minimum: 200, maximum: 600_000 })),
          resyncHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 31 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Broker cluster (issue 8, ADR 0011): instances sharing MQTT state and line ownership via Redis. */
    cluster: Type.Optional(
      Type.Object(
        {
          redis: Type.String({ pattern: "^rediss?://" }),
          instanceId: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9._-]{1,64}$" })),
          leaseMs: Type.Optional(Type.Integer({ minimum: 500, maximum: 300_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** The bureau board (capacity, daily report) readable without signing in. */
    publicBoard: Type.Optional(Type.Boolean()),
    alerts: Type.Optional(
      Type.Object(
        {
          stopDelaySeconds: Type.Optional(Type.Integer({ minimum: 1 })),
          /** A line is stopped after no good count for max(this, 10 ideal cycles); default 30. */
          minStopSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
          escalateAfterMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
          /** While nobody acknowledges, a reminder this often (default 5). */
          remindEveryMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
          /** The dashboard's address as technicians reach it: messages link to `/#/alerts/{id}`. */
          publicUrl: Type.Optional(Type.String({ pattern: "^https?://" })),
          webhooks: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  kind: Type.Union(["generic", "wecom", "dingtalk", "feishu"].map((k) => Type.Literal(k))),
                  url: Type.String({ pattern: "^https?://" }),
                  secret: Type.Optional(Type.String()),
                  plants: Type.Optional(Type.Array(Type.String())),
                  escalation: Type.Optional(Type.Boolean()),
                },
                { additionalProperties: false },
              ),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type GatewayConfig = Static<typeof GatewayConfigSchema>;

const checker = compile(GatewayConfigSchema);

/** Validates a parsed gateway config; relative file paths are resolved against the config file's folder. */
export function validateGatewayConfig(doc: unknown, file = "gateway config"): GatewayConfig {
  const checked = checker.check(doc ?? {});
  if (!checked.ok) throw new ConfigError(file, checked.problems);
  const cfg = { ...checked.value };
  const base = dirname(resolve(file));
  for (const key of ["registry", "devices", "dataDir"] as const) {
    const value = cfg[key];
    if (value !== undefined) cfg[key] = resolve(base, value);
  }
  if (cfg.tls !== undefined) {
    cfg.tls = { ...cfg.tls, cert: resolve(base, cfg.tls.cert), key: resolve(base, cfg.tls.key) };
  }
  if (cfg.upstream?.passwordFile !== undefined) {
    cfg.upstream = { ...cfg.upstream, passwordFile: resolve(base, cfg.upstream.passwordFile) };
  }
  return Object.freeze(cfg);
}

export async function loadGatewayConfig(file: string): Promise<GatewayConfig> {
  return validateGatewayConfig(parseYaml(await readFile(file, "utf8"), file), file);
}

/**
 * Rules across settings, checked once flags, file and defaults are merged. Whether devices are required
 * (unless anonymous clients are allowed) is checked by startGateway after the registry, so a broken registry
 * is reported first, with every problem in it.
 */
export function checkSettings(s: { registry?: string | undefined }): void {
  if (s.registry === undefined) {
    throw new ConfigError("gateway settings", [{ path: "/registry", message: "required (--registry FILE)" }]);
  }
}
