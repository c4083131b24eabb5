import type { Client, PublishPacket } from "aedes";
import type { Logger } from "pino";
import type { Identity } from "./auth/acl.ts";
import { mayMatchTelemetry } from "./auth/telemetry-filter.ts";
import type { Verdict } from "./ingest/ingest.ts";

/** aedes' Client fields this path reads (aedes 1.2 lib/client.js, lib/handlers/index.js, lib/write.js). */
interface AedesClient {
  id: string;
  conn: { write(chunk: Buffer): boolean };
  connackSent: boolean;
  connected: boolean;
  connecting: boolean;
  errored: boolean;
  _parsingBatch: number;
  _keepaliveInterval: number;
  _keepaliveTimer: { refresh(): void };
  _nextBatch(err?: Error | null): void;
  waitForDrain(done: () => void): void;
}

export interface DirectAckDeps {
  identities: WeakMap<Client, Identity>;
  /** Is `topic` a registry line's telemetry topic (the bulk of all publishes)? */
  isTelemetry: (topic: string) => boolean;
  onPublish: (identity: Identity, clientId: string, topic: string, payload: Uint8Array) => Promise<Verdict>;
  /** Persisted subscriptions matching a topic (clients with CleanSession 0, online or not). */
  subscriptionsByTopic: (topic: string) => Promise<unknown[]>;
  log: Logger;
}

/**
 * Acknowledges QoS 1 telemetry that no subscription can receive without aedes' delivery machinery (ADR 0013).
 *
 * A device's sample is consumed by the gateway itself: once ingest has stored or spooled it, the PUBACK is all
 * that is left. aedes would still, per sample, write the PUBACK as three corked buffers, defer the rest by a
 * setImmediate, match the topic against every persisted subscription, enqueue it for none, match it again in
 * mqemitter and emit it to nobody — about a sixth of the gateway's CPU per sample at 10,000/s (issue 7).
 *
 * The shortcut is taken only when nothing could have received the message through aedes: the topic has no
 * persisted subscription (checked once per topic, the first publishes go through aedes meanwhile) and no
 * subscription that could match any telemetry topic was granted since the gateway started (devices may only
 * subscribe to their command topics; any other granted filter turns the shortcut off until restart).
 * Retained publishes, QoS 0 and QoS 2, status and anything else keep aedes' full path.
 */
export class DirectAck {
  /** A granted subscription may match telemetry: every publish goes through aedes from now on. */
  #watched = false;
  /** Telemetry topic → no persisted subscription matches it (false while being checked or when one does). */
  readonly #quiet = new Map<string, boolean>();
  readonly #d: DirectAckDeps;
  /** Publishes taken so far (`masktally_mqtt_direct_acks_total`). */
  taken = 0;

  constructor(deps: DirectAckDeps) {
    this.#d = deps;
  }

  /** A subscription to `filter` was granted to `clientId`. */
  subscribed(clientId: string, filter: string): void {
    if (this.#watched || !mayMatchTelemetry(filter)) return;
    this.#watched = true;
    this.#d.log.info(
      { client: clientId, filter },
      "telemetry has a subscriber: acknowledged through aedes from now on",
    );
  }

  /** Takes the packet (true) or leaves it to aedes (false). Called for every packet parsed from a client. */
  take(client: AedesClient, packet: PublishPacket): boolean {
    if (packet.cmd !== "publish" || packet.qos !== 1 || packet.retain || this.#watched) return false;
    if (!client.connackSent || !client.connected) return false;
    const identity = this.#d.identities.get(client as unknown as Client);
    if (identity === undefined || !this.#isQuiet(packet.topic)) return false;
    // As aedes' enqueue and handle do for every packet: one more in the batch, and the client is alive.
    client._parsingBatch++;
    this.taken++;
    if (client._keepaliveInterval > 0) client._keepaliveTimer.refresh();
    const messageId = packet.messageId ?? 0;
    this.#d.onPublish(identity, client.id, packet.topic, packet.payload as Uint8Array).then(
      (verdict) => {
        // "accept" and "drop" alike: the device gets its PUBACK, nobody gets the message.
        if (verdict.kind !== "deny") acknowledge(client, messageId);
        else client._nextBatch(new Error(verdict.message));
      },
      (err: Error) => client._nextBatch(err),
    );
    return true;
  }

  #isQuiet(topic: string): boolean {
    const quiet = this.#quiet.get(topic);
    if (quiet !== undefined) return quiet;
    if (!this.#d.isTelemetry(topic)) return false;
    this.#quiet.set(topic, false);
    this.#d.subscriptionsByTopic(topic).then(
      (subs) => this.#quiet.set(topic, subs.length === 0),
      () => this.#quiet.delete(topic),
    );
    return false;
  }
}

/** PUBACK (MQTT 3.1.1 §3.4) in one 4-byte write, with aedes' write() rules for a closed or full socket. */
function acknowledge(client: AedesClient, messageId: number): void {
  if (!client.connecting && !client.connected) {
    client._nextBatch(new Error("connection closed"));
    return;
  }
  const puback = Buffer.allocUnsafe(4);
  puback[0] = 0x40;
  puback[1] = 0x02;
  puback.writeUInt16BE(messageId, 2);
  if (!client.conn.write(puback) && !client.errored) {
    client.waitForDrain(() => client._nextBatch(null));
    return;
  }
  client._nextBatch(null);
}
