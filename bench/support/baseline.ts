import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort, spawnTs, waitExit } from "./processes.ts";

/**
 * The do-it-yourself stack: Debian `mosquitto` on a free port with a generated config (defaults otherwise:
 * that is what a user gets), plus bench/support/baseline-subscriber.ts writing to InfluxDB.
 */
export interface Baseline {
  port: number;
  pids: number[];
  /** Points the subscriber has written, and the publish → written latencies since the last call. */
  stats(): Promise<{ stored: number; latenciesMs: number[] }>;
  stop(): Promise<void>;
}

export async function startMosquitto(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const conf = join(dir, "mosquitto.conf");
  await writeFile(
    conf,
    [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false", "log_dest none", ""].join(
      "\n",
    ),
  );
  const child = spawn("mosquitto", ["-c", conf], { stdio: "ignore" });
  await new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    const until = Date.now() + 10_000;
    const probe = async () => {
      const { connect } = await import("node:net");
      const s = connect({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        if (Date.now() > until) reject(new Error("mosquitto did not start (apt-get install mosquitto)"));
        else setTimeout(probe, 50);
      });
    };
    void probe();
  });
  return { port, child };
}

export async function startBaseline(dir: string, influxUrl: string, database: string): Promise<Baseline> {
  const mosquitto = await startMosquitto(dir);
  const sub = spawnTs("bench/support/baseline-subscriber.ts", [
    `mqtt://127.0.0.1:${mosquitto.port}`,
    influxUrl,
    database,
  ]);
  const lines = createInterface({ input: sub.stdout! });
  const waiting: Array<(line: string) => void> = [];
  lines.on("line", (l) => waiting.shift()?.(l));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const ready = await Promise.race([
    next(),
    new Promise<string>((_, reject) => sub.once("exit", () => reject(new Error("subscriber exited")))),
  ]);
  if (ready !== "ready") throw new Error(`baseline subscriber: ${ready}`);
  return {
    port: mosquitto.port,
    pids: [mosquitto.child.pid!, sub.pid!],
    stats: async () => {
      const answer = next();
      sub.stdin!.write("stats\n");
      return JSON.parse(await answer) as { stored: number; latenciesMs: number[] };
    },
    stop: async () => {
      sub.stdin!.end();
      await waitExit(sub, 5000);
      mosquitto.child.kill("SIGTERM");
      await waitExit(mosquitto.child, 5000);
    },
  };
}
