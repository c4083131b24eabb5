import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join, resolve } from "node:path";
import type { Logger } from "pino";
import { MasktallyError } from "../../protocol/index.ts";

/** A running influxd owned by this process. */
export interface ManagedInflux {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ManagedInfluxOptions {
  /** The server's config, data, WAL and pid file live in `{dataDir}/influxdb`. */
  dataDir: string;
  /** Path of the influxd binary; default: env MASKTALLY_INFLUXD, then `influxd` on PATH, then /usr/bin. */
  influxd?: string;
  host?: string;
  /** HTTP port; default a free one. A fixed port lets a restarted server keep its URL (fault tests). */
  port?: number;
  log?: Logger;
  readyTimeoutMs?: number;
}

export class InfluxdNotFoundError extends MasktallyError {
  constructor() {
    super(
      "INFLUXD_NOT_FOUND",
      "influxd (InfluxDB 1.x) was not found. Install the Debian package: `sudo apt-get install influxdb` " +
        "(or run `npm run setup`), set MASKTALLY_INFLUXD to its path, or point masktally at an existing " +
        "server with --influx http://HOST:8086.",
    );
  }
}

export function findInfluxd(
  explicit?: string,
  searchDirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/bin", "/usr/local/bin"]),
): string {
  const candidates = [explicit, process.env.MASKTALLY_INFLUXD].filter((c): c is string => !!c);
  for (const dir of searchDirs) {
    if (dir) candidates.push(join(dir, "influxd"));
  }
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new InfluxdNotFoundError();
  return found;
}

/** Asks the kernel for a free loopback port. Another process could take it before influxd binds: start() retries. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() =>
        addr && typeof addr === "object" ? resolvePort(addr.port) : reject(new Error("no port")),
      );
    });
  });
}

function configText(dir: string, host: string, httpPort: number, rpcPort: number): string {
  return `# Written by masktally for its managed InfluxDB; rewritten at every start.
reporting-enabled = false
bind-address = "${host}:${rpcPort}"
[meta]
  dir = "${join(dir, "meta")}"
  logging-enabled = false
[data]
  dir = "${join(dir, "data")}"
  wal-dir = "${join(dir, "wal")}"
  wal-fsync-delay = "0s"
  query-log-enabled = false
[http]
  bind-address = "${host}:${httpPort}"
  log-enabled = false
  pprof-enabled = false
[monitor]
  store-enabled = false
[logging]
  level = "warn"
[subscriber]
  enabled = false
`;
}

/**
 * A gateway killed with SIGKILL leaves its influxd running and holding the data folder's locks; the
 * next start would wait on them forever. The pid file lets us find and end that orphan first.
 */
async function endOrphan(pidFile: string, log?: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // not running any more
  }
  if (!Number.isInteger(pid) || pid <= 0 || !cmdline.includes("influxd")) return;
  log?.warn({ pid }, "ending influxd left running by an earlier gateway");
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(100);
  if (existsSync(`/proc/${pid}`)) process.kill(pid, "SIGKILL");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(
  url: string,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new MasktallyError(
        "INFLUXD_EXITED",
        `influxd exited (${child.exitCode ?? child.signalCode}): ${stderr()}`,
      );
    }
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new MasktallyError(
    "INFLUXD_TIMEOUT",
    `influxd did not answer ${url}/ping within ${timeoutMs} ms: ${stderr()}`,
  );
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once("exit", () => r()));
}

async function startOnce(
  influxd: string,
  dir: string,
  host: string,
  opts: ManagedInfluxOptions,
): Promise<ManagedInflux> {
  const [httpPort, rpcPort] = [opts.port ?? (await freePort(host)), await freePort(host)];
  const confFile = join(dir, "influxdb.conf");
  await writeFile(confFile, configText(dir, host, httpPort, rpcPort));
  // Its own process group: a Ctrl-C in the terminal (or `timeout`, or systemd's KillMode=control-group)
  // signals the whole foreground group, and influxd must outlive the gateway's flush. We stop it ourselves;
  // the pid file catches it if the gateway dies without doing so.
  const child = spawn(influxd, ["-config", confFile], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let errTail = "";
  child.stderr?.on("data", (d: Buffer) => {
    errTail = (errTail + d.toString()).slice(-2000);
  });
  child.on("error", () => {}); // reported through waitReady
  const url = `http://${host}:${httpPort}`;
  try {
    await waitReady(
      url,
      child,
      () => errTail.trim().split("\n").slice(-3).join(" | "),
      opts.readyTimeoutMs ?? 30_000,
    );
  } catch (err) {
    child.kill("SIGKILL");
    await exited(child);
    throw err;
  }
  await writeFile(join(dir, "influxd.pid"), `${child.pid}\n`);
  child.on("exit", (code, signal) => opts.log?.info({ code, signal }, "influxd exited"));
  return {
    url,
    port: httpPort,
    pid: child.pid ?? -1,
    async stop(graceMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited(child);
        clearTimeout(timer);
      }
      await rm(join(dir, "influxd.pid"), { force: true });
    },
  };
}

/** Starts influxd on a free loopback port with its data under `{dataDir}/influxdb`; resolves once /ping answers. */
export async function startManagedInflux(opts: ManagedInfluxOptions): Promise<ManagedInflux> {
  const influxd = findInfluxd(opts.influxd);
  const dir = resolve(opts.dataDir, "influxdb");
  const host = opts.host ?? "127.0.0.1";
  await mkdir(dir, { recursive: true });
  await endOrphan(join(dir, "influxd.pid"), opts.log);
  let lastErr: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const server = await startOnce(influxd, dir, host, opts);
      opts.log?.info({ url: server.url, pid: server.pid, dir }, "managed influxd ready");
      return server;
    } catch (err) {
      lastErr = err;
      if (err instanceof MasktallyError && err.code === "INFLUXD_TIMEOUT") break;
      opts.log?.warn({ err, attempt }, "influxd failed to start, retrying on other ports");
    }
  }
  throw lastErr;
}
