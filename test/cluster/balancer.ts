import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";

/**
 * A trivial TCP load balancer for the cluster test, like HAProxy in `mode tcp` (docs/deployment.md): each new
 * connection goes to the next backend in turn; a backend that refuses the connection is skipped.
 */
export class Balancer {
  readonly #sockets = new Set<Socket>();
  #next = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly backends: number[],
  ) {}

  static async start(backends: number[]): Promise<Balancer> {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const lb = new Balancer(server, (server.address() as AddressInfo).port, backends);
    server.on("connection", (client) => lb.#accept(client));
    return lb;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  #accept(client: Socket): void {
    this.#track(client);
    client.pause();
    this.#pipeTo(client, this.backends.length);
  }

  #pipeTo(client: Socket, triesLeft: number): void {
    if (triesLeft === 0 || client.destroyed) return void client.destroy();
    const port = this.backends[this.#next++ % this.backends.length]!;
    const upstream = connect(port, "127.0.0.1");
    upstream.once("error", () => this.#pipeTo(client, triesLeft - 1));
    upstream.once("connect", () => {
      this.#track(upstream);
      upstream.removeAllListeners("error");
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) s.on("error", end).on("close", end);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  #track(s: Socket): void {
    this.#sockets.add(s);
    s.once("close", () => this.#sockets.delete(s));
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
