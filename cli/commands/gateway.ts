import { type Command, Option } from "commander";
import { checkSettings, loadGatewayConfig } from "../../gateway/config.ts";
import { type GatewayOptions, startGateway } from "../../gateway/gateway.ts";
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
] as const;

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
  return { ...s, registry: s.registry as string };
}

async function runGateway(flags: GatewayFlags, cmd: Command): Promise<void> {
  const opts = await settings(cmd, flags);
  const log = createLogger("masktally-gateway");
  const gateway = await startGateway({ ...opts, log });
  log.info({ mqttPort: gateway.mqttPort, httpPort: gateway.httpPort }, "gateway ready");
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, "stopping");
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      gateway.stop().then(resolve, resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
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
    .option("--allow-anonymous", "accept MQTT clients without credentials (demo/test only)", false)
    .addOption(
      new Option("--admin-token <token>", "token the HTTP API requires (except /api/health)").env(
        "MASKTALLY_ADMIN_TOKEN",
      ),
    )
    .action((flags: GatewayFlags, cmd: Command) => runGateway(flags, cmd));
}
