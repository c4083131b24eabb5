import type { LineState } from "../../protocol/index.ts";
import { lineKey } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";

export interface LineStateOptions {
  /** No message for this long → offline (3 × a 5 s sample interval). */
  offlineAfterMs?: number;
  /** Lower bound of the "no good count for N" window that means stopped (DESIGN.md: 30 s minimum). */
  minStopMs?: number;
  /** How many ideal cycles without a good count mean stopped. */
  stopCycles?: number;
  /** Window over which ratePerMin is averaged. */
  rateWindowMs?: number;
}

export interface LineSnapshot {
  state: LineState;
  /** ms when the line entered `state`, or null when unknown. */
  since: number | null;
  lastSeen: number | null;
  ratePerMin: number;
}

interface Track {
  stopAfterMs: number;
  lastSeen: number | null;
  /** False after an "offline" status (also the device's last will) until the next message. */
  online: boolean;
  /** Newest sample ts at which good counts advanced. */
  lastAdvance: number | null;
  recent: Array<{ ts: number; good: number }>;
  state: LineState;
  since: number | null;
}

/**
 * Live state of each line (DESIGN.md, line state), pure with an injected clock: `running` while good counts
 * advanced within max(30 s, 10 ideal cycles), else `stopped`; `offline` after an offline status (last will)
 * or no message for `offlineAfterMs`; `unknown` before the first message. Idle/shift calendars come later.
 */
export class LineStateTracker {
  readonly #lines = new Map<string, Track>();
  readonly #o: Required<LineStateOptions>;

  constructor(
    lines: ReadonlyArray<{ plant: string; line: string; ratedPerMin: number }>,
    private readonly clock: Clock,
    opts: LineStateOptions = {},
  ) {
    this.#o = { offlineAfterMs: 15_000, minStopMs: 30_000, stopCycles: 10, rateWindowMs: 60_000, ...opts };
    for (const l of lines) {
      const cycleMs = 60_000 / l.ratedPerMin;
      this.#lines.set(lineKey(l.plant, l.line), {
        stopAfterMs: Math.max(this.#o.minStopMs, this.#o.stopCycles * cycleMs),
        lastSeen: null,
        online: false,
        lastAdvance: null,
        recent: [],
        state: "unknown",
        since: null,
      });
    }
  }

  /** An accepted sample's delta (stored at `ts`). */
  sampleAccepted(plant: string, line: string, ts: number, good: number): void {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return;
    this.#update(t);
    this.#seen(t);
    if (good > 0) {
      t.lastAdvance = Math.max(t.lastAdvance ?? ts, ts);
      t.recent.push({ ts, good });
      const horizon = this.clock.now() - this.#o.rateWindowMs;
      while (t.recent.length > 0 && (t.recent[0]?.ts ?? 0) <= horizon) t.recent.shift();
    }
    this.#update(t);
  }

  /** Any publish from the line's device, even a dropped one, shows the device is alive. */
  messageSeen(plant: string, line: string): void {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return;
    this.#update(t);
    this.#seen(t);
    this.#update(t);
  }

  statusReceived(plant: string, line: string, state: "online" | "offline"): void {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return;
    this.#update(t);
    t.lastSeen = this.clock.now();
    t.online = state === "online";
    this.#update(t);
  }

  /** The line's state now; records a state change with its start time. */
  snapshot(plant: string, line: string): LineSnapshot | undefined {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return undefined;
    const now = this.#update(t);
    t.recent = t.recent.filter((r) => r.ts > now - this.#o.rateWindowMs);
    const good = t.recent.reduce((sum, r) => sum + r.good, 0);
    const ratePerMin = Math.round((good * 60_000) / this.#o.rateWindowMs);
    return { state: t.state, since: t.since, lastSeen: t.lastSeen, ratePerMin };
  }

  /** Records a change of state with the time it happened; transitions are noticed at each event and snapshot. */
  #update(t: Track): number {
    const now = this.clock.now();
    const { state, since } = this.#evaluate(t, now);
    if (state !== t.state) {
      t.state = state;
      t.since = since;
    }
    return now;
  }

  #seen(t: Track): void {
    t.lastSeen = this.clock.now();
    t.online = true;
  }

  #evaluate(t: Track, now: number): { state: LineState; since: number | null } {
    if (t.lastSeen === null) return { state: "unknown", since: null };
    if (!t.online) return { state: "offline", since: t.state === "offline" ? t.since : now };
    if (now - t.lastSeen > this.#o.offlineAfterMs)
      return { state: "offline", since: t.lastSeen + this.#o.offlineAfterMs };
    if (t.lastAdvance !== null && now - t.lastAdvance <= t.stopAfterMs) {
      return { state: "running", since: t.state === "running" ? t.since : Math.min(now, t.lastAdvance) };
    }
    const stoppedAt = t.lastAdvance === null ? now : Math.min(now, t.lastAdvance + t.stopAfterMs);
    return { state: "stopped", since: t.state === "stopped" ? t.since : stoppedAt };
  }
}
