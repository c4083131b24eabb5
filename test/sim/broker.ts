import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import { decodeSample, parseTopic, type Sample } from "../../protocol/index.ts";

/** Samples a broker accepted, recorded in authorizePublish (before the PUBACK), per "plant/line". */
export class SampleLog {
  readonly byLine = new Map<string, Sample[]>();
  private waiters: Array<() => void> = [];

  add(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (t?.kind !== "telemetry") return;
    const decoded = decodeSample(payload);
    if (!decoded.ok) throw new Error(`bad sample on ${topic}: ${decoded.message}`);
    const key = `${t.plant}/${t.line}`;
    const list = this.byLine.get(key) ?? [];
    list.push(decoded.value);
    this.byLine.set(key, list);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `predicate` holds, checked at each new sample; rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for samples");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** An in-process aedes broker on 127.0.0.1 (port 0 = a free one), plain TCP, anonymous. */
export class TestBroker {
  private constructor(
    readonly broker: Aedes,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(log: SampleLog, port = 0): Promise<TestBroker> {
    const broker = await Aedes.createBroker({
      authorizePublish: (_client, packet, callback) => {
        log.add(packet.topic, Buffer.from(packet.payload));
        callback(null);
      },
    });
    const server = createServer(broker.handle);
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return new TestBroker(broker, server, address.port);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Closes the broker and every client connection, then the listening socket. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
