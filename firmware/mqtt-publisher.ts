import { EventEmitter, once } from "node:events";
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "pino";
import type { Outbox } from "./outbox.ts";

export interface RetainedMessage {
  topic: string;
  payload: string;
}

/** TLS material for mqtts:// (PEM contents, already read from the files the config names). */
export interface MqttTls {
  /** CA certificate(s) the broker's certificate must chain to (a private plant CA). */
  ca?: string;
  /** Client certificate and key, for brokers that authenticate devices by certificate. */
  cert?: string;
  key?: string;
}

export interface MqttPublisherOptions {
  /** mqtt:// or mqtts:// URL of the broker. */
  url: string;
  /** Stable client id (the device id): the broker keeps the persistent session under it. */
  clientId: string;
  username?: string;
  password?: string;
  tls?: MqttTls;
  /** Last will, published retained by the broker when the connection dies without a DISCONNECT. */
  will?: RetainedMessage;
  /** Messages (retained statuses) to publish after every CONNACK. */
  onConnect?: () => RetainedMessage[];
  /** Reconnect backoff: doubles from minMs to maxMs, reset by a CONNACK. */
  backoff?: { minMs: number; maxMs: number };
  /** Outbox entries in flight at once (ordered on one connection). */
  window?: number;
  log: Logger;
}

/**
 * Drains an outbox to the broker with QoS 1: an entry is removed only after its PUBACK. mqtt.js keeps
 * unacknowledged PUBLISHes in its outgoing store and resends them (DUP) after a reconnect with
 * clean = false (MQTT 3.1.1 §4.4), so a publish simply stays pending across an outage; the backoff between
 * attempts is ours (mqtt.js retries at a fixed period), capped.
 */
export class MqttPublisher extends EventEmitter {
  private client: MqttClient | null = null;
  private pumping = false;
  private stopping = false;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private signalStopped: () => void = () => {};
  private readonly stopped = new Promise<"stopped">((resolve) => {
    this.signalStopped = () => resolve("stopped");
  });
  private readonly log: Logger;

  constructor(
    private readonly outbox: Outbox,
    private readonly opts: MqttPublisherOptions,
  ) {
    super();
    this.log = opts.log;
    this.backoffMs = opts.backoff?.minMs ?? 500;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  start(): void {
    const options: IClientOptions = {
      clientId: this.opts.clientId,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
      ...(this.opts.will ? { will: { ...this.opts.will, qos: 1, retain: true } } : {}),
      ...(this.opts.tls?.ca !== undefined ? { ca: this.opts.tls.ca, rejectUnauthorized: true } : {}),
      ...(this.opts.tls?.cert !== undefined ? { cert: this.opts.tls.cert } : {}),
      ...(this.opts.tls?.key !== undefined ? { key: this.opts.tls.key } : {}),
    };
    const client = connect(this.opts.url, options);
    this.client = client;
    client.on("connect", () => this.connected_());
    client.on("close", () => this.scheduleReconnect());
    client.on("error", (err) => this.log.warn({ err: err.message }, "mqtt error"));
  }

  /** Starts draining new entries (call after an append). */
  kick(): void {
    void this.pump();
  }

  /** Publishes retained messages (statuses) now if connected; they are sent again after every CONNACK anyway. */
  publishRetained(messages: RetainedMessage[]): void {
    const client = this.client;
    if (!client?.connected || this.stopping) return;
    for (const m of messages) {
      client.publishAsync(m.topic, m.payload, { qos: 1, retain: true }).catch((err: Error) => {
        this.log.warn({ topic: m.topic, err: err.message }, "status publish failed");
      });
    }
  }

  /** Resolves true when the outbox is empty, false when `timeoutMs` passes first. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.outbox.depth === 0) return true;
    this.kick();
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      while (this.outbox.depth > 0) await once(this, "acked", { signal: ac.signal });
      return true;
    } catch {
      return this.outbox.depth === 0;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Publishes `last` (e.g. offline statuses) if connected, then disconnects cleanly; never hangs. */
  async stop(last: RetainedMessage[] = [], timeoutMs = 2000): Promise<void> {
    this.stopping = true;
    this.signalStopped();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    if (client.connected && last.length > 0) {
      await withTimeout(
        Promise.all(last.map((m) => client.publishAsync(m.topic, m.payload, { qos: 1, retain: true }))),
        timeoutMs,
      );
    }
    const ended = await withTimeout(client.endAsync(!client.connected), timeoutMs);
    if (ended === "timeout") await client.endAsync(true);
  }

  private connected_(): void {
    this.backoffMs = this.opts.backoff?.minMs ?? 500;
    this.log.info({ url: this.opts.url, clientId: this.opts.clientId }, "mqtt connected");
    this.publishRetained(this.opts.onConnect?.() ?? []);
    this.emit("connected");
    this.kick();
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoff?.maxMs ?? 30_000);
    this.log.debug({ delayMs: delay }, "mqtt reconnect scheduled");
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopping && this.client && !this.client.connected) this.client.connect();
    }, delay);
  }

  private async pump(): Promise<void> {
    if (this.pumping || !this.client) return;
    this.pumping = true;
    try {
      while (!this.stopping && this.outbox.depth > 0) {
        const ok = await this.publishBatch(this.client);
        if (!ok && !this.stopping) await this.waitForConnection();
      }
    } catch (err) {
      this.log.error({ err }, "outbox pump failed");
    } finally {
      this.pumping = false;
    }
  }

  /** Publishes the oldest entries; removes each acknowledged one. False when any failed. */
  private async publishBatch(client: MqttClient): Promise<boolean> {
    const batch = await this.outbox.peek(this.opts.window ?? 16);
    const sent = batch.map((e) =>
      client.publishAsync(e.topic, e.payload, { qos: 1 }).then(
        async () => {
          await this.outbox.remove(e.id);
          this.emit("acked", e.id);
          return true;
        },
        (err: Error) => {
          this.log.warn({ topic: e.topic, err: err.message }, "publish failed, kept in outbox");
          return false;
        },
      ),
    );
    const results = await Promise.race([Promise.all(sent), this.stopped]);
    return results !== "stopped" && results.every(Boolean);
  }

  private async waitForConnection(): Promise<void> {
    if (this.connected) {
      await Promise.race([delay(this.backoffMs), this.stopped]);
      return;
    }
    await Promise.race([once(this, "connected"), this.stopped]);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
