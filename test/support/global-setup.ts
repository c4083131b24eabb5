import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type ManagedInflux, startManagedInflux } from "../../gateway/store/managed-influx.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the suite's one real InfluxDB server; each test file makes its own database on it. */
    influxUrl: string;
  }
}

let server: ManagedInflux | undefined;
let dir: string | undefined;

/** One real influxd for the whole suite, on a free loopback port, data in a temp folder removed afterwards. */
export async function setup(project: TestProject): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), "masktally-test-influx-"));
  server = await startManagedInflux({ dataDir: dir });
  project.provide("influxUrl", server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
