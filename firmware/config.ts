import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Static, Type } from "@sinclair/typebox";
import { ConfigError, compile, ID_PATTERN, lineKey, type Problem, parseYaml } from "../protocol/index.ts";

const Id = Type.String({ pattern: ID_PATTERN });
/** A digital pin number, or a name the IO plugin understands ("A0", "GPIO17", "P1-11"). */
const Pin = Type.Union([
  Type.Integer({ minimum: 0, maximum: 255 }),
  Type.String({ minLength: 1, maxLength: 16 }),
]);

const PulseInput = Type.Object(
  { pin: Pin, debounceMs: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })) },
  { additionalProperties: false },
);

const JohnnyFiveSourceSchema = Type.Object(
  {
    kind: Type.Literal("johnny-five"),
    io: Type.Union([Type.Literal("firmata"), Type.Literal("raspi"), Type.Literal("sim")]),
    /** Serial port of a Firmata board (e.g. /dev/ttyACM0). */
    port: Type.Optional(Type.String({ minLength: 1 })),
    baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 4_000_000 })),
    good: PulseInput,
    reject: Type.Optional(PulseInput),
    run: Type.Optional(
      Type.Object({ pin: Pin, activeLow: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    ),
    sensors: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: "^[a-z][a-z0-9_]{0,31}$" }),
            pin: Pin,
            scale: Type.Optional(Type.Number()),
            offset: Type.Optional(Type.Number()),
          },
          { additionalProperties: false },
        ),
        { maxItems: 32 },
      ),
    ),
  },
  { additionalProperties: false },
);

const LineConfigSchema = Type.Object(
  { plant: Id, line: Id, source: JohnnyFiveSourceSchema },
  { additionalProperties: false },
);

export const DeviceConfigSchema = Type.Object(
  {
    device: Id,
    broker: Type.String({ pattern: "^mqtts?://" }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    /** File holding the MQTT password (relative to the config file); keeps the secret out of the YAML. */
    passwordFile: Type.Optional(Type.String({ minLength: 1 })),
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    intervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    lines: Type.Array(LineConfigSchema, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);

export type JohnnyFiveSourceConfig = Static<typeof JohnnyFiveSourceSchema>;
export type LineConfig = Static<typeof LineConfigSchema>;
export type DeviceConfigFile = Static<typeof DeviceConfigSchema>;

/** A validated device config with defaults applied and the password read. Frozen. */
export interface DeviceConfig {
  device: string;
  broker: string;
  username?: string;
  password?: string;
  dataDir: string;
  intervalMs: number;
  lines: LineConfig[];
}

export const DEFAULT_INTERVAL_MS = 1000;
const checker = compile(DeviceConfigSchema);

/** Rules the schema cannot say: one entry per line, a port for Firmata, distinct pins per source. */
function crossCheck(cfg: DeviceConfigFile): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  cfg.lines.forEach((l, i) => {
    const key = lineKey(l.plant, l.line);
    if (seen.has(key)) problems.push({ path: `/lines/${i}/line`, message: `duplicate line "${key}"` });
    seen.add(key);
    if (l.source.io === "firmata" && l.source.port === undefined) {
      problems.push({ path: `/lines/${i}/source/port`, message: "a firmata source needs the serial port" });
    }
    const pins = [
      ["good", l.source.good.pin],
      ["reject", l.source.reject?.pin],
      ["run", l.source.run?.pin],
    ] as const;
    const used = new Map<string, string>();
    for (const [name, pin] of pins) {
      if (pin === undefined) continue;
      const other = used.get(String(pin));
      if (other)
        problems.push({
          path: `/lines/${i}/source/${name}/pin`,
          message: `pin ${pin} is already used by ${other}`,
        });
      used.set(String(pin), name);
    }
  });
  return problems;
}

/** Validates a parsed device config; throws ConfigError listing every problem with its path. */
export function validateDeviceConfig(doc: unknown, file = "device config"): DeviceConfigFile {
  const checked = checker.check(doc);
  if (!checked.ok) throw new ConfigError(file, checked.problems);
  const problems = crossCheck(checked.value);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return checked.value;
}

/** Reads, validates and resolves a device YAML file (CONTRACTS.md, `masktally firmware --config`). */
export async function loadDeviceConfig(file: string): Promise<DeviceConfig> {
  const text = await readFile(file, "utf8").catch((err: Error) => {
    throw new ConfigError(file, [{ path: "/", message: `cannot read: ${err.message}` }]);
  });
  const cfg = validateDeviceConfig(parseYaml(text, file), file);
  let password: string | undefined;
  if (cfg.passwordFile !== undefined) {
    const path = resolve(dirname(file), cfg.passwordFile);
    password = (
      await readFile(path, "utf8").catch((err: Error) => {
        throw new ConfigError(file, [
          { path: "/passwordFile", message: `cannot read ${path}: ${err.message}` },
        ]);
      })
    ).trim();
  }
  return Object.freeze({
    device: cfg.device,
    broker: cfg.broker,
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
    ...(password !== undefined ? { password } : {}),
    dataDir: resolve(dirname(file), cfg.dataDir ?? "./data"),
    intervalMs: cfg.intervalMs ?? DEFAULT_INTERVAL_MS,
    lines: cfg.lines,
  });
}
