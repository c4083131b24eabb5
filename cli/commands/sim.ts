import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { ConfigError, type LineKey, lineKey, type Problem, parseLineKey } from "../../protocol/index.ts";
import { runSim } from "../../sim/run-sim.ts";
import { type LineStop, parseStopSpec } from "../../sim/stop-spec.ts";
import { intArg, numberArg } from "../args.ts";
import { createLogger } from "../logger.ts";

interface SimFlags {
  registry: string;
  broker: string;
  username?: string;
  password?: string;
  lines?: string;
  seed: number;
  duration?: number;
  speedup: number;
  truth?: string;
  hardware: "inproc" | "firmata" | "modbus";
  stop: string[];
  drainTimeout: number;
  intervalMs: number;
  dataDir?: string;
}

/** Every flag problem at once (CONTRACTS.md: exit 2 with every problem listed). */
function checkFlags(flags: SimFlags): { lines?: LineKey[]; stops: LineStop[] } {
  const problems: Problem[] = [];
  if (!/^mqtts?:\/\/[^/]+/.test(flags.broker))
    problems.push({ path: "--broker", message: `"${flags.broker}" is not an mqtt:// or mqtts:// URL` });
  if ((flags.username === undefined) !== (flags.password === undefined)) {
    problems.push({ path: "--username/--password", message: "give both or neither" });
  }
  let lines: LineKey[] | undefined;
  if (flags.lines !== undefined) {
    lines = [];
    for (const item of flags.lines.split(",").map((s) => s.trim())) {
      const parsed = parseLineKey(item);
      if (parsed) lines.push(lineKey(parsed.plant, parsed.line));
      else problems.push({ path: "--lines", message: `"${item}" is not plant/line` });
    }
  }
  const stops: LineStop[] = [];
  for (const spec of flags.stop) {
    const parsed = parseStopSpec(spec);
    if ("error" in parsed) problems.push({ path: "--stop", message: parsed.error });
    else stops.push(parsed);
  }
  if (problems.length > 0) throw new ConfigError("masktally sim", problems);
  return { ...(lines ? { lines } : {}), stops };
}

async function sim(flags: SimFlags): Promise<void> {
  const { lines, stops } = checkFlags(flags);
  // The devices' odometers and outboxes live on disk, as on a Pi; without --data-dir in a temp folder.
  const dataDir = flags.dataDir ?? (await mkdtemp(join(tmpdir(), "masktally-sim-")));
  const log = createLogger("masktally-sim");
  const ac = new AbortController();
  const end = (signal: NodeJS.Signals) => {
    log.info({ signal }, "stopping: draining outboxes");
    ac.abort();
  };
  process.once("SIGTERM", end);
  process.once("SIGINT", end);
  try {
    await runSim({
      registry: flags.registry,
      broker: flags.broker,
      ...(flags.username !== undefined ? { username: flags.username } : {}),
      ...(flags.password !== undefined ? { password: flags.password } : {}),
      ...(lines ? { lines } : {}),
      seed: flags.seed,
      ...(flags.duration !== undefined ? { durationSec: flags.duration } : {}),
      speedup: flags.speedup,
      ...(flags.truth !== undefined ? { truthFile: flags.truth } : {}),
      stops,
      drainTimeoutSec: flags.drainTimeout,
      intervalMs: flags.intervalMs,
      hardware: flags.hardware,
      dataDir,
      signal: ac.signal,
      log: log.child({ module: "sim" }),
    });
  } finally {
    process.off("SIGTERM", end);
    process.off("SIGINT", end);
    if (flags.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function register(program: Command): void {
  program
    .command("sim")
    .description("Simulate production lines, each counted by a real firmware instance publishing to a broker")
    .requiredOption("--registry <file>", "registry YAML with the plants and lines")
    .option("--broker <url>", "MQTT broker of the gateway", "mqtt://127.0.0.1:1883")
    .option("--username <u>", "MQTT username (every simulated device uses it)")
    .option("--password <p>", "MQTT password")
    .option("--lines <keys>", "plant/line,… to simulate (default: every line of the registry)")
    .option("--seed <n>", "random seed: same seed, same production", intArg(0, 0xffffffff), 1)
    .option("--duration <seconds>", "wall-clock seconds to run (default: until SIGTERM/SIGINT)", numberArg(0))
    .option(
      "--speedup <x>",
      "simulated time runs X times faster than wall time",
      numberArg(0.001, 100_000),
      1,
    )
    .option("--truth <file>", "write the ground-truth ledger here at the end")
    .addOption(
      new Option("--hardware <kind>", "how the simulated machine reaches the firmware")
        .choices(["inproc", "firmata", "modbus"])
        .default("inproc"),
    )
    .option(
      "--stop <spec>",
      "plant/line@START+DURATION (simulated seconds): stop that line; repeatable",
      collect,
      [],
    )
    .option(
      "--drain-timeout <seconds>",
      "how long to wait for the firmware outboxes at the end",
      numberArg(0),
      60,
    )
    .option("--interval-ms <ms>", "firmware sample interval, wall ms", intArg(10, 3_600_000), 1000)
    .option(
      "--data-dir <dir>",
      "keep each simulated device's odometers and outbox journal here (default: a temp folder, removed at the end)",
    )
    .action(async (flags: SimFlags) => {
      await sim(flags);
      process.exitCode = 0;
    });
}
