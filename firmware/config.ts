import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type Static, Type } from "@sinclair/typebox";
import { ConfigError, compile, ID_PATTERN, lineKey, type Problem, parseYaml } from "../protocol/index.ts";
import { DEFAULT_PERSIST_MS, DEFAULT_STATUS_MS } from "./device.ts";

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

const SensorName = Type.String({ pattern: "^[a-z][a-z0-9_]{0,31}$" });
/** Linear calibration (reading = raw × scale + offset) and the plausible range of the reading. */
const Calibration = {
  scale: Type.Optional(Type.Number()),
  offset: Type.Optional(Type.Number()),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
};

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
        Type.Object({ name: SensorName, pin: Pin, ...Calibration }, { additionalProperties: false }),
        {
          maxItems: 32,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const Register = Type.Integer({ minimum: 0, maximum: 0xffff });
const ModbusCounterSchema = Type.Object(
  { register: Register, words: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])) },
  { additionalProperties: false },
);

const ModbusSourceSchema = Type.Object(
  {
    kind: Type.Literal("modbus"),
    /** Serial port of the RS-485 adapter (e.g. /dev/ttyUSB0). */
    port: Type.String({ minLength: 1 }),
    baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 4_000_000 })),
    parity: Type.Optional(Type.Union([Type.Literal("none"), Type.Literal("even"), Type.Literal("odd")])),
    unitId: Type.Optional(Type.Integer({ minimum: 1, maximum: 247 })),
    good: ModbusCounterSchema,
    reject: Type.Optional(ModbusCounterSchema),
    run: Type.Optional(
      Type.Object(
        {
          coil: Type.Optional(Register),
          discreteInput: Type.Optional(Register),
          activeLow: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    sensors: Type.Optional(
      Type.Array(
        Type.Object(
          { name: SensorName, register: Register, ...Calibration },
          { additionalProperties: false },
        ),
        {
          maxItems: 32,
        },
      ),
    ),
    wordOrder: Type.Optional(Type.Union([Type.Literal("high-first"), Type.Literal("low-first")])),
    pollMs: Type.Optional(Type.Integer({ minimum: 20, maximum: 60_000 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 20, maximum: 10_000 })),
    /** The line's fastest plausible rate (masks/min): tells a register wrap from a PLC counter reset. */
    maxPerMin: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

const LineConfigSchema = Type.Object(
  { plant: Id, line: Id, source: Type.Union([JohnnyFiveSourceSchema, ModbusSourceSchema]) },
  { additionalProperties: false },
);

export const DeviceConfigSchema = Type.Object(
  {
    device: Id,
    broker: Type.String({ pattern: "^mqtts?://" }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    /** File holding the MQTT password (relative to the config file); keeps the secret out of the YAML. */
    passwordFile: Type.Optional(Type.String({ minLength: 1 })),
    /** PEM files for mqtts:// (relative to the config file): the CA that signed the broker's certificate… */
    caFile: Type.Optional(Type.String({ minLength: 1 })),
    /** …and, for brokers that authenticate devices by certificate, the device's certificate and key. */
    certFile: Type.Optional(Type.String({ minLength: 1 })),
    keyFile: Type.Optional(Type.String({ minLength: 1 })),
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    intervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
    /** How often odometers are saved (atomic file replace); a power cut loses at most this much counting. */
    persistMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** How often the retained status (with the outbox depth) is refreshed. */
    statusMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000 })),
    /** Disk budget of the outbox journal, MiB; past it old samples are coalesced (no count is lost). */
    outboxMaxMB: Type.Optional(Type.Number({ minimum: 1, maximum: 100_000 })),
    lines: Type.Array(LineConfigSchema, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);

export type JohnnyFiveSourceConfig = Static<typeof JohnnyFiveSourceSchema>;
export type ModbusSourceConfig = Static<typeof ModbusSourceSchema>;
export type LineConfig = Static<typeof LineConfigSchema>;
export type DeviceConfigFile = Static<typeof DeviceConfigSchema>;

/** A validated device config with defaults applied and the password read. Frozen. */
export interface DeviceConfig {
  device: string;
  broker: string;
  username?: string;
  password?: string;
  /** PEM contents read from caFile / certFile / keyFile. */
  tls?: { ca?: string; cert?: string; key?: string };
  dataDir: string;
  intervalMs: number;
  persistMs: number;
  statusMs: number;
  outboxMaxBytes: number;
  lines: LineConfig[];
}

export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_OUTBOX_MAX_MB = 32;
const checker = compile(DeviceConfigSchema);

/** Rules the schema cannot say: one entry per line, a port per serial source, distinct pins and registers. */
function crossCheck(cfg: DeviceConfigFile): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const ports = new Map<string, number>();
  cfg.lines.forEach((l, i) => {
    const key = lineKey(l.plant, l.line);
    if (seen.has(key)) problems.push({ path: `/lines/${i}/line`, message: `duplicate line "${key}"` });
    seen.add(key);
    const src = l.source;
    if (src.kind === "johnny-five" && src.io === "firmata" && src.port === undefined) {
      problems.push({ path: `/lines/${i}/source/port`, message: "a firmata source needs the serial port" });
    }
    const port = src.kind === "modbus" || src.io === "firmata" ? src.port : undefined;
    if (port !== undefined) {
      const other = ports.get(port);
      // Each source owns its serial port (an OS-level lock): one Firmata board or RS-485 adapter per line.
      if (other !== undefined)
        problems.push({
          path: `/lines/${i}/source/port`,
          message: `port ${port} is already used by line ${other}`,
        });
      ports.set(port, i);
    }
    problems.push(...(src.kind === "modbus" ? modbusProblems(src, i) : pinProblems(src, i)));
  });
  return problems;
}

function pinProblems(src: JohnnyFiveSourceConfig, i: number): Problem[] {
  const problems: Problem[] = [];
  const pins = [
    ["good", src.good.pin],
    ["reject", src.reject?.pin],
    ["run", src.run?.pin],
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
  return problems;
}

function modbusProblems(src: ModbusSourceConfig, i: number): Problem[] {
  const problems: Problem[] = [];
  if (src.run && (src.run.coil === undefined) === (src.run.discreteInput === undefined)) {
    problems.push({ path: `/lines/${i}/source/run`, message: "give exactly one of coil or discreteInput" });
  }
  if (src.reject) {
    const g = [src.good.register, src.good.register + (src.good.words ?? 1)];
    const r = [src.reject.register, src.reject.register + (src.reject.words ?? 1)];
    if (g[0]! < r[1]! && r[0]! < g[1]!)
      problems.push({
        path: `/lines/${i}/source/reject/register`,
        message: "overlaps the good counter's registers",
      });
  }
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

async function readRelative(file: string, key: string, name: string): Promise<string> {
  const path = resolve(dirname(file), name);
  return readFile(path, "utf8").catch((err: Error) => {
    throw new ConfigError(file, [{ path: `/${key}`, message: `cannot read ${path}: ${err.message}` }]);
  });
}

/** Reads, validates and resolves a device YAML file (CONTRACTS.md, `masktally firmware --config`). */
export async function loadDeviceConfig(file: string): Promise<DeviceConfig> {
  const text = await readFile(file, "utf8").catch((err: Error) => {
    throw new ConfigError(file, [{ path: "/", message: `cannot read: ${err.message}` }]);
  });
  const cfg = validateDeviceConfig(parseYaml(text, file), file);
  const password =
    cfg.passwordFile !== undefined
      ? (await readRelative(file, "passwordFile", cfg.passwordFile)).trim()
      : undefined;
  const tls: NonNullable<DeviceConfig["tls"]> = {};
  if (cfg.caFile !== undefined) tls.ca = await readRelative(file, "caFile", cfg.caFile);
  if (cfg.certFile !== undefined) tls.cert = await readRelative(file, "certFile", cfg.certFile);
  if (cfg.keyFile !== undefined) tls.key = await readRelative(file, "keyFile", cfg.keyFile);
  return Object.freeze({
    device: cfg.device,
    broker: cfg.broker,
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
    dataDir: resolve(dirname(file), cfg.dataDir ?? "./data"),
    intervalMs: cfg.intervalMs ?? DEFAULT_INTERVAL_MS,
    persistMs: cfg.persistMs ?? DEFAULT_PERSIST_MS,
    statusMs: cfg.statusMs ?? DEFAULT_STATUS_MS,
    outboxMaxBytes: Math.round((cfg.outboxMaxMB ?? DEFAULT_OUTBOX_MAX_MB) * 1024 * 1024),
    lines: cfg.lines,
  });
}
