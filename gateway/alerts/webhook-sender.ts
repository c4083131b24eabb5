import type { Logger } from "pino";
import type { AlertEvent } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { AlertText } from "./alert-messages.ts";
import { accepted, type WebhookTarget, webhookRequest } from "./webhook-formats.ts";

/** One configured webhook (gateway config `alerts.webhooks[]`). */
export interface WebhookConfig extends WebhookTarget {
  /** Only alerts of these plants (default: every plant). */
  plants?: string[] | undefined;
  /** The second recipient list: gets `escalated`, and everything after an escalation. */
  escalation?: boolean | undefined;
}

export interface WebhookSenderOptions {
  hooks: readonly WebhookConfig[];
  log: Logger;
  clock: Clock;
  text: (e: AlertEvent) => AlertText;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Attempts per message before it is given up (counted as failed). */
  maxAttempts?: number;
  timeoutMs?: number;
  /** Messages waiting per hook; the oldest is given up beyond this. */
  maxQueue?: number;
  onResult?: (kind: string, result: "delivered" | "retry" | "failed") => void;
}

export interface WebhookStats {
  pending: number;
  failed: number;
  delivered: number;
  lastError: string | null;
}

interface Hook {
  cfg: WebhookConfig;
  queue: AlertEvent[];
  busy: boolean;
}

/** Whether a hook wants this event (plant filter, escalation list). */
export function wants(cfg: WebhookConfig, e: AlertEvent): boolean {
  if (cfg.plants !== undefined && !cfg.plants.includes(e.alert.plant)) return false;
  if (cfg.escalation === true) return e.event === "escalated" || e.alert.escalatedAt !== null;
  return e.event !== "escalated";
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Delivers alert events to webhooks: one ordered queue per hook (a resolved never overtakes its raised),
 * each message retried with capped exponential backoff, failures counted and logged (STYLE.md: transient
 * I/O is retried and visible in /api/health and /metrics). A failing hook delays only its own queue.
 */
export class WebhookSender {
  readonly #hooks: Hook[];
  readonly #stop = new AbortController();
  readonly #stats = { failed: 0, delivered: 0, lastError: null as string | null };
  readonly #log: Logger;

  constructor(private readonly o: WebhookSenderOptions) {
    this.#hooks = o.hooks.map((cfg) => ({ cfg, queue: [], busy: false }));
    this.#log = o.log.child({ module: "webhooks" });
  }

  send(e: AlertEvent): void {
    for (const h of this.#hooks) {
      if (!wants(h.cfg, e)) continue;
      h.queue.push(e);
      if (h.queue.length > (this.o.maxQueue ?? 1000)) this.#giveUp(h, "queue full");
      void this.#drain(h);
    }
  }

  stats(): WebhookStats {
    return { pending: this.#hooks.reduce((n, h) => n + h.queue.length, 0), ...this.#stats };
  }

  /** Stops retrying; what is still queued is lost (alerts stay active and are reminded after a restart). */
  close(): void {
    this.#stop.abort();
  }

  #giveUp(h: Hook, error: string): void {
    const e = h.queue.shift();
    this.#stats.failed++;
    this.#stats.lastError = `${h.cfg.kind} ${redact(h.cfg.url)}: ${error}`;
    this.o.onResult?.(h.cfg.kind, "failed");
    this.#log.error(
      { kind: h.cfg.kind, url: redact(h.cfg.url), alert: e?.alert.id, event: e?.event, error },
      "webhook given up",
    );
  }

  async #drain(h: Hook): Promise<void> {
    if (h.busy) return;
    h.busy = true;
    try {
      let attempt = 0;
      while (h.queue.length > 0 && !this.#stop.signal.aborted) {
        const e = h.queue[0]!;
        const error = await this.#post(h.cfg, e);
        if (error === null) {
          h.queue.shift();
          attempt = 0;
          this.#stats.delivered++;
          this.o.onResult?.(h.cfg.kind, "delivered");
          continue;
        }
        attempt++;
        if (attempt >= (this.o.maxAttempts ?? 10)) {
          this.#giveUp(h, error);
          attempt = 0;
          continue;
        }
        this.#stats.lastError = `${h.cfg.kind} ${redact(h.cfg.url)}: ${error}`;
        this.o.onResult?.(h.cfg.kind, "retry");
        const delay = Math.min(
          (this.o.retryInitialMs ?? 1000) * 2 ** (attempt - 1),
          this.o.retryMaxMs ?? 60_000,
        );
        this.#log.warn(
          { kind: h.cfg.kind, url: redact(h.cfg.url), attempt, delay, error },
          "webhook failed, retrying",
        );
        await sleep(delay, this.#stop.signal);
      }
    } finally {
      h.busy = false;
    }
  }

  /** One attempt; null on success, else the reason. */
  async #post(cfg: WebhookConfig, e: AlertEvent): Promise<string | null> {
    const req = webhookRequest(cfg, e, this.o.text(e), this.o.clock.now());
    try {
      const res = await fetch(req.url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(req.body),
        signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs ?? 10_000), this.#stop.signal]),
      });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = text === "" ? null : JSON.parse(text);
      } catch {
        body = null;
      }
      const verdict = accepted(res.status, body);
      return verdict.ok ? null : (verdict.error ?? "rejected");
    } catch (err) {
      return (err as Error).message;
    }
  }
}

/** Robot URLs carry their access key in the query: never log it. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?…" : ""}`;
  } catch {
    return "(invalid url)";
  }
}
