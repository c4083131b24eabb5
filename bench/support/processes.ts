import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { freePort, type ManagedInflux, startManagedInflux } from "../../gateway/store/managed-influx.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ADMIN_TOKEN = "bench-admin-token";

/** A temp folder removed by `cleanup`. */
export async function tempDir(name: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `masktally-bench-${name}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function startInflux(dir: string): Promise<ManagedInflux> {
  return startManagedInflux({ dataDir: join(dir, "influx") });
}

/** Runs an InfluxQL statement over HTTP (POST /query); throws on an error in the answer. */
export async function influxQuery(url: string, q: string, db?: string): Promise<unknown[]> {
  const body = new URLSearchParams({ q, epoch: "ms", ...(db ? { db } : {}) });
  const res = await fetch(`${url}/query`, { method: "POST", body });
  const json = (await res.json()) as {
    results?: Array<{ error?: string; series?: unknown[] }>;
    error?: string;
  };
  const err = json.error ?? json.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`influx query failed: ${err ?? res.status}: ${q}`);
  return json.results?.[0]?.series ?? [];
}

/** sum(good) over every point of `output` in a database: what was stored. */
export async function storedGood(url: string, db: string): Promise<number> {
  const series = (await influxQuery(url, "SELECT sum(good) FROM output", db)) as Array<{
    values: Array<[number, number]>;
  }>;
  return series[0]?.values[0]?.[1] ?? 0;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => {
      child.kill("SIGKILL");
    }, ms);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export interface GatewayProcess {
  pid: number;
  mqttPort: number;
  httpPort: number;
  /** JSON log lines seen so far (objects). */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** `masktally gateway --config FILE` as its own process (so its CPU and RSS are its own), until "gateway ready". */
export async function startGateway(
  dir: string,
  settings: Record<string, unknown>,
  registryYaml: string,
): Promise<GatewayProcess> {
  const registry = join(dir, "registry.yaml");
  const config = join(dir, "gateway.yaml");
  await writeFile(registry, registryYaml);
  await writeFile(
    config,
    stringify({
      registry,
      allowAnonymous: true,
      mqttPort: 0,
      httpPort: 0,
      dataDir: join(dir, "gateway-data"),
      adminToken: ADMIN_TOKEN,
      limits: { maxConnections: 20_000 },
      ...settings,
    }),
  );
  // BENCH_GATEWAY_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": Node flags for the gateway process only.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(ROOT, "bin/masktally.js"), "gateway", "--config", config],
    {
      cwd: dir,
      env: { ...process.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const ready = new Promise<{ mqttPort: number; httpPort: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        logs.push(rec);
        if (rec.msg === "gateway ready") resolve(rec as never);
      } catch {
        // not a log line
      }
    });
    child.once("exit", (code) => reject(new Error(`gateway exited (${code}) before ready: ${stderr}`)));
  });
  const timeout = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const ports = await ready.finally(() => clearTimeout(timeout));
  return {
    pid: child.pid!,
    ...ports,
    logs,
    stop: async () => {
      child.kill("SIGTERM");
      await waitExit(child, 30_000);
    },
  };
}

/** Spawns a TypeScript module as its own process (node --import tsx, so the PID is the program's own). */
export function spawnTs(file: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", join(ROOT, file), ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
}

export { freePort, waitExit };
