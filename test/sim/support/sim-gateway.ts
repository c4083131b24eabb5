import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { type RunningGateway, startGateway } from "../../../gateway/gateway.ts";
import type { SampleStore } from "../../../gateway/store/sample-store.ts";
import type { Counts, Registry } from "../../../protocol/index.ts";

/** The real gateway (anonymous devices) on a free port, storing into `store`; restartable on the same port. */
export class SimGateway {
  private running: RunningGateway | null = null;
  private constructor(
    private readonly registry: Registry,
    readonly store: SampleStore,
    private readonly dir: string,
    public port: number,
  ) {}

  static async start(registry: Registry, store: SampleStore): Promise<SimGateway> {
    const dir = await mkdtemp(join(tmpdir(), "masktally-simgw-"));
    const gw = new SimGateway(registry, store, dir, 0);
    await gw.restart();
    return gw;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts it (again) on the same MQTT port; it recovers each line's last odometer from the store. */
  async restart(): Promise<void> {
    this.running = await startGateway({
      registry: this.registry,
      mqttPort: this.port,
      httpPort: 0,
      allowAnonymous: true,
      store: this.store,
      log: pino({ level: "silent" }),
      dashboardDir: join(this.dir, "no-dashboard"),
      writer: { flushMs: 20, retryInitialMs: 20, retryMaxMs: 200 },
    });
    this.port = this.running.mqttPort;
  }

  /** Stops it: devices can no longer connect until `restart`. */
  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = null;
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Stored totals per "plant/line". */
  async totals(): Promise<Record<string, Counts>> {
    const rows = await this.store.sumOutput({ from: new Date(0), to: new Date(Date.now() + 3_600_000) });
    return Object.fromEntries(rows.map((r) => [`${r.plant}/${r.line}`, { good: r.good, reject: r.reject }]));
  }
}
