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
    tls: Type.Optional(
      Type.Object(
        { cert: Type.String(), key: Type.String(), port: Type.Optional(Port) },
        { additionalProperties: false },
      ),
    ),
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
    alerts: Type.Optional(
      Type.Object(
        {
          stopDelaySeconds: Type.Optional(Type.Integer({ minimum: 1 })),
          escalateAfterMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
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
