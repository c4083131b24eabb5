/**
 * The do-it-yourself bridge a plant's IT team would write (issue 7 baseline): mqtt.js subscribes to every
 * telemetry topic on Mosquitto at QoS 1 and writes each message to InfluxDB with node-influx. Like most such
 * scripts it batches (up to 5,000 points or 100 ms, one request at a time) — a per-message write would not
 * reach 2,000/s — and does nothing else: JSON.parse, no validation, no deduplication, no odometer deltas
 * (the bench's odometers add one count per sample, so it writes `good: 1`). Not part of masktally.
 *
 * Protocol with the bench: prints "ready" once subscribed; on a "stats" line on stdin prints one JSON line
 * `{stored, latenciesMs}` (publish → written, from the sample's `t`) and forgets the latencies.
 */
import { createInterface } from "node:readline";
import { FieldType, InfluxDB, type IPoint } from "influx";
import mqtt from "mqtt";

const [brokerUrl, influxUrl, database] = process.argv.slice(2) as [string, string, string];
const u = new URL(influxUrl);
const influx = new InfluxDB({
  host: u.hostname,
  port: Number(u.port),
  database,
  schema: [
    {
      measurement: "output",
      tags: ["plant", "line", "device"],
      fields: { good: FieldType.INTEGER, reject: FieldType.INTEGER, seq: FieldType.INTEGER },
    },
  ],
});
await influx.createDatabase(database);

let buffer: Array<{ point: IPoint; t: number }> = [];
let writing = false;
let stored = 0;
let latencies: number[] = [];

async function flush(): Promise<void> {
  if (writing || buffer.length === 0) return;
  writing = true;
  const batch = buffer.splice(0, 5000);
  try {
    await influx.writePoints(
      batch.map((b) => b.point),
      { precision: "ms" },
    );
    const now = performance.timeOrigin + performance.now();
    stored += batch.length;
    for (const b of batch) latencies.push(now - b.t);
  } catch (err) {
    buffer = batch.concat(buffer); // retry
    process.stderr.write(`write failed: ${(err as Error).message}\n`);
  }
  writing = false;
  if (buffer.length >= 5000) void flush();
}
setInterval(() => void flush(), 100);

const client = await mqtt.connectAsync(brokerUrl, { clientId: "diy-bridge", clean: true });
client.on("message", (topic, payload) => {
  const [, , plant, line] = topic.split("/");
  const s = JSON.parse(payload.toString()) as { device: string; seq: number; ts: number; t: number };
  buffer.push({
    point: {
      measurement: "output",
      tags: { plant: plant ?? "", line: line ?? "", device: s.device },
      fields: { good: 1, reject: 0, seq: s.seq },
      timestamp: s.ts,
    },
    t: s.t,
  });
  if (buffer.length >= 5000) void flush();
});
await client.subscribeAsync("mt/v1/+/+/telemetry", { qos: 1 });
process.stdout.write("ready\n");

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "stats") {
    process.stdout.write(`${JSON.stringify({ stored, latenciesMs: latencies })}\n`);
    latencies = [];
  }
});
process.stdin.on("end", () => {
  void client.endAsync().finally(() => process.exit(0));
});
