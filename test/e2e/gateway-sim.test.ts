import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HealthResponse, LinesResponse, OutputResponse } from "../../protocol/index.ts";
import { CliProcess, runCli } from "../support/cli-process.ts";

const REGISTRY = `
timezone: Asia/Shanghai
target: { daily: 10000000 }
regions:
  - { id: shangrao, name: 上饶市 }
  - { id: nanchang, name: 南昌市 }
plants:
  - id: sr-01
    name: 上饶示例防护用品有限公司
    region: shangrao
    lines:
      - { id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 600 }
      - { id: l2, name: 2号KN95线, type: kn95, ratedPerMin: 300 }
  - id: nc-01
    name: 南昌示例医疗器械有限公司
    region: nanchang
    lines:
      - { id: l1, name: 1号医用外科口罩线, type: surgical, ratedPerMin: 480 }
      - { id: l2, name: 2号N95线, type: n95, ratedPerMin: 240 }
`;
const TOKEN = "e2e-admin-token";
const LINES = ["nc-01/l1", "nc-01/l2", "sr-01/l1", "sr-01/l2"];

let dir: string;
let gateway: CliProcess;
let httpPort: number;
let mqttPort: number;
const api = async <T>(path: string, token: string | null = TOKEN) => {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as T };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "masktally-e2e-"));
  await writeFile(join(dir, "registry.yaml"), REGISTRY);
  gateway = new CliProcess([
    "gateway",
    "--registry",
    join(dir, "registry.yaml"),
    "--mqtt-port",
    "0",
    "--http-port",
    "0",
    "--data-dir",
    join(dir, "data"),
    "--allow-anonymous",
    "--admin-token",
    TOKEN,
  ]);
  const ready = await gateway.waitForLog((l) => l.msg === "gateway ready", 60_000);
  httpPort = ready.httpPort as number;
  mqttPort = ready.mqttPort as number;
}, 90_000);

afterAll(async () => {
  await gateway?.stop("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

describe("masktally gateway + masktally sim as processes", () => {
  it("stores exactly what the simulated machines made, line by line (2 plants, 4 lines, 20 s)", async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const sim = await runCli([
      "sim",
      "--registry",
      join(dir, "registry.yaml"),
      "--broker",
      `mqtt://127.0.0.1:${mqttPort}`,
      "--seed",
      "7",
      "--duration",
      "20",
      "--truth",
      join(dir, "truth.json"),
    ]);
    expect(sim.code, sim.stderr).toBe(0);
    const truth = JSON.parse(await readFile(join(dir, "truth.json"), "utf8")) as {
      seed: number;
      lines: Record<string, { good: number; reject: number }>;
    };
    expect(truth.seed).toBe(7);
    expect(Object.keys(truth.lines).sort()).toEqual(LINES);
    const to = new Date(Date.now() + 60_000).toISOString();

    const out = await api<OutputResponse>(`/api/output?from=${from}&to=${to}`);
    expect(out.status).toBe(200);
    const stored = Object.fromEntries(
      out.body.lines.map((l) => [`${l.plant}/${l.line}`, { good: l.good, reject: l.reject }]),
    );
    expect(stored).toEqual(truth.lines);
    const sum = Object.values(truth.lines).reduce(
      (s, c) => ({ good: s.good + c.good, reject: s.reject + c.reject }),
      {
        good: 0,
        reject: 0,
      },
    );
    expect(out.body.total).toEqual(sum);
    // The machines really ran: at these rated speeds 20 s make well over a hundred masks a line.
    for (const key of LINES) expect(truth.lines[key]!.good).toBeGreaterThan(50);

    // Today's counts on /api/lines come from the same store.
    const lines = await api<LinesResponse>("/api/lines");
    expect(lines.status).toBe(200);
    expect(lines.body.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const l of lines.body.lines) expect(l.today).toEqual(truth.lines[`${l.plant}/${l.line}`]);
  }, 120_000);

  it("answers health publicly, refuses the API without a token, and rejects a garbage range with a JSON 400", async () => {
    const health = await api<HealthResponse>("/api/health", null);
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("ok");
    expect(health.body.influx).toBe("up");
    expect((await api("/api/lines", null)).status).toBe(401);
    const bad = await api<{ error: string; message: string }>(
      "/api/output?from=garbage&to=2026-01-01T00:00:00Z",
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("bad_request");
    expect(bad.body.message).toContain("from");
  });

  it("stops on SIGTERM with exit code 0 and stops its managed InfluxDB", async () => {
    const pidFile = join(dir, "data", "influxdb", "influxd.pid");
    const influxPid = Number((await readFile(pidFile, "utf8")).trim());
    expect(existsSync(`/proc/${influxPid}`)).toBe(true);
    const { code } = await gateway.stop("SIGTERM");
    expect(code).toBe(0);
    expect(existsSync(`/proc/${influxPid}`)).toBe(false);
    expect(gateway.logs.some((l) => l.msg === "gateway stopped")).toBe(true);
  }, 60_000);
});

describe("bad configuration", () => {
  it("makes masktally gateway exit 2 listing every registry problem with its path", async () => {
    const bad = join(tmpdir(), `masktally-bad-registry-${process.pid}.yaml`);
    await writeFile(
      bad,
      "regions: [ { id: r1, name: R } ]\nplants:\n  - { id: P1, name: X, region: r1, lines: [ { id: l1, name: a, type: foo, ratedPerMin: 0 } ] }\n",
    );
    const res = await runCli([
      "gateway",
      "--registry",
      bad,
      "--mqtt-port",
      "0",
      "--http-port",
      "0",
      "--influx",
      "http://127.0.0.1:9",
    ]);
    await rm(bad, { force: true });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("/plants/0/id:");
    expect(res.stderr).toContain("/plants/0/lines/0/type:");
    expect(res.stderr).toContain("/plants/0/lines/0/ratedPerMin:");
  });

  it("exits 2 on an unknown flag", async () => {
    const res = await runCli(["gateway", "--no-such-flag"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("--no-such-flag");
  });
});
