import { mkdir } from "node:fs/promises";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AedesOptions, type AuthenticateError, type Client, type PublishPacket } from "aedes";
import levelPersistence, { type LevelPersistence } from "aedes-persistence-level";
import { Level } from "level";
import mqttPacket from "mqtt-packet";
import type { Logger } from "pino";
import { type Identity, maySubscribe } from "./auth/acl.ts";
import type { Devices } from "./auth/devices.ts";
import { PacketSizeGuard } from "./auth/packet-limits.ts";
import { verifyPassword } from "./auth/password.ts";
import { classifyClientError, type RejectReason } from "./auth/rejections.ts";
import { DirectAck } from "./broker-direct-ack.ts";
import type { Verdict } from "./ingest/ingest.ts";

/**
 * Where an acknowledged-but-dropped publish is parked. MQTT 3.1.1 §3.3.5 lets a server either close the
 * connection or acknowledge a publish it will not deliver; aedes only offers the first through an error from
 * authorizePublish, and a device with a persistent session would then resend the same bad sample forever.
 * So we rewrite the packet: aedes sends the PUBACK and "delivers" it to a `$` topic that no wildcard matches
 * [MQTT-4.7.2-1] and that authorizeSubscribe refuses to everyone — it reaches nobody and is not retained.
 */
export const DROP_TOPIC = "$masktally/dropped";

/** Per-connection limits (DESIGN.md, security). Defaults suit devices sending 1–4 KiB samples. */
export interface BrokerLimits {
  /** Largest MQTT packet accepted (fixed header included); a larger one closes the connection. Default 64 KiB. */
  maxPacketBytes: number;
  /** Most topic levels in a PUBLISH or filter (aedes `maxTopicLevels`). Default 16; v1 topics have 5–6. */
  maxTopicLevels: number;
  /** QoS 2 publishes awaiting PUBREL per client (aedes `maxInflightInbound`). Default 100. */
  maxInflightInbound: number;
  /** Open MQTT connections per listener (net.Server `maxConnections`). Default 10,000. */
  maxConnections: number;
  /** A socket that sends no CONNECT within this is closed (aedes `connectTimeout`). Default 10 s. */
  connectTimeoutMs: number;
  /**
   * QoS 0 publishes are acknowledged-and-dropped (counted) while this many samples wait for the store
   * (`BrokerOptions.backlog`). Default 20,000. QoS 0 promises no delivery (MQTT 3.1.1 §4.3.1); a flood from
   * many connections would otherwise hold up to a socket chunk of publishes per connection in memory and
   * take the store's capacity from QoS 1 devices. QoS 1 is never shed: its per-client window bounds it.
   */
  qos0ShedBacklog: number;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  maxPacketBytes: 64 * 1024,
  maxTopicLevels: 16,
  maxInflightInbound: 100,
  maxConnections: 10_000,
  connectTimeoutMs: 10_000,
  qos0ShedBacklog: 20_000,
};

export interface BrokerTls {
  cert: Buffer | string;
  key: Buffer | string;
  /** 0 = an ephemeral port; 8883 is MQTT over TLS's registered port. */
  port: number;
}

export interface BrokerOptions {
  host: string;
  /** 0 = an ephemeral port. */
  port: number;
  /** Also listen with TLS (MQTT over TLS, 8883). */
  tls?: BrokerTls | undefined;
  /** Folder for broker state on disk (sessions, queued QoS 1/2 messages, retained, wills); memory when unset. */
  persistenceDir?: string | undefined;
  /** Cluster (ADR 0011): a shared emitter and persistence (Redis) instead of the in-process ones; wins over persistenceDir. */
  shared?: { mq: unknown; persistence: { destroy(cb?: () => void): unknown } } | undefined;
  limits?: Partial<BrokerLimits> | undefined;
  /** Samples accepted but not yet stored (the BatchWriter's pending): QoS 0 is shed above `qos0ShedBacklog`. */
  backlog?: (() => number) | undefined;
  /** Called for every QoS 0 publish shed under overload, for the drops metric. */
  onShed?: (() => void) | undefined;
  /** Called for every refused connection and protocol/limit violation, for metrics. */
  onRejected?: (reason: RejectReason) => void;
  /** Demo/tests: clients without credentials may publish any registry line. */
  allowAnonymous: boolean;
  devices: Devices | null;
  /** Decides each publish from a client; the PUBACK is sent only once it resolves. */
  onPublish: (identity: Identity, clientId: string, topic: string, payload: Uint8Array) => Promise<Verdict>;
  /**
   * Is `topic` a registry line's telemetry topic? When given (and not clustered), QoS 1 telemetry nobody
   * subscribed to is acknowledged without aedes' delivery path (gateway/broker-direct-ack.ts, ADR 0013).
   */
  isTelemetry?: ((topic: string) => boolean) | undefined;
  log: Logger;
}

export interface RunningBroker {
  port: number;
  /** The TLS listener's port, or null without TLS. */
  tlsPort: number | null;
  clients(): number;
  /** QoS 1 telemetry acknowledged without aedes' delivery path so far (ADR 0013). */
  directAcks(): number;
  /** Delivers a message from the gateway itself (commands, alerts), bypassing authorizePublish. */
  publish(packet: Pick<PublishPacket, "topic" | "payload" | "qos" | "retain">): Promise<void>;
  close(): Promise<void>;
}

/** Every anonymous client shares one identity object (it holds nothing client-specific). */
const ANONYMOUS: Identity = Object.freeze({ kind: "anonymous" });

function authError(returnCode: 2 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** Establishes who a connecting client is: a device proving its password, or (if allowed) anonymous. */
async function identify(o: BrokerOptions, username: string | undefined, password: Buffer | undefined) {
  const device = username ? o.devices?.get(username) : undefined;
  if (device !== undefined) {
    const ok =
      password !== undefined && (await verifyPassword(password.toString("utf8"), device.passwordHash));
    if (!ok) throw authError(4, "bad username or password");
    return { kind: "device", id: device.id, lines: device.lines } satisfies Identity;
  }
  if (o.allowAnonymous) return ANONYMOUS;
  throw authError(
    username ? 4 : 5,
    username ? "bad username or password" : "anonymous clients are not allowed",
  );
}

function refusalReason(err: AuthenticateError): RejectReason {
  if (err.returnCode === 2) return "empty-client-id";
  return err.returnCode === 5 ? "anonymous" : "bad-credentials";
}

function handlers(
  o: BrokerOptions,
  identities: WeakMap<Client, Identity>,
  direct: DirectAck | null,
  log: Logger,
): AedesOptions {
  const noSession = new WeakSet<Client>();
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  return {
    connectTimeout: limits.connectTimeoutMs,
    maxTopicLevels: limits.maxTopicLevels,
    maxInflightInbound: limits.maxInflightInbound,
    // [MQTT-3.1.3-8]: an empty client id with CleanSession=0 must be refused with return code 2; aedes accepts it.
    preConnect(client, packet, cb) {
      if (packet.clientId === "" && packet.clean === false) noSession.add(client);
      cb(null, true);
    },
    authenticate(client, username, password, cb) {
      const refuse = (err: AuthenticateError) => {
        // Never the password: only who tried and why (STYLE.md, pino redaction of secrets).
        log.warn({ client: client.id, username, returnCode: err.returnCode }, "connection refused");
        o.onRejected?.(refusalReason(err));
        cb(err, false);
      };
      if (noSession.has(client)) return refuse(authError(2, "empty client id requires a clean session"));
      identify(o, username, password).then((identity) => {
        identities.set(client, identity);
        cb(null, true);
      }, refuse);
    },
    authorizePublish(client, packet, cb) {
      const identity = client === null ? undefined : identities.get(client);
      if (client === null || identity === undefined) return cb(new Error("publisher unknown"));
      if (packet.qos === 0 && o.backlog !== undefined && o.backlog() >= limits.qos0ShedBacklog) {
        o.onShed?.();
        packet.topic = DROP_TOPIC;
        packet.retain = false;
        packet.payload = Buffer.alloc(0);
        return cb(null);
      }
      o.onPublish(identity, client.id, packet.topic, packet.payload as Uint8Array).then(
        (verdict) => {
          if (verdict.kind === "deny") return cb(new Error(verdict.message));
          if (verdict.kind === "drop") {
            packet.topic = DROP_TOPIC;
            packet.retain = false;
            packet.payload = Buffer.alloc(0);
          }
          cb(null);
        },
        (err: Error) => cb(err),
      );
    },
    authorizeSubscribe(client, sub, cb) {
      const identity = identities.get(client);
      const granted = identity !== undefined && maySubscribe(identity, sub.topic);
      if (granted) direct?.subscribed(client.id, sub.topic);
      // A null subscription yields SUBACK 0x80 (failure) and keeps the connection [MQTT-3.9.3].
      cb(null, granted ? sub : null);
    },
  };
}

async function openPersistence(dir: string | undefined): Promise<LevelPersistence | undefined> {
  if (dir === undefined) return undefined;
  await mkdir(dir, { recursive: true });
  return levelPersistence(new Level<string, Buffer>(dir, { valueEncoding: "buffer" }));
}

/** A client's PacketSizeGuard and what it needs to refuse the connection: one object per client. */
class ConnectionGuard extends PacketSizeGuard {
  constructor(
    maxBytes: number,
    readonly conn: Socket,
    readonly tooLarge: (conn: Socket, size: number) => void,
    readonly direct: DirectAck | null,
  ) {
    super(maxBytes);
  }
}

const GUARD = Symbol("masktally.packetGuard");

interface GuardedParser {
  parse(buf: Buffer): unknown;
  client: unknown;
  listeners(event: "packet"): Array<(packet: unknown) => void>;
  removeListener(event: "packet", listener: (packet: unknown) => void): void;
  on(event: "packet", listener: (this: GuardedParser, packet: unknown) => void): void;
  [GUARD]: ConnectionGuard;
}

/** aedes' own 'packet' listener (lib/client.js `enqueue`), the same function for every client. */
let aedesEnqueue: ((this: GuardedParser, packet: unknown) => void) | null = null;

/** Every parsed packet: telemetry DirectAck takes, the rest to aedes. One function for every client. */
function onPacket(this: GuardedParser, packet: unknown): void {
  const direct = this[GUARD].direct;
  if (direct === null || !direct.take(this.client as never, packet as never))
    aedesEnqueue!.call(this, packet);
}

/** One function for every client (no per-client closure or bound function: 5,000 idle devices, issue 7). */
function guardedParse(this: GuardedParser, buf: Buffer): unknown {
  const g = this[GUARD];
  const over = g.check(buf);
  if (over === null) return (Object.getPrototypeOf(this) as GuardedParser).parse.call(this, buf);
  g.tooLarge(g.conn, over);
  g.conn.destroy();
  return 0;
}

/**
 * Feeds every chunk through a PacketSizeGuard before aedes' parser sees it. aedes 1.2 reads the socket in
 * Client (`conn.read()` → `client._parser.parse`) and offers no hook or option for this, so the parser's
 * `parse` is replaced right after `handle()` created it, before the first 'readable' event can fire.
 */
function guardPacketSize(
  client: unknown,
  conn: Socket,
  maxBytes: number,
  tooLarge: (conn: Socket, size: number) => void,
  direct: DirectAck | null,
) {
  const parser = (client as { _parser?: GuardedParser })._parser;
  if (parser === undefined) throw new Error("aedes internals changed: no client._parser to guard");
  if (typeof Object.getPrototypeOf(parser)?.parse !== "function")
    throw new Error("aedes internals changed: no Parser.prototype.parse");
  parser[GUARD] = new ConnectionGuard(maxBytes, conn, tooLarge, direct);
  parser.parse = guardedParse;
  if (direct !== null) routePackets(parser);
}

/** Puts onPacket in place of aedes' 'packet' listener, which it then calls for everything it does not take. */
function routePackets(parser: GuardedParser): void {
  const listeners = parser.listeners("packet");
  const enqueue = listeners[0];
  if (listeners.length !== 1 || enqueue === undefined || (aedesEnqueue !== null && enqueue !== aedesEnqueue))
    throw new Error("aedes internals changed: expected one shared 'packet' listener on the client's parser");
  aedesEnqueue = enqueue;
  parser.removeListener("packet", enqueue);
  parser.on("packet", onPacket);
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function watchErrors(broker: Aedes, o: BrokerOptions, log: Logger): void {
  const report = (client: Client, err: Error, msg: string) => {
    const reason = classifyClientError(err.message);
    if (reason !== null) o.onRejected?.(reason);
    log.info({ client: client?.id, err: err.message, reason }, msg);
  };
  broker.on("clientError", (client, err) => report(client, err, "client error"));
  broker.on("connectionError", (client, err) => report(client, err, "connection error"));
}

/** aedes' typings omit the instance's persistence (aedes 1.2 aedes.js: `this.persistence`). */
interface WithPersistence {
  persistence: { subscriptionsByTopic(topic: string): Promise<unknown[]> };
}

/** Starts aedes on TCP (and TLS when configured) with the gateway's authentication, ACL and limits. */
export async function startBroker(o: BrokerOptions): Promise<RunningBroker> {
  // mqtt-packet otherwise builds, at the first packet it writes, a cache of all 65,536 two-byte message ids
  // as separate Buffers (~6.5 MB of heap, for ~0.1 µs saved per PUBACK). Process-wide: aedes and mqtt.js
  // share the module.
  mqttPacket.writeToStream.cacheNumbers = false;
  const log = o.log.child({ module: "broker" });
  const identities = new WeakMap<Client, Identity>();
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  const persistence = o.shared?.persistence ?? (await openPersistence(o.persistenceDir));
  const direct =
    o.isTelemetry === undefined || o.shared !== undefined
      ? null
      : new DirectAck({
          identities,
          isTelemetry: o.isTelemetry,
          onPublish: o.onPublish,
          log,
          subscriptionsByTopic: (topic) =>
            (broker as unknown as WithPersistence).persistence.subscriptionsByTopic(topic),
        });
  const broker = await Aedes.createBroker({
    ...handlers(o, identities, direct, log),
    persistence,
    mq: o.shared?.mq,
  });
  watchErrors(broker, o, log);
  const tooLarge = (conn: Socket, size: number) => {
    o.onRejected?.("packet-too-large");
    log.info({ remote: conn.remoteAddress, size, max: limits.maxPacketBytes }, "packet too large");
  };
  const accept = (conn: Socket) =>
    guardPacketSize(broker.handle(conn), conn, limits.maxPacketBytes, tooLarge, direct);
  const servers: Server[] = [createServer(accept)];
  if (o.tls) {
    const tlsServer = createTlsServer({ cert: o.tls.cert, key: o.tls.key }, accept);
    tlsServer.on("tlsClientError", (err) => {
      o.onRejected?.("malformed-packet");
      log.info({ err: err.message }, "tls handshake failed");
    });
    servers.push(tlsServer);
  }
  for (const server of servers) server.maxConnections = limits.maxConnections;
  const port = await listen(servers[0]!, o.port, o.host);
  const tlsPort = o.tls ? await listen(servers[1]!, o.tls.port, o.host) : null;
  log.info({ host: o.host, port, tlsPort, persistent: persistence !== undefined }, "mqtt listening");
  return {
    port,
    tlsPort,
    clients: () => broker.connectedClients,
    directAcks: () => direct?.taken ?? 0,
    publish: (packet) =>
      new Promise((resolve, reject) =>
        broker.publish({ cmd: "publish", dup: false, ...packet } as PublishPacket, (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    close: async () => {
      const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await Promise.all(closed);
      // broker.close() leaves the Level DB open; reopening it in this process would fail (STACK.md).
      await persistence?.destroy();
    },
  };
}
