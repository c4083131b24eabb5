import { existsSync } from "node:fs";
import { type Command, Option } from "commander";
import { checkSettings, loadGatewayConfig } from "../../gateway/config.ts";
import { type GatewayOptions, startGateway } from "../../gateway/gateway.ts";
import { ConfigError, type Problem } from "../../protocol/index.ts";
import { intArg } from "../args.ts";
import { createLogger } from "../logger.ts";

interface GatewayFlags {
  config?: string;
  registry?: string;
  devices?: string;
  mqttPort: number;
  httpPort: number;
  host: string;
  influx: string;
  dataDir: string;
  allowAnonymous: boolean;
  adminToken?: string;
  /** Config-file only (no flags): dashboard users and the public bureau board. */
  users?: GatewayOptions["users"];
  publicBoard?: boolean;
  /** MQTT over TLS: from the config file's `tls`, or the --tls-* flags. */
  tls?: GatewayOptions["tls"];
  tlsCert?: string;
  tlsKey?: string;
  tlsPort?: number;
  /** Config-file only: broker limits and the spool's store write timeout. */
  limits?: GatewayOptions["limits"];
  storeWriteTimeoutMs?: number;
  /** Config-file only: stop delay, escalation, reminders, webhooks, public URL. */
  alerts?: GatewayOptions["alerts"];
  /** InfluxDB database (--database or config `database`). */
  database?: string;
  /** Config-file only: forward roll-ups to a bureau gateway (issue 8). */
  upstream?: GatewayOptions["upstream"];
  /** Broker cluster: config `cluster`, or --redis/--instance-id (issue 8). */
  cluster?: GatewayOptions["cluster"];
  redis?: string;
  instanceId?: string;
}

const SETTINGS = [
  "registry",
  "devices",
  "mqttPort",
  "httpPort",
  "host",
  "influx",
  "dataDir",
  "allowAnonymous",
  "adminToken",
  "users",
  "publicBoard",
  "tls",
  "limits",
  "storeWriteTimeoutMs",
  "alerts",
  "database",
  "upstream",
  "cluster",
] as const;

/** --tls-cert/--tls-key/--tls-port override the config file's `tls`; both files must exist. */
function tlsSettings(flags: GatewayFlags, fromFile: GatewayFlags["tls"]): GatewayFlags["tls"] {
  const problems: Problem[] = [];
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    problems.push({ path: "--tls-cert/--tls-key", message: "give both or neither" });
  }
  const tls =
    flags.tlsCert !== undefined && flags.tlsKey !== undefined
      ? { cert: flags.tlsCert, key: flags.tlsKey, port: flags.tlsPort ?? fromFile?.port }
      : fromFile && { ...fromFile, port: flags.tlsPort ?? fromFile.port };
  for (const key of ["cert", "key"] as const) {
    const file = tls?.[key];
    if (file !== undefined && !existsSync(file))
      problems.push({ path: `/tls/${key}`, message: `no such file: ${file}` });
  }
  if (problems.length > 0) throw new ConfigError("gateway settings", problems);
  return tls;
}

/** --redis/--instance-id override the config file's `cluster`; an instance id alone is an error. */
function clusterSettings(flags: GatewayFlags, fromFile: GatewayFlags["cluster"]): GatewayFlags["cluster"] {
  const redis = flags.redis ?? fromFile?.redis;
  if (redis === undefined) {
    if (flags.instanceId === undefined) return undefined;
    throw new ConfigError("gateway settings", [{ path: "--instance-id", message: "needs --redis" }]);
  }
  if (!/^rediss?:\/\//.test(redis)) {
    throw new ConfigError("gateway settings", [{ path: "--redis", message: "must be a redis:// URL" }]);
  }
  return { ...fromFile, redis, instanceId: flags.instanceId ?? fromFile?.instanceId };
}

/** Precedence: a flag given on the command line, then the config file, then the env var, then the default. */
async function settings(cmd: Command, flags: GatewayFlags): Promise<Omit<GatewayOptions, "log">> {
  const file = flags.config === undefined ? {} : await loadGatewayConfig(flags.config);
  const merged: Record<string, unknown> = {};
  for (const key of SETTINGS) {
    const fromCli = cmd.getOptionValueSource(key) === "cli";
    merged[key] = fromCli || !(key in file) ? flags[key] : file[key as keyof typeof file];
  }
  const s = merged as Omit<GatewayFlags, "config">;
  checkSettings(s);
  const { tlsCert: _c, tlsKey: _k, tlsPort: _p, redis: _r, instanceId: _i, ...rest } = s;
  return {
    ...rest,
    tls: tlsSettings(flags, s.tls),
    cluster: clusterSettings(flags, s.cluster),
    registry: s.registry as string,
  };
}

async function runGateway(flags: GatewayFlags, cmd: Command): Promise<void> {
  const opts = await settings(cmd, flags);
  const log = createLogger("masktally-gateway");
  const gateway = await startGateway({ ...opts, log });
  log.info(
    { mqttPort: gateway.mqttPort, tlsPort: gateway.tlsPort, httpPort: gateway.httpPort },
    "gateway ready",
  );
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, "stopping");
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.off("SIGHUP", onHup);
      gateway.stop().then(resolve, resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    // SIGHUP re-reads the registry (issue 5); an invalid file is logged with every problem and changes nothing.
    const onHup = () => void gateway.reloadRegistry("sighup").catch(() => {});
    process.on("SIGHUP", onHup);
  });
}

export function register(program: Command): void {
  program
    .command("gateway")
    .description("Run the MQTT broker, ingest, storage and the HTTP API + dashboard")
    .option("--config <file>", "YAML file with any of the settings below (flags override it)")
    .option("--registry <file>", "plants and lines (YAML)")
    .option("--devices <file>", "devices with their password hashes and lines (YAML)")
    .option("--mqtt-port <n>", "MQTT port (0 = a free one)", intArg(0, 65535), 1883)
    .option("--http-port <n>", "HTTP port (0 = a free one)", intArg(0, 65535), 8080)
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option(
      "--influx <url|managed>",
      "InfluxDB 1.x URL, or managed: start influxd under --data-dir",
      "managed",
    )
    .option("--data-dir <dir>", "where the gateway keeps its data", "./data")
    .option("--database <name>", "InfluxDB database (default masktally)")
    .option("--tls-cert <file>", "PEM certificate: also listen for MQTT over TLS")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--tls-port <n>", "MQTT over TLS port (default 8883; 0 = a free one)", intArg(0, 65535))
    .option("--redis <url>", "broker cluster: share MQTT state and lines with other instances (redis://…)")
    .option("--instance-id <id>", "broker cluster: this instance's unique id (default host-pid)")
    .option("--allow-anonymous", "accept MQTT clients without credentials (demo/test only)", false)
    .addOption(
      new Option("--admin-token <token>", "token the HTTP API requires (except /api/health)").env(
        "MASKTALLY_ADMIN_TOKEN",
      ),
    )
    .action((flags: GatewayFlags, cmd: Command) => runGateway(flags, cmd));
}
