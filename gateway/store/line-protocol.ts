import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { escape as influxEscape } from "influx";
import { MasktallyError } from "../../protocol/index.ts";
import type { OutputPoint } from "./sample-store.ts";

/**
 * The `output` measurement in InfluxDB 1.x line protocol, written by hand for the ingest hot path: node-influx's
 * writePoints re-checks every point against its schema and escapes every field name, which cost about 3 µs
 * per sample at 10,000 samples/s (bench/README.md). The escaping itself is node-influx's (`escape.tag`,
 * `escape.quoted`); fields are integers (`i`) so sums stay exact (STACK.md), floored as node-influx does (a
 * fraction must not make InfluxDB refuse the whole batch, which the writer would retry forever); time in ms.
 * https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/
 */
const int = Math.floor;

/** Escaped `output,epoch=…,line=…,plant=…` per series: the same few hundred series are written over and over. */
const seriesPrefixes = new Map<string, Map<string, Map<string, string>>>();
const MAX_SERIES = 100_000;
let seriesCount = 0;

function seriesPrefix(p: OutputPoint): string {
  let lines = seriesPrefixes.get(p.plant);
  if (lines === undefined) {
    lines = new Map();
    seriesPrefixes.set(p.plant, lines);
  }
  let epochs = lines.get(p.line);
  if (epochs === undefined) {
    epochs = new Map();
    lines.set(p.line, epochs);
  }
  let prefix = epochs.get(p.epoch);
  if (prefix === undefined) {
    if (++seriesCount > MAX_SERIES) {
      // Epochs change only when a device loses its store; a cache this big means churn, not reuse.
      seriesPrefixes.clear();
      seriesCount = 1;
    }
    prefix = `output,epoch=${influxEscape.tag(p.epoch)},line=${influxEscape.tag(p.line)},plant=${influxEscape.tag(p.plant)} `;
    epochs.set(p.epoch, prefix);
  }
  return prefix;
}

export function outputLine(p: OutputPoint): string {
  const run = p.run === undefined ? "" : `,run=${p.run ? "true" : "false"}`;
  return (
    `${seriesPrefix(p)}device=${influxEscape.quoted(p.device)},good=${int(p.good)}i,good_odo=${int(p.goodOdo)}i,` +
    `reject=${int(p.reject)}i,reject_odo=${int(p.rejectOdo)}i${run},seq=${int(p.seq)}i ${int(p.ts)}`
  );
}

export class InfluxWriteError extends MasktallyError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super("INFLUX_WRITE_FAILED", message);
  }
}

export class InfluxTimeoutError extends MasktallyError {
  constructor(ms: number) {
    super("INFLUX_TIMEOUT", `InfluxDB did not answer a write within ${ms} ms`);
  }
}

export interface LineWriterOptions {
  /** e.g. http://user:pass@127.0.0.1:8086 */
  url: string;
  database: string;
  timeoutMs: number;
}

/** InfluxDB's answer to one POST /write. */
interface WriteAnswer {
  status: number;
  text: string;
}

/**
 * POST /write with precision ms: resolves once InfluxDB answered 204 (the points are durable there).
 *
 * node:http with a keep-alive agent rather than fetch: on this 2-core machine a fetch POST cost ~0.8–1.2 ms of
 * CPU against ~0.3–0.5 ms for http.request (same body, same influxd; bench/README.md, "CPU per sample"), and
 * the writer sends 20–50 requests a second under load.
 */
export class LineWriter {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #request: typeof httpRequest;
  readonly #agent: HttpAgent;

  constructor(private readonly o: LineWriterOptions) {
    const u = new URL(o.url);
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    this.#headers = { "content-type": "text/plain; charset=utf-8" };
    if (user !== "")
      this.#headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    u.username = "";
    u.password = "";
    u.pathname = `${u.pathname.replace(/\/$/, "")}/write`;
    u.search = new URLSearchParams({ db: o.database, precision: "ms" }).toString();
    this.#url = u;
    const https = u.protocol === "https:";
    this.#request = https ? httpsRequest : httpRequest;
    // One socket is enough: the BatchWriter keeps one request in flight. Idle keep-alive sockets are unref'd.
    this.#agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  async write(points: readonly OutputPoint[]): Promise<void> {
    if (points.length === 0) return;
    let body = "";
    for (const p of points) body += `${body.length > 0 ? "\n" : ""}${outputLine(p)}`;
    const res = await this.#post(body);
    if (res.status === 204) return;
    let detail = res.text;
    try {
      detail = (JSON.parse(res.text) as { error?: string }).error ?? res.text;
    } catch {
      // not JSON: keep the text
    }
    throw new InfluxWriteError(res.status, `InfluxDB write failed (${res.status}): ${detail.slice(0, 500)}`);
  }

  /** Rejects on a network error, or with InfluxTimeoutError when no complete answer came within `timeoutMs`. */
  #post(body: string): Promise<WriteAnswer> {
    return new Promise<WriteAnswer>((resolve, reject) => {
      const headers = { ...this.#headers, "content-length": String(Buffer.byteLength(body)) };
      const req = this.#request(this.#url, { method: "POST", headers, agent: this.#agent }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (text.length < 4096) text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      });
      const timer = setTimeout(() => req.destroy(new InfluxTimeoutError(this.o.timeoutMs)), this.o.timeoutMs);
      req.on("close", () => clearTimeout(timer));
      req.on("error", reject);
      req.end(body);
    });
  }
}
