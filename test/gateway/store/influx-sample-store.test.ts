import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InfluxTimeoutError,
  InfluxWriteError,
  LineWriter,
  outputLine,
} from "../../../gateway/store/line-protocol.ts";
import type { OutputPoint } from "../../../gateway/store/sample-store.ts";
import { type TestInflux, testInflux } from "../../support/influx.ts";

let db: TestInflux;
beforeAll(async () => {
  db = await testInflux("store");
});
afterAll(async () => {
  await db?.drop();
});

const T0 = Date.UTC(2026, 10, 29, 0, 0, 0);

function point(over: Partial<OutputPoint>): OutputPoint {
  return {
    plant: "sr-01",
    line: "l1",
    epoch: "e1",
    device: "pi-01",
    seq: 1,
    ts: T0,
    good: 0,
    reject: 0,
    goodOdo: 0,
    rejectOdo: 0,
    ...over,
  };
}

describe("InfluxSampleStore against a real InfluxDB", () => {
  it("sums stored deltas exactly with from ≤ t < to, per line, and rewriting a point does not add it twice", async () => {
    await db.store.write([
      point({ seq: 1, ts: T0, good: 100, reject: 2, goodOdo: 100, rejectOdo: 2 }),
      point({ seq: 2, ts: T0 + 1000, good: 7, reject: 1, goodOdo: 107, rejectOdo: 3 }),
      point({ line: "l2", seq: 1, ts: T0 + 500, good: 40, goodOdo: 40 }),
      point({ plant: "sr-02", seq: 1, ts: T0 + 2000, good: 9_007_199_254_740, goodOdo: 9_007_199_254_740 }),
    ]);
    // A replay of seq 2 with the same timestamp overwrites, it does not add.
    await db.store.write([point({ seq: 2, ts: T0 + 1000, good: 7, reject: 1, goodOdo: 107, rejectOdo: 3 })]);

    const all = await db.store.sumOutput({ from: new Date(T0), to: new Date(T0 + 3000) });
    expect(all).toEqual([
      { plant: "sr-01", line: "l1", good: 107, reject: 3 },
      { plant: "sr-01", line: "l2", good: 40, reject: 0 },
      { plant: "sr-02", line: "l1", good: 9_007_199_254_740, reject: 0 },
    ]);
    // The upper bound is exclusive, the lower inclusive.
    expect(
      await db.store.sumOutput({ from: new Date(T0), to: new Date(T0 + 1000), plant: "sr-01", line: "l1" }),
    ).toEqual([{ plant: "sr-01", line: "l1", good: 100, reject: 2 }]);
    expect(
      await db.store.sumOutput({ from: new Date(T0 + 1000), to: new Date(T0 + 3000), plant: "sr-01" }),
    ).toEqual([{ plant: "sr-01", line: "l1", good: 7, reject: 1 }]);
  });

  it("filters by plant with a bound parameter, so a quote in the value cannot change the query", async () => {
    expect(
      await db.store.sumOutput({ from: new Date(0), to: new Date(T0 + 3000), plant: "x' OR '1'='1" }),
    ).toEqual([]);
  });

  it("recovers the newest odometer mark of every (plant, line, epoch) series", async () => {
    await db.store.write([
      point({ line: "l3", epoch: "e2", seq: 9, ts: T0 + 50, good: 5, goodOdo: 55, rejectOdo: 4 }),
    ]);
    const marks = await db.store.lastMarks();
    expect(marks.find((m) => m.plant === "sr-01" && m.line === "l1" && m.epoch === "e1")).toEqual({
      plant: "sr-01",
      line: "l1",
      epoch: "e1",
      seq: 2,
      ts: T0 + 1000,
      goodOdo: 107,
      rejectOdo: 3,
    });
    expect(marks.find((m) => m.line === "l3")).toEqual({
      plant: "sr-01",
      line: "l3",
      epoch: "e2",
      seq: 9,
      ts: T0 + 50,
      goodOdo: 55,
      rejectOdo: 4,
    });
    expect(marks).toHaveLength(4);
  });

  it("answers ping while the server is up", async () => {
    expect(await db.store.ping()).toBe(true);
  });

  it("writes awkward ids and device names escaped, integer fields and the run signal as InfluxDB reads them back", async () => {
    const odd = { plant: "p 1,x=y", line: "l\\2", epoch: 'e "3"', device: 'pi "quoted" \\ back' };
    await db.store.write([
      point({ ...odd, seq: 1, ts: T0 + 10, good: 3, reject: 1, goodOdo: 3, rejectOdo: 1, run: true }),
      point({ ...odd, seq: 2, ts: T0 + 20, good: 4, reject: 0, goodOdo: 7, rejectOdo: 1, run: false }),
      point({ ...odd, seq: 3, ts: T0 + 30, good: 5, reject: 0, goodOdo: 12, rejectOdo: 1 }),
    ]);
    const rows = await db.store.influx.query<Record<string, unknown>>(
      "SELECT * FROM output WHERE plant = $plant ORDER BY time",
      { placeholders: { plant: odd.plant }, precision: "ms" },
    );
    expect(
      rows.map((r) => [r.plant, r.line, r.epoch, r.device, r.seq, r.good, r.good_odo, r.reject, r.run]),
    ).toEqual([
      [odd.plant, odd.line, odd.epoch, odd.device, 1, 3, 3, 1, true],
      [odd.plant, odd.line, odd.epoch, odd.device, 2, 4, 7, 0, false],
      [odd.plant, odd.line, odd.epoch, odd.device, 3, 5, 12, 0, null],
    ]);
    const types = await db.store.influx.query<{ fieldKey: string; fieldType: string }>(
      "SHOW FIELD KEYS FROM output",
    );
    expect(Object.fromEntries(types.map((t) => [t.fieldKey, t.fieldType]))).toEqual({
      device: "string",
      good: "integer",
      good_odo: "integer",
      reject: "integer",
      reject_odo: "integer",
      run: "boolean",
      seq: "integer",
    });
    expect(outputLine(point({ seq: 4, ts: T0, good: 1, goodOdo: 1 }))).toBe(
      `output,epoch=e1,line=l1,plant=sr-01 device="pi-01",good=1i,good_odo=1i,reject=0i,reject_odo=0i,seq=4i ${T0}`,
    );
  });

  it("fails a write to a missing database with InfluxDB's own reason", async () => {
    const writer = new LineWriter({ url: db.url, database: "no_such_db_here", timeoutMs: 5000 });
    const err = await writer.write([point({})]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfluxWriteError);
    expect(err).toMatchObject({ code: "INFLUX_WRITE_FAILED", status: 404 });
    expect((err as Error).message).toBe('InfluxDB write failed (404): database not found: "no_such_db_here"');
  });

  it("sends credentials as Basic auth, reuses one connection, and gives up on an InfluxDB that never answers", async () => {
    const seen: Array<{ url: string; auth: string | undefined; body: string; socket: unknown }> = [];
    let answer = true;
    const server: Server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        seen.push({ url: req.url ?? "", auth: req.headers.authorization, body, socket: req.socket });
        if (answer) res.writeHead(204).end();
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    try {
      const writer = new LineWriter({
        url: `http://us%40r:p%3Ass@127.0.0.1:${port}/`,
        database: "m t",
        timeoutMs: 300,
      });
      await writer.write([point({ seq: 1 })]);
      await writer.write([point({ seq: 2 }), point({ seq: 3 })]);
      expect(seen.map((r) => r.url)).toEqual(["/write?db=m+t&precision=ms", "/write?db=m+t&precision=ms"]);
      expect(seen[0]!.auth).toBe(`Basic ${Buffer.from("us@r:p:ss").toString("base64")}`);
      expect(seen[1]!.body).toBe([outputLine(point({ seq: 2 })), outputLine(point({ seq: 3 }))].join("\n"));
      expect(seen[1]!.socket).toBe(seen[0]!.socket); // keep-alive
      answer = false;
      const err = await writer.write([point({ seq: 4 })]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InfluxTimeoutError);
      expect((err as Error).message).toBe("InfluxDB did not answer a write within 300 ms");
      expect(seen).toHaveLength(3);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
