import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * Faults injected into the client → server MQTT stream (probabilities per PUBLISH, 0..1):
 * - `duplicate`: right after the PUBLISH, a QoS 0 copy of it — the same sample delivered twice;
 * - `reorder`: the PUBLISH is held back and forwarded after the next PUBLISH (or after 50 ms), so two
 *   samples reach the broker in swapped order; packet ids are untouched, so the client's state stays sound;
 * - `replayOld`: a QoS 0 copy of a PUBLISH seen earlier on the connection (a late, stale delivery).
 * Copies are QoS 0 on purpose: a QoS 1 copy would draw a PUBACK the client did not ask for, and a client
 * reusing that packet id would take it as the acknowledgement of a different message.
 */
export interface ProxyFaults {
  duplicate?: number;
  reorder?: number;
  replayOld?: number;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** Splits a byte stream into whole MQTT packets (MQTT 3.1.1 §2.2). */
export class MqttFramer {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const packets: Buffer[] = [];
    for (;;) {
      const size = packetSize(this.#buf);
      if (size === null || size > this.#buf.length) break;
      packets.push(this.#buf.subarray(0, size));
      this.#buf = this.#buf.subarray(size);
    }
    return packets;
  }
}

/** Total size of the packet starting at buf[0], or null if its header is incomplete. */
function packetSize(buf: Buffer): number | null {
  let length = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    const byte = buf[i];
    if (byte === undefined) return null;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) return 1 + i + length;
  }
  throw new Error("malformed remaining length");
}

function encodeLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

const isPublish = (p: Buffer) => (p[0] as number) >> 4 === 3;

/** The same PUBLISH as QoS 0 (no packet id, no DUP, not retained). */
export function asQos0(p: Buffer): Buffer {
  const qos = ((p[0] as number) >> 1) & 3;
  const headerLen = (packetSize(p) as number) - remaining(p);
  const body = p.subarray(headerLen);
  const topicLen = body.readUInt16BE(0);
  const rest = qos > 0 ? Buffer.concat([body.subarray(0, 2 + topicLen), body.subarray(4 + topicLen)]) : body;
  return Buffer.concat([Buffer.from([0x30]), encodeLength(rest.length), rest]);
}

function remaining(p: Buffer): number {
  let length = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    const byte = p[i] as number;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  return length;
}

/**
 * A TCP proxy for tests between MQTT clients and a broker: `cut()` drops every connection and refuses new
 * ones until `restore()` (a network cut), and `faults` injects duplicate and reordered deliveries.
 */
export class TcpProxy {
  readonly stats = { connections: 0, duplicated: 0, reordered: 0, replayed: 0, refused: 0 };
  faults: ProxyFaults = {};
  #cut = false;
  readonly #pairs = new Set<Pair>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
    private readonly random: () => number,
  ) {}

  /** Listens on 127.0.0.1 (port 0 = a free one) and forwards to `target`. */
  static async start(
    target: { host?: string; port: number },
    opts: { port?: number; random?: () => number } = {},
  ): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((socket) => proxy?.accept(socket));
    server.listen(opts.port ?? 0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    proxy = new TcpProxy(
      server,
      address.port,
      { host: target.host ?? "127.0.0.1", port: target.port },
      opts.random ?? Math.random,
    );
    return proxy;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Drops every open connection (both sides see a reset) and refuses new ones until restore(). */
  cut(): void {
    this.#cut = true;
    for (const p of this.#pairs) this.#end(p);
  }

  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.#cut) {
      this.stats.refused++;
      client.destroy();
      return;
    }
    this.stats.connections++;
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const end = () => this.#end(pair);
    for (const s of [client, upstream]) {
      s.on("error", end);
      s.on("close", end);
    }
    upstream.on("data", (d: Buffer) => client.write(d));
    const framer = new MqttFramer();
    const forward = this.#injector(upstream);
    client.on("data", (d: Buffer) => {
      try {
        for (const packet of framer.push(d)) forward(packet);
      } catch {
        end();
      }
    });
  }

  /** Forwards packets to the broker, injecting the configured faults into PUBLISH packets. */
  #injector(upstream: Socket): (packet: Buffer) => void {
    let held: { packet: Buffer; timer: NodeJS.Timeout } | undefined;
    const seen: Buffer[] = [];
    const release = () => {
      if (held === undefined) return;
      clearTimeout(held.timer);
      upstream.write(held.packet);
      held = undefined;
    };
    return (packet) => {
      if (!isPublish(packet)) {
        upstream.write(packet);
        return;
      }
      const f = this.faults;
      if (held === undefined && this.random() < (f.reorder ?? 0)) {
        this.stats.reordered++;
        held = { packet, timer: setTimeout(release, 50) };
        return;
      }
      upstream.write(packet);
      release();
      if (this.random() < (f.duplicate ?? 0)) {
        this.stats.duplicated++;
        upstream.write(asQos0(packet));
      }
      if (seen.length > 0 && this.random() < (f.replayOld ?? 0)) {
        this.stats.replayed++;
        upstream.write(asQos0(seen[Math.floor(this.random() * seen.length)] as Buffer));
      }
      seen.push(packet);
      if (seen.length > 50) seen.shift();
    };
  }

  #end(p: Pair): void {
    if (!this.#pairs.delete(p)) return;
    p.client.destroy();
    p.upstream.destroy();
  }
}
