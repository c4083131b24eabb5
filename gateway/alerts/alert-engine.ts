import type { AckReason, AlertEvent, AlertKind, AlertState, LineState } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";

/** One alert as the engine keeps (and persists) it; times in ms since the Unix epoch. */
export interface AlertRecord {
  id: string;
  kind: AlertKind;
  plant: string;
  line: string;
  state: AlertState;
  since: number;
  raisedAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
  ackReason: AckReason | null;
  ackNote: string | null;
  escalatedAt: number | null;
  resolvedAt: number | null;
  downtimeMs: number | null;
  /** The last time a raised/reminder/escalated message went out. */
  lastNotifiedAt: number;
  reminders: number;
  sensor: { name: string; value: number; min: number | null; max: number | null } | null;
}

export interface AlertSettings {
  /** A line stopped this long raises `line-stopped` (default 120 s). */
  stopDelayMs: number;
  /** A device offline this long raises `device-offline` (default: the stop delay). */
  offlineDelayMs: number;
  /** Not acknowledged this long after being raised → escalated (default 15 min). */
  escalateAfterMs: number;
  /** While not acknowledged, a reminder this often (default 5 min). */
  remindEveryMs: number;
  /** A reading outside its limits this long raises `sensor-limit`; back inside this long resolves it. */
  sensorDelayMs: number;
  /** Resolved alerts kept for /api/alerts?state=all. */
  keepResolvedMs: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  stopDelayMs: 120_000,
  offlineDelayMs: 120_000,
  escalateAfterMs: 15 * 60_000,
  remindEveryMs: 5 * 60_000,
  sensorDelayMs: 30_000,
  keepResolvedMs: 7 * 24 * 3_600_000,
};

type Limits = Record<string, { min?: number | undefined; max?: number | undefined }>;

/** What the engine needs to know about one line at each evaluation. */
export interface LineStatus {
  plant: string;
  line: string;
  state: LineState;
  since: number | null;
  sensors: Record<string, number> | null;
  limits?: Limits | undefined;
  /** Per-plant override of the stop delay. */
  stopDelayMs?: number | undefined;
}

export type EngineEvent = { event: AlertEvent["event"]; alert: AlertRecord };

export class AlertError extends Error {
  constructor(
    readonly code: "not_found" | "already_resolved",
    message: string,
  ) {
    super(message);
    this.name = "AlertError";
  }
}

const isActive = (a: AlertRecord) => a.state !== "resolved";

/**
 * The alert rules (issue 5), pure with an injected clock: raise after a delay, remind and escalate while
 * nobody acknowledges, resolve when the condition clears. One active alert per (line, kind, sensor): a
 * persisted active alert found again after a restart is continued, never raised anew. Hysteresis comes from
 * the delays (a stop must last the whole delay; a line must run again, which the line-state tracker itself
 * confirms with its resume window) and from sensor readings having to stay back in range for the delay.
 */
export class AlertEngine {
  readonly #alerts = new Map<string, AlertRecord>();
  /** Sensor readings out of (or back in) range since, per line/sensor: in memory only. */
  readonly #sensorSince = new Map<string, { out: boolean; since: number }>();

  constructor(
    private readonly settings: AlertSettings,
    private readonly clock: Clock,
    private readonly newId: (kind: AlertKind, now: number) => string,
    restored: readonly AlertRecord[] = [],
  ) {
    for (const a of restored) this.#alerts.set(a.id, { ...a });
  }

  all(): AlertRecord[] {
    return [...this.#alerts.values()].sort((a, b) => b.raisedAt - a.raisedAt);
  }

  get(id: string): AlertRecord | undefined {
    return this.#alerts.get(id);
  }

  /** Applies the rules to every line's status; returns what happened, in order. */
  evaluate(lines: readonly LineStatus[]): EngineEvent[] {
    const now = this.clock.now();
    const events: EngineEvent[] = [];
    for (const l of lines) {
      this.#lineStopped(l, now, events);
      this.#deviceOffline(l, now, events);
      this.#sensorLimits(l, now, events);
    }
    for (const a of this.#alerts.values()) this.#followUp(a, now, events);
    this.#forgetOld(now);
    return events;
  }

  acknowledge(id: string, by: string, reason: AckReason, note: string | null): EngineEvent {
    const a = this.#alerts.get(id);
    if (a === undefined) throw new AlertError("not_found", `no alert ${id}`);
    if (a.state === "resolved") throw new AlertError("already_resolved", `alert ${id} is already resolved`);
    Object.assign(a, {
      state: "acknowledged",
      ackedAt: this.clock.now(),
      ackedBy: by,
      ackReason: reason,
      ackNote: note,
    });
    return { event: "acknowledged", alert: a };
  }

  /** The acknowledged reason of the line-stopped alert for the stop that began at `since`, if any. */
  reasonFor(plant: string, line: string, since: number): AckReason | null {
    for (const a of this.#alerts.values()) {
      if (a.kind === "line-stopped" && a.plant === plant && a.line === line && a.since === since)
        return a.ackReason;
    }
    return null;
  }

  #find(plant: string, line: string, kind: AlertKind, sensor?: string): AlertRecord | undefined {
    for (const a of this.#alerts.values()) {
      if (
        isActive(a) &&
        a.plant === plant &&
        a.line === line &&
        a.kind === kind &&
        (sensor === undefined || a.sensor?.name === sensor)
      )
        return a;
    }
    return undefined;
  }

  #lineStopped(l: LineStatus, now: number, events: EngineEvent[]): void {
    const active = this.#find(l.plant, l.line, "line-stopped");
    if (l.state === "stopped" && l.since !== null && active === undefined) {
      if (now - l.since >= (l.stopDelayMs ?? this.settings.stopDelayMs)) {
        events.push({ event: "raised", alert: this.#raise("line-stopped", l, l.since, now) });
      }
    } else if (active !== undefined && (l.state === "running" || l.state === "idle")) {
      const end = l.since ?? now;
      this.#resolve(active, now, Math.max(0, end - active.since), events);
    }
  }

  #deviceOffline(l: LineStatus, now: number, events: EngineEvent[]): void {
    const active = this.#find(l.plant, l.line, "device-offline");
    if (l.state === "offline" && l.since !== null && active === undefined) {
      if (now - l.since >= this.settings.offlineDelayMs) {
        events.push({ event: "raised", alert: this.#raise("device-offline", l, l.since, now) });
      }
    } else if (active !== undefined && l.state !== "offline" && l.state !== "unknown") {
      this.#resolve(active, now, null, events);
    }
  }

  #sensorLimits(l: LineStatus, now: number, events: EngineEvent[]): void {
    if (l.sensors === null || l.limits === undefined || l.state === "offline") return;
    for (const [name, lim] of Object.entries(l.limits)) {
      const value = l.sensors[name];
      if (value === undefined) continue;
      const out = (lim.min !== undefined && value < lim.min) || (lim.max !== undefined && value > lim.max);
      const key = `${l.plant}/${l.line}/${name}`;
      const seen = this.#sensorSince.get(key);
      if (seen === undefined || seen.out !== out) this.#sensorSince.set(key, { out, since: now });
      const held = now - (this.#sensorSince.get(key)?.since ?? now) >= this.settings.sensorDelayMs;
      const active = this.#find(l.plant, l.line, "sensor-limit", name);
      if (active !== undefined && active.sensor !== null) active.sensor.value = value;
      if (out && held && active === undefined) {
        const sensor = { name, value, min: lim.min ?? null, max: lim.max ?? null };
        const a = this.#raise("sensor-limit", l, this.#sensorSince.get(key)?.since ?? now, now, sensor);
        events.push({ event: "raised", alert: a });
      } else if (!out && held && active !== undefined) {
        this.#resolve(active, now, null, events);
      }
    }
  }

  #raise(kind: AlertKind, l: LineStatus, since: number, now: number, sensor: AlertRecord["sensor"] = null) {
    const a: AlertRecord = {
      ...{
        id: this.newId(kind, now),
        kind,
        plant: l.plant,
        line: l.line,
        state: "raised",
        since,
        raisedAt: now,
      },
      ...{
        ackedAt: null,
        ackedBy: null,
        ackReason: null,
        ackNote: null,
        escalatedAt: null,
        resolvedAt: null,
      },
      ...{ downtimeMs: null, lastNotifiedAt: now, reminders: 0, sensor },
    };
    this.#alerts.set(a.id, a);
    return a;
  }

  #resolve(a: AlertRecord, now: number, downtimeMs: number | null, events: EngineEvent[]): void {
    Object.assign(a, { state: "resolved", resolvedAt: now, downtimeMs });
    events.push({ event: "resolved", alert: a });
  }

  /** Escalation and reminders for alerts nobody has acknowledged. */
  #followUp(a: AlertRecord, now: number, events: EngineEvent[]): void {
    if (a.state !== "raised") return;
    if (a.escalatedAt === null && now - a.raisedAt >= this.settings.escalateAfterMs) {
      a.escalatedAt = now;
      a.lastNotifiedAt = now;
      events.push({ event: "escalated", alert: a });
    } else if (now - a.lastNotifiedAt >= this.settings.remindEveryMs) {
      a.lastNotifiedAt = now;
      a.reminders++;
      events.push({ event: "reminder", alert: a });
    }
  }

  #forgetOld(now: number): void {
    for (const [id, a] of this.#alerts) {
      if (a.state === "resolved" && now - (a.resolvedAt ?? now) > this.settings.keepResolvedMs)
        this.#alerts.delete(id);
    }
  }
}
