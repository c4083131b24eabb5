import type { LineState, PlantFreshness, Rollup } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";

interface PlantReport {
  gateway: string;
  receivedAt: number;
  sent: number;
  every: number;
  lines: Map<string, { state: LineState; since: number | null; alerts: number }>;
}

/** A roll-up is a backlog replay when it was built more than this many intervals (plus slack) ago. */
const BACKLOG_INTERVALS = 3;
const BACKLOG_SLACK_MS = 10_000;
/** A plant is silent when nothing arrived for this many of its intervals (at least SILENT_MIN_MS). */
const SILENT_INTERVALS = 6;
const SILENT_MIN_MS = 30_000;

function hhmm(ms: number, tz: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: tz,
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(ms);
}

function duration(ms: number): string {
  if (ms >= 3_600_000) return `${Math.round(ms / 360_000) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * What the bureau knows of each federated plant's link: when the newest roll-up arrived, how old it was
 * (a replayed backlog after an outage is old), and the line states it carried. Roll-ups of one plant
 * arrive in order (one outbox, one message in flight), so the newest arrival says where the backlog stands.
 */
export class FreshnessBoard {
  readonly #plants = new Map<string, PlantReport>();

  constructor(private readonly clock: Clock) {}

  record(plant: string, r: Rollup): void {
    const now = this.clock.now();
    const prev = this.#plants.get(plant);
    const lines = prev?.lines ?? new Map();
    for (const l of r.lines) {
      if (l.state === undefined) continue;
      lines.set(l.line, { state: l.state.state, since: l.state.since, alerts: l.alerts?.length ?? 0 });
    }
    this.#plants.set(plant, { gateway: r.gateway, receivedAt: now, sent: r.sent, every: r.every, lines });
  }

  /** The plant's freshness now, in its time zone; undefined for a plant that never sent a roll-up. */
  view(plant: string, tz: string): PlantFreshness | undefined {
    const p = this.#plants.get(plant);
    if (p === undefined) return undefined;
    const now = this.clock.now();
    const lagMs = Math.max(0, p.receivedAt - p.sent);
    const silent = now - p.receivedAt > Math.max(SILENT_MIN_MS, SILENT_INTERVALS * p.every);
    const backfilling = !silent && lagMs > BACKLOG_INTERVALS * p.every + BACKLOG_SLACK_MS;
    const state = silent ? "silent" : backfilling ? "backfilling" : "current";
    const label =
      state === "silent"
        ? `no data since ${hhmm(p.receivedAt, tz)}`
        : state === "backfilling"
          ? `backfilling ${duration(lagMs)}`
          : `reported ${hhmm(p.receivedAt, tz)}`;
    return {
      state,
      gateway: p.gateway,
      reportedAt: new Date(p.receivedAt).toISOString(),
      lagMs: state === "current" ? 0 : lagMs,
      label,
      lines: [...p.lines].map(([line, s]) => ({
        line,
        state: s.state,
        since: s.since === null ? null : new Date(s.since).toISOString(),
        alerts: s.alerts,
      })),
    };
  }

  /** Newest arrival from the plant (ms), for the capacity view's `reporting`/`lastSeen`. */
  lastReceived(plant: string): number | null {
    return this.#plants.get(plant)?.receivedAt ?? null;
  }
}
