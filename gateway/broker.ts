import { type AddressInfo, createServer, type Server } from "node:net";
import { Aedes, type AedesOptions, type AuthenticateError, type Client, type PublishPacket } from "aedes";
import type { Logger } from "pino";
import { type Identity, maySubscribe } from "./auth/acl.ts";
import type { Devices } from "./auth/devices.ts";
import { verifyPassword } from "./auth/password.ts";
import type { Verdict } from "./ingest/ingest.ts";

/**
 * Where an acknowledged-but-dropped publish is parked. MQTT 3.1.1 §3.3.5 lets a server either close the
 * connection or acknowledge a publish it will not deliver; aedes only offers the first through an error from
 * authorizePublish, and a device with a persistent session would then resend the same bad sample forever.
 * So we rewrite the packet: aedes sends the PUBACK and "delivers" it to a `$` topic that no wildcard matches
 * [MQTT-4.7.2-1] and that authorizeSubscribe refuses to everyone — it reaches nobody and is not retained.
 */
export const DROP_TOPIC = "$masktally/dropped";

export interface BrokerOptions {
  host: string;
  /** 0 = an ephemeral port. */
  port: number;
  /** Demo/tests: clients without credentials may publish any registry line. */
  allowAnonymous: boolean;
  devices: Devices | null;
  /** Decides each publish from a client; the PUBACK is sent only once it resolves. */
  onPublish: (identity: Identity, clientId: string, topic: string, payload: Uint8Array) => Promise<Verdict>;
  log: Logger;
}

export interface RunningBroker {
  port: number;
  clients(): number;
  /** Delivers a message from the gateway itself (commands, alerts), bypassing authorizePublish. */
  publish(packet: Pick<PublishPacket, "topic" | "payload" | "qos" | "retain">): Promise<void>;
  close(): Promise<void>;
}

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
  if (o.allowAnonymous) return { kind: "anonymous" } satisfies Identity;
  throw authError(
    username ? 4 : 5,
    username ? "bad username or password" : "anonymous clients are not allowed",
  );
}

function handlers(o: BrokerOptions, identities: WeakMap<Client, Identity>, log: Logger): AedesOptions {
  const noSession = new WeakSet<Client>();
  return {
    // [MQTT-3.1.3-8]: an empty client id with CleanSession=0 must be refused with return code 2; aedes accepts it.
    preConnect(client, packet, cb) {
      if (packet.clientId === "" && packet.clean === false) noSession.add(client);
      cb(null, true);
    },
    authenticate(client, username, password, cb) {
      if (noSession.has(client)) return cb(authError(2, "empty client id requires a clean session"), false);
      identify(o, username, password).then(
        (identity) => {
          identities.set(client, identity);
          cb(null, true);
        },
        (err: AuthenticateError) => {
          log.warn({ client: client.id, username, returnCode: err.returnCode }, "connection refused");
          cb(err, false);
        },
      );
    },
    authorizePublish(client, packet, cb) {
      const identity = client === null ? undefined : identities.get(client);
      if (client === null || identity === undefined) return cb(new Error("publisher unknown"));
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
      // A null subscription yields SUBACK 0x80 (failure) and keeps the connection [MQTT-3.9.3].
      cb(null, identity !== undefined && maySubscribe(identity, sub.topic) ? sub : null);
    },
  };
}

/** Starts aedes on TCP with the gateway's authentication and ACL. Only the composition root calls this. */
export async function startBroker(o: BrokerOptions): Promise<RunningBroker> {
  const log = o.log.child({ module: "broker" });
  const identities = new WeakMap<Client, Identity>();
  const broker = await Aedes.createBroker(handlers(o, identities, log));
  broker.on("clientError", (client, err) =>
    log.info({ client: client.id, err: err.message }, "client error"),
  );
  broker.on("connectionError", (client, err) =>
    log.info({ client: client.id, err: err.message }, "connection error"),
  );
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: o.host, port }, "mqtt listening");
  return {
    port,
    clients: () => broker.connectedClients,
    publish: (packet) =>
      new Promise((resolve, reject) =>
        broker.publish({ cmd: "publish", dup: false, ...packet } as PublishPacket, (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}
