import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { AckRequest, AlertEvent, AlertView, Registry } from "../../protocol/index.ts";
import { registryLines } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { LineStateTracker } from "../lines/line-state.ts";
import type { LineStore } from "../store/line-store.ts";
import {
  AlertEngine,
  AlertError,
  type AlertRecord,
  type AlertSettings,
  type EngineEvent,
  type LineStatus,
} from "./alert-engine.ts";
import type { AlertFileStore } from "./alert-file-store.ts";
import { alertSummary } from "./alert-messages.ts";

/** Where alert events go besides the webhooks: MQTT, SSE, history. Each must not throw. */
export type AlertSink = (e: AlertEvent) => void;
export type AlertListener = (e: AlertEvent) => void;

export interface AlertServiceOptions {
  settings: AlertSettings;
  clock: Clock;
  log: Logger;
  registry: () => Registry;
  tracker: Pick<LineStateTracker, "snapshot" | "tick">;
  file: AlertFileStore;
  sinks: AlertSink[];
  history?: Pick<LineStore, "writeAlertEvent"> | undefined;
  /** e.g. https://mt.example.cn — links in messages go to `${publicUrl}/#/alerts/{id}`. */
  publicUrl?: string | undefined;
  tickMs?: number;
}

/**
 * Runs the alert engine against the live line states every tick, persists the alerts after every change,
 * and hands each event to MQTT, SSE, webhooks and the history. Route handlers take a plant scope so role
 * checks (issue 6) can restrict a technician to their plant.
 */
export class AlertService {
  #engine!: AlertEngine;
  #timer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<AlertListener>();
  readonly #log: Logger;

  constructor(private readonly o: AlertServiceOptions) {
    this.#log = o.log.child({ module: "alerts" });
  }

  /** Restores persisted alerts (continued, not re-sent) and starts ticking. */
  async start(): Promise<void> {
    const { alerts, problem } = await this.o.file.load();
    if (problem !== null)
      this.#log.error({ file: this.o.file.file, problem }, "alert file unreadable; starting empty");
    const newId = () => `${this.o.clock.now().toString(36)}-${randomBytes(3).toString("hex")}`;
    this.#engine = new AlertEngine(this.o.settings, this.o.clock, newId, alerts);
    const active = alerts.filter((a) => a.state !== "resolved").length;
    this.#log.info({ restored: alerts.length, active }, "alerts restored");
    this.#timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.o.file.save(this.#engine?.all() ?? []);
  }

  /** One evaluation: line states → rule → events → persistence and delivery. */
  tick(): void {
    try {
      this.o.tracker.tick();
      const events = this.#engine.evaluate(this.#statuses());
      if (events.length > 0) this.#publish(events);
    } catch (err) {
      this.#log.error({ err }, "alert evaluation failed");
    }
  }

  list(state: "active" | "all", plants?: ReadonlySet<string>): AlertView[] {
    return this.#engine
      .all()
      .filter(
        (a) => (state === "all" || a.state !== "resolved") && (plants === undefined || plants.has(a.plant)),
      )
      .map((a) => this.view(a));
  }

  get(id: string, plants?: ReadonlySet<string>): AlertView | undefined {
    const a = this.#engine.get(id);
    return a !== undefined && (plants === undefined || plants.has(a.plant)) ? this.view(a) : undefined;
  }

  /** Throws AlertError (not_found, already_resolved). */
  acknowledge(id: string, req: AckRequest, plants?: ReadonlySet<string>): AlertView {
    const a = this.#engine.get(id);
    if (a !== undefined && plants !== undefined && !plants.has(a.plant)) {
      throw new AlertError("not_found", `no alert ${id}`); // outside the caller's scope
    }
    const ev = this.#engine.acknowledge(id, req.by, req.reason ?? "other", req.note ?? null);
    this.#log.info({ alert: id, by: req.by, reason: ev.alert.ackReason }, "alert acknowledged");
    this.#publish([ev]);
    return this.view(ev.alert);
  }

  /** The acknowledged downtime reason for the stop of `plant/line` that began at `since`. */
  reasonFor(plant: string, line: string, since: number): string | null {
    return this.#engine?.reasonFor(plant, line, since) ?? null;
  }

  subscribe(listener: AlertListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  activeCount(): number {
    return this.#engine?.all().filter((a) => a.state !== "resolved").length ?? 0;
  }

  view(a: AlertRecord): AlertView {
    const reg = this.o.registry();
    const plant = reg.plants.find((p) => p.id === a.plant);
    const line = plant?.lines.find((l) => l.id === a.line);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const base = {
      ...{ id: a.id, kind: a.kind, plant: a.plant, line: a.line, state: a.state },
      ...{ plantName: plant?.name ?? a.plant, lineName: line?.name ?? a.line },
      ...{ since: new Date(a.since).toISOString(), raisedAt: new Date(a.raisedAt).toISOString() },
      ...{ ackedAt: iso(a.ackedAt), ackedBy: a.ackedBy, ackReason: a.ackReason, ackNote: a.ackNote },
      ...{ escalatedAt: iso(a.escalatedAt), resolvedAt: iso(a.resolvedAt), downtimeMs: a.downtimeMs },
      sensor: a.sensor === null ? null : { ...a.sensor },
    };
    const url = this.o.publicUrl ? `${this.o.publicUrl.replace(/\/+$/, "")}/#/alerts/${a.id}` : null;
    return { ...base, message: alertSummary(base, plant?.timezone ?? reg.timezone), url };
  }

  /** Every line's status now; a plain loop: it runs every second over every registry line. */
  #statuses(): LineStatus[] {
    const out: LineStatus[] = [];
    for (const { plant, line } of registryLines(this.o.registry())) {
      const snap = this.o.tracker.snapshot(plant.id, line.id);
      if (snap === undefined) continue;
      const stopDelay = plant.alerts?.stopDelaySeconds;
      out.push({
        plant: plant.id,
        line: line.id,
        state: snap.state,
        since: snap.since,
        sensors: snap.sensors?.values ?? null,
        limits: line.sensorLimits,
        stopDelayMs: stopDelay !== undefined ? stopDelay * 1000 : undefined,
      });
    }
    return out;
  }

  /**
   * Persists first, then delivers: an event is never sent for an alert a kill -9 could forget (which would
   * then be raised and sent again as new after the restart).
   */
  #publish(events: EngineEvent[]): void {
    const now = this.o.clock.now();
    const out: AlertEvent[] = events.map(({ event, alert }) => ({
      v: 1,
      event,
      ts: now,
      alert: this.view(alert),
    }));
    this.o.file
      .save(this.#engine.all())
      .catch((err: unknown) => this.#log.error({ err }, "saving alerts failed"))
      .then(() => {
        for (const e of out) this.#deliver(e);
      });
  }

  #deliver(e: AlertEvent): void {
    const a = e.alert;
    this.#log.info(
      { alert: a.id, event: e.event, kind: a.kind, plant: a.plant, line: a.line },
      "alert event",
    );
    for (const sink of [...this.o.sinks, ...this.#listeners]) {
      try {
        sink(e);
      } catch (err) {
        this.#log.warn({ err }, "alert sink failed");
      }
    }
    this.o.history
      ?.writeAlertEvent(e)
      .catch((err: unknown) => this.#log.warn({ err }, "alert history write failed"));
  }
}
