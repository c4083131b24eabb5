import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { startGateway } from "../../gateway/gateway.ts";
import { runSim } from "../../sim/run-sim.ts";
import { intArg } from "../args.ts";
import { createLogger } from "../logger.ts";

const DEMO_REGISTRY = fileURLToPath(new URL("../../examples/demo-registry.yaml", import.meta.url));

interface DemoFlags {
  httpPort: number;
  mqttPort: number;
  dataDir: string;
  registry: string;
  speedup: number;
  seed: number;
}

/**
 * `masktally demo`: a managed InfluxDB, the gateway and a simulated province (2 plants, 6 lines) producing in
 * real time, in one process. MQTT is open to anonymous clients on loopback only; the API needs the token
 * printed with the dashboard URL.
 */
async function demo(flags: DemoFlags): Promise<void> {
  const log = createLogger("masktally-demo");
  const adminToken = process.env.MASKTALLY_ADMIN_TOKEN ?? randomBytes(12).toString("base64url");
  const gateway = await startGateway({
    registry: flags.registry,
    mqttPort: flags.mqttPort,
    httpPort: flags.httpPort,
    host: "127.0.0.1",
    influx: "managed",
    dataDir: flags.dataDir,
    allowAnonymous: true,
    adminToken,
    log,
  });
  const url = `http://127.0.0.1:${gateway.httpPort}/?token=${adminToken}`;
  log.info({ url, mqttPort: gateway.mqttPort, token: undefined }, "demo ready");
  process.stderr.write(
    `\n  masktally demo is running.\n  Dashboard: ${url}\n  (sign-in token: ${adminToken})\n  Ctrl-C stops it.\n\n`,
  );

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await runSim({
      registry: flags.registry,
      broker: `mqtt://127.0.0.1:${gateway.mqttPort}`,
      seed: flags.seed,
      speedup: flags.speedup,
      drainTimeoutSec: 10,
      signal: stop.signal,
      log: log.child({ module: "sim" }),
    });
  } finally {
    await gateway.stop();
    log.info("demo stopped");
  }
}

export function register(program: Command): void {
  program
    .command("demo")
    .description("Run a managed InfluxDB, the gateway and a simulated plant producing in real time")
    .option("--http-port <n>", "HTTP port of the dashboard and API (0 = free)", intArg(0, 65535), 8080)
    .option("--mqtt-port <n>", "MQTT port (0 = free)", intArg(0, 65535), 0)
    .option("--data-dir <dir>", "where the demo keeps InfluxDB's data", "./data/demo")
    .option("--registry <file>", "the plants and lines to simulate", DEMO_REGISTRY)
    .option("--speedup <x>", "simulated time runs this many times faster", intArg(1, 1000), 1)
    .option("--seed <n>", "simulator seed", intArg(0), 1)
    .action((flags: DemoFlags) => demo(flags));
}
