import { FieldType, InfluxDB } from "influx";
import type { Counts } from "../../protocol/index.ts";
import { LineWriter } from "./line-protocol.ts";
import type { OdometerMark, OutputPoint, OutputQuery, SampleStore } from "./sample-store.ts";

export interface InfluxSampleStoreOptions {
  /** e.g. http://127.0.0.1:8086 */
  url: string;
  database: string;
  /** Per-request timeout; a hung server must not hold counts forever. */
  timeoutMs?: number;
}

const OUTPUT = "output";

/**
 * Output counts in InfluxDB 1.x. One point per accepted sample, keyed by tags (plant, line, epoch) and the
 * sample's time in ms: a replayed sample rewrites the same point, so replays are idempotent (STACK.md).
 * Fields are written as integers so sums are exact.
 */
export class InfluxSampleStore implements SampleStore {
  readonly influx: InfluxDB;
  readonly #writer: LineWriter;

  constructor(readonly opts: InfluxSampleStoreOptions) {
    const u = new URL(opts.url);
    this.#writer = new LineWriter({
      url: opts.url,
      database: opts.database,
      timeoutMs: opts.timeoutMs ?? 10_000,
    });
    this.influx = new InfluxDB({
      host: u.hostname,
      port: Number(u.port || (u.protocol === "https:" ? 443 : 8086)),
      protocol: u.protocol === "https:" ? "https" : "http",
      username: decodeURIComponent(u.username) || undefined,
      password: decodeURIComponent(u.password) || undefined,
      database: opts.database,
      options: { timeout: opts.timeoutMs ?? 10_000 },
      schema: [
        {
          measurement: OUTPUT,
          tags: ["plant", "line", "epoch"],
          fields: {
            good: FieldType.INTEGER,
            reject: FieldType.INTEGER,
            good_odo: FieldType.INTEGER,
            reject_odo: FieldType.INTEGER,
            seq: FieldType.INTEGER,
            device: FieldType.STRING,
            run: FieldType.BOOLEAN,
          },
        },
      ],
    });
  }

  /** Creates the database if it does not exist (CREATE DATABASE is idempotent in 1.x). */
  async init(): Promise<void> {
    await this.influx.createDatabase(this.opts.database);
  }

  async write(points: readonly OutputPoint[]): Promise<void> {
    if (points.length === 0) return;
    await this.#writer.write(points);
  }

  async sumOutput(q: OutputQuery): Promise<Array<{ plant: string; line: string } & Counts>> {
    const where = [`time >= ${q.from.getTime()}ms`, `time < ${q.to.getTime()}ms`];
    const placeholders: Record<string, string> = {};
    if (q.plant !== undefined) {
      where.push("plant = $plant");
      placeholders.plant = q.plant;
    }
    if (q.line !== undefined) {
      where.push('"line" = $line');
      placeholders.line = q.line;
    }
    const rows = await this.influx.query<{ plant: string; line: string; good: number; reject: number }>(
      `SELECT sum(good) AS good, sum(reject) AS reject FROM ${OUTPUT} WHERE ${where.join(" AND ")} GROUP BY plant, "line"`,
      { placeholders },
    );
    return rows
      .map((r) => ({ plant: r.plant, line: r.line, good: r.good ?? 0, reject: r.reject ?? 0 }))
      .sort((a, b) => (a.plant === b.plant ? a.line.localeCompare(b.line) : a.plant.localeCompare(b.plant)));
  }

  async lastMarks(): Promise<OdometerMark[]> {
    // One selector with other fields returns those fields from the selected (newest) point and its time.
    const rows = await this.influx.query<{
      time: Date;
      plant: string;
      line: string;
      epoch: string;
      seq: number;
      good_odo: number;
      reject_odo: number;
    }>(`SELECT last(seq) AS seq, good_odo, reject_odo FROM ${OUTPUT} GROUP BY plant, "line", epoch`);
    return rows.map((r) => ({
      plant: r.plant,
      line: r.line,
      epoch: r.epoch,
      seq: r.seq,
      ts: r.time.getTime(),
      goodOdo: r.good_odo,
      rejectOdo: r.reject_odo,
    }));
  }

  async ping(): Promise<boolean> {
    const hosts = await this.influx.ping(2000);
    return hosts.some((h) => h.online);
  }
}
