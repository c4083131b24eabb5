import { connect as netConnect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import mqttPacket from "mqtt-packet";
import type { BenchLine } from "./registry.ts";

/**
 * A cheap MQTT load generator: raw sockets, pre-encoded CONNECT, PUBLISH packets assembled straight into one
 * buffer per connection and tick (no client library, no per-message Buffer), and a minimal parser that only
 * understands what a broker sends a publisher (CONNACK, PUBACK). QoS 1 with a bounded in-flight window per
 * connection: a device whose window is full is slowed (its due sample is not generated), as a real one is.
 * The PUBACK time is the masktally latency "publish → stored": the gateway acknowledges only stored samples.
 */
export interface LoadOptions {
  host: string;
  port: number;
  lines: readonly BenchLine[];
  /** Unacknowledged QoS 1 publishes per connection (default 100). */
  maxInflight?: number;
  /** QoS 0 or 1 (default 1). */
  qos?: 0 | 1;
  /** Distinguishes runs against the same store (the sample's epoch). */
  epoch: string;
  /** Handshakes in flight while connecting (default 100). */
  connectBatch?: number;
}

export interface StepResult {
  targetRate: number;
  seconds: number;
  sent: number;
  acked: number;
  /** Samples not generated because the device's window was full (backpressure). */
  slowed: number;
  rate: number;
  latenciesMs: number[];
}

class Conn {
  buf = Buffer.alloc(0);
  inflight = new Map<number, number>();
  nextId = 1;
  seq = 0;
  good = 0;
  lastTs = 0;
  acked = 0;
  connected!: Promise<void>;
  constructor(
    readonly socket: Socket,
    readonly topic: Buffer,
    readonly device: string,
    readonly onAck: (ms: number) => void,
  ) {}
}

const CONNACK = 2;
const PUBACK = 4;

export class MqttLoad {
  readonly conns: Conn[] = [];
  #record = false;
  #latencies: number[] = [];
  readonly #maxInflight: number;
  readonly #qos: 0 | 1;
  #cursor = 0;

  constructor(readonly o: LoadOptions) {
    this.#maxInflight = o.maxInflight ?? 100;
    this.#qos = o.qos ?? 1;
  }

  /**
   * Opens one connection per line (at most `count`), 100 handshakes at a time by default: Mosquitto listens with a
   * backlog of 100, and more SYNs at once are dropped and retried a second later (1,000 devices: 3 s, not 0.1).
   */
  async connect(count = this.o.lines.length): Promise<void> {
    const size = this.o.connectBatch ?? 100;
    for (let i = 0; i < count; i += size) {
      const batch = this.o.lines.slice(i, Math.min(count, i + size)).map((l, j) => this.#open(l, i + j));
      await Promise.all(batch.map((c) => c.connected));
    }
  }

  #open(line: BenchLine, index: number): Conn {
    const socket = netConnect({ host: this.o.host, port: this.o.port, noDelay: true });
    const conn = new Conn(
      socket,
      Buffer.from(`mt/v1/${line.plant}/${line.line}/telemetry`),
      `d${index}`,
      (ms) => {
        if (this.#record) this.#latencies.push(ms);
      },
    );
    this.conns.push(conn);
    conn.connected = new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.on("data", (chunk: Buffer) => this.#onData(conn, chunk, resolve));
      socket.on("close", () => reject(new Error(`connection ${index} closed`)));
    });
    conn.connected.catch(() => undefined);
    socket.write(
      mqttPacket.generate({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: `bench-${this.o.epoch}-${index}`,
        keepalive: 0,
      }),
    );
    return conn;
  }

  #onData(conn: Conn, chunk: Buffer, connected: () => void): void {
    let b = conn.buf.length > 0 ? Buffer.concat([conn.buf, chunk]) : chunk;
    const now = performance.now();
    while (b.length >= 2) {
      const len = b[1] as number; // CONNACK and PUBACK have a one-byte remaining length of 2
      if (b.length < 2 + len) break;
      const type = (b[0] as number) >> 4;
      if (type === CONNACK) connected();
      else if (type === PUBACK) {
        const id = b.readUInt16BE(2);
        const t = conn.inflight.get(id);
        if (t !== undefined) {
          conn.inflight.delete(id);
          conn.acked++;
          conn.onAck(now - t);
        }
      }
      b = b.subarray(2 + len);
    }
    conn.buf = b.length > 0 ? Buffer.from(b) : Buffer.alloc(0);
  }

  /** One sample whose odometer advanced by `advance` (0: a stopped machine still reporting). */
  publishOne(conn: Conn, advance: 0 | 1): void {
    if (advance === 1) this.#publish(conn, 1);
    else {
      conn.good--;
      if (this.#publish(conn, 1) === 0) conn.good++;
    }
  }

  /** Publishes `count` samples on one connection in a single write. */
  #publish(conn: Conn, count: number): number {
    const parts: Buffer[] = [];
    const now = performance.now();
    const wall = Date.now();
    let n = 0;
    for (; n < count; n++) {
      if (this.#qos === 1 && conn.inflight.size >= this.#maxInflight) break;
      conn.seq++;
      conn.good++;
      conn.lastTs = Math.max(wall, conn.lastTs + 1);
      const payload = `{"v":1,"device":"${conn.device}","epoch":"${this.o.epoch}","seq":${conn.seq},"ts":${conn.lastTs},"good":${conn.good},"reject":0,"t":${(performance.timeOrigin + now).toFixed(2)}}`;
      const id = conn.nextId;
      conn.nextId = id === 65535 ? 1 : id + 1;
      const rem = 2 + conn.topic.length + (this.#qos ? 2 : 0) + payload.length;
      const pkt = Buffer.allocUnsafe(1 + (rem < 128 ? 1 : 2) + rem);
      let o = 0;
      pkt[o++] = 0x30 | (this.#qos << 1);
      if (rem < 128) pkt[o++] = rem;
      else {
        pkt[o++] = (rem & 0x7f) | 0x80;
        pkt[o++] = rem >> 7;
      }
      o = pkt.writeUInt16BE(conn.topic.length, o);
      o += conn.topic.copy(pkt, o);
      if (this.#qos) {
        o = pkt.writeUInt16BE(id, o);
        conn.inflight.set(id, now);
      }
      pkt.write(payload, o, "latin1");
      parts.push(pkt);
    }
    if (parts.length > 0) conn.socket.write(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
    return n;
  }

  /** Good counts sent so far (each rate-driven sample's odometer adds exactly one). */
  get sent(): number {
    return this.conns.reduce((s, c) => s + c.good, 0);
  }

  get acked(): number {
    return this.conns.reduce((s, c) => s + c.acked, 0);
  }

  get inflight(): number {
    return this.conns.reduce((s, c) => s + c.inflight.size, 0);
  }

  /** Publishes `rate` samples/s spread round-robin over the connections for `seconds`. */
  async runRate(rate: number, seconds: number, record = true): Promise<StepResult> {
    this.#latencies = [];
    this.#record = record;
    const sent0 = this.sent;
    const acked0 = this.acked;
    let slowed = 0;
    let due = 0;
    const t0 = performance.now();
    const n = this.conns.length;
    const perConn = new Uint32Array(n);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = Math.min(performance.now() - t0, seconds * 1000);
        const target = Math.floor((elapsed / 1000) * rate);
        perConn.fill(0);
        for (; due < target; due++) perConn[this.#cursor++ % n]! += 1;
        for (let i = 0; i < n; i++) {
          const want = perConn[i] as number;
          if (want > 0) slowed += want - this.#publish(this.conns[i] as Conn, want);
        }
        if (elapsed >= seconds * 1000) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    const sent = this.sent - sent0;
    return {
      targetRate: rate,
      seconds,
      sent,
      acked: this.acked - acked0,
      slowed,
      rate: sent / seconds,
      latenciesMs: this.#latencies,
    };
  }

  /** Waits until every QoS 1 publish is acknowledged; returns whether it happened in time. */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = performance.now() + timeoutMs;
    while (this.inflight > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.inflight === 0;
  }

  /** Latencies recorded since the last runRate (e.g. acks that arrived while draining). */
  get latencies(): number[] {
    return this.#latencies;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.destroyed) return resolve();
            c.socket.once("close", () => resolve());
            c.socket.end(Buffer.from([0xe0, 0x00])); // DISCONNECT
          }),
      ),
    );
  }
}
