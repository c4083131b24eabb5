import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  findInfluxd,
  InfluxdNotFoundError,
  startManagedInflux,
} from "../../../gateway/store/managed-influx.ts";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "masktally-managed-"));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Running and not a zombie (field 3 of /proc/PID/stat is the state). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] !== "Z";
  } catch {
    return false;
  }
}

describe("managed InfluxDB", () => {
  it("starts influxd on a free loopback port with its data in the given folder, and stops it", async () => {
    const dir = await tempDir();
    const server = await startManagedInflux({ dataDir: dir });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/ping`)).status).toBe(204);
    expect(await readFile(join(dir, "influxdb", "influxd.pid"), "utf8")).toBe(`${server.pid}\n`);
    expect(existsSync(join(dir, "influxdb", "meta"))).toBe(true);
    await server.stop();
    expect(existsSync(`/proc/${server.pid}`)).toBe(false);
    expect(existsSync(join(dir, "influxdb", "influxd.pid"))).toBe(false);
  });

  it("ends an influxd orphaned by a killed gateway before starting on the same folder, keeping the data", async () => {
    const dir = await tempDir();
    // The orphan's parent is a separate process killed with SIGKILL, as a crashed gateway would be.
    const parent = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `import("${join(process.cwd(), "gateway/store/managed-influx.ts")}").then(async (m) => { const s = await m.startManagedInflux({ dataDir: ${JSON.stringify(dir)} }); await fetch(s.url + "/query?q=" + encodeURIComponent("CREATE DATABASE kept"), { method: "POST" }); console.log(s.pid); })`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const orphanPid = await new Promise<number>((resolve) =>
      parent.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    parent.kill("SIGKILL");
    expect(alive(orphanPid)).toBe(true);

    const server = await startManagedInflux({ dataDir: dir });
    expect(existsSync(`/proc/${orphanPid}`)).toBe(false);
    const res = await fetch(`${server.url}/query?q=SHOW%20DATABASES`);
    expect(JSON.stringify(await res.json())).toContain('"kept"');
    await server.stop();
  });

  it("prefers an explicit influxd path that exists", () => {
    expect(findInfluxd(process.execPath)).toBe(process.execPath);
  });

  it("fails with a message naming the Debian package and --influx URL when influxd cannot be found", () => {
    expect(() => findInfluxd("/nonexistent/influxd", ["/nonexistent"])).toThrow(InfluxdNotFoundError);
    expect(() => findInfluxd("/nonexistent/influxd", ["/nonexistent"])).toThrow(
      /apt-get install influxdb.*--influx http/s,
    );
  });
});
