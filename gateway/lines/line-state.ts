import type { LineState } from "../../protocol/index.ts";
import { lineKey } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import { ALWAYS_PLANNED, type LineCalendar, type PlannedSpan } from "./line-calendar.ts";

export interface LineStateOptions {
  /** No message for this long → offline (3 × a 5 s sample interval). */
  offlineAfterMs?: number;
  /** Lower bound of the "no good count for N" window that means stopped (DESIGN.md: 30 s minimum). */
  minStopMs?: number;
  /** How many ideal cycles without a good count mean stopped. */
  stopCycles?: number;
  /** Window over which ratePerMin is averaged. */
  rateWindowMs?: number;
  /**
   * Hysteresis: a stopped line is running again only once good counts have advanced over this span (two
   * samples at least this far apart), so one stray count does not end a stop.
   */
  resumeMs?: number;
  /** A stop shorter than this is a micro-stop: counted and recorded, never alerted. */
  microStopMs?: number;
}

export interface LineSnapshot {
  state: LineState;
  /** ms when the line entered `state`, or null when unknown. */
  since: number | null;
  lastSeen: number | null;
  ratePerMin: number;
  /** Micro-stops since the gateway started. */
  microStops: number;
  /** Newest sensor readings and the sample time they came with. */
  sensors: { ts: number; values: Record<string, number> } | null;
}

/** A change of a line's state; `at` is when the new state began, `fromSince` when the old one had. */
export interface StateTransition {
  plant: string;
  line: string;
  from: LineState;
  to: LineState;
  at: number;
  fromSince: number | null;
}

/** A stop that ended: from when the line stopped until it ran again, went idle or offline. */
export interface DowntimeRecord {
  plant: string;
  line: string;
  start: number;
  end: number;
  durationMs: number;
  micro: boolean;
}

/** What a sample says besides its count: the run signal and sensor readings, when the device sends them. */
export interface SampleExtra {
  run?: boolean | undefined;
  sensors?: Record<string, number> | undefined;
}

export interface LineStateListener {
  transition?(t: StateTransition): void;
  downtime?(d: DowntimeRecord): void;
}

export interface LineDefinition {
  plant: string;
  line: string;
  ratedPerMin: number;
}

interface Track {
  plant: string;
  line: string;
  stopAfterMs: number;
  lastSeen: number | null;
  /** False after an "offline" status (also the device's last will) until the next message. */
  online: boolean;
  /** Newest sample ts at which good counts advanced. */
  lastAdvance: number | null;
  /** Newest sample ts seen: older (replayed) samples do not change the run signal. */
  latestTs: number;
  /** The machine's run signal from the newest sample, when wired. */
  run: boolean | undefined;
  /** Sample ts at which the run signal went off. */
  runOffAt: number | null;
  /** While stopped: ts of the first good count since, the candidate start of running again. */
  resumeFrom: number | null;
  /** Whether the current stop interrupted running (only those need the resume hysteresis). */
  stopFromRunning: boolean;
  /** Good counts per second of sample time over the rate window (one entry per second, not per sample). */
  recent: Array<{ ts: number; good: number }>;
  /** The calendar's answer for an interval around the last evaluation (line-calendar.ts, PlannedSpan). */
  planned: PlannedSpan;
  state: LineState;
  since: number | null;
  microStops: number;
  sensors: { ts: number; values: Record<string, number> } | null;
}

const DEFAULTS: Required<LineStateOptions> = {
  offlineAfterMs: 15_000,
  minStopMs: 30_000,
  stopCycles: 10,
  rateWindowMs: 60_000,
  resumeMs: 2_000,
  microStopMs: 60_000,
};

/**
 * Live state of each line (DESIGN.md, line state), pure with an injected clock and calendar:
 * - `running` while good counts advance (and the run signal, when wired, is on);
 * - `stopped` after no good count for max(minStopMs, stopCycles ideal cycles), or at once when the run signal
 *   goes off; it begins at the last good count (or the run signal's fall), not at the moment it is noticed;
 * - `offline` after an offline status (last will) or no message for `offlineAfterMs`;
 * - `idle` outside planned time (shifts minus planned downtime) unless the line produces anyway;
 * - `unknown` before the first message.
 * A stop of zero length (a line's first message seen just before its first counted sample) records no downtime.
 * Transitions are noticed at each event, `tick()` and snapshot, and reported to the listener.
 */
export class LineStateTracker {
  readonly #lines = new Map<string, Track>();
  readonly #o: Required<LineStateOptions>;

  constructor(
    lines: ReadonlyArray<LineDefinition>,
    private readonly clock: Clock,
    opts: LineStateOptions = {},
    private calendar: LineCalendar = ALWAYS_PLANNED,
    private listener: LineStateListener = {},
  ) {
    this.#o = { ...DEFAULTS, ...opts };
    this.setLines(lines);
  }

  /** Registry reload: new lines start unknown, known lines keep their state, removed ones are forgotten. */
  setLines(lines: ReadonlyArray<LineDefinition>, calendar?: LineCalendar): void {
    if (calendar !== undefined) this.calendar = calendar;
    for (const t of this.#lines.values()) t.planned = UNASKED;
    const keep = new Set<string>();
    for (const l of lines) {
      const key = lineKey(l.plant, l.line);
      keep.add(key);
      const stopAfterMs = Math.max(this.#o.minStopMs, this.#o.stopCycles * (60_000 / l.ratedPerMin));
      const known = this.#lines.get(key);
      if (known !== undefined) known.stopAfterMs = stopAfterMs;
      else this.#lines.set(key, newTrack(l.plant, l.line, stopAfterMs));
    }
    for (const key of [...this.#lines.keys()]) if (!keep.has(key)) this.#lines.delete(key);
  }

  setListener(listener: LineStateListener): void {
    this.listener = listener;
  }

  /** Stops shorter than this are micro-stops; the gateway ties it to the alert delay (a stop that alerts is not micro). */
  setMicroStopMs(ms: number): void {
    this.#o.microStopMs = ms;
  }

  /** An accepted sample: its good delta (stored at `ts`), run signal and sensor readings. */
  sampleAccepted(plant: string, line: string, ts: number, good: number, extra: SampleExtra = {}): void {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return;
    this.#update(t);
    this.#seen(t);
    this.#counted(t, ts, good, extra);
  }

  /**
   * sampleAccepted for ingest's hot path, where messageSeen(plant, line) ran for this very publish just before:
   * the line is evaluated and marked seen already, so only the sample is applied (one evaluation, not three).
   */
  sampleCounted(plant: string, line: string, ts: number, good: number, extra: SampleExtra = {}): void {
    const t = this.#lines.get(lineKey(plant, line));
    if (t !== undefined) this.#counted(t, ts, good, extra);
  }

  #counted(t: Track, ts: number, good: number, extra: SampleExtra): void {
    if (ts >= t.latestTs) {
      t.latestTs = ts;
      if (extra.run !== undefined) {
        if (extra.run === false && t.run !== false) t.runOffAt = ts;
        t.run = extra.run;
      }
      if (extra.sensors !== undefined) t.sensors = { ts, values: { ...extra.sensors } };
    }
    if (good > 0) this.#advanced(t, ts, good);
    this.#update(t);
  }

  /** Any publish from the line's device, even a dropped one, shows the device is alive. */
  messageSeen(plant: string, line: string): void {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return;
    this.#update(t);
    const wasOnline = t.online;
    this.#seen(t);
    // A line that was online and is running or stopped stays so when heard from (those do not depend on
    // lastSeen): skip the second evaluation on the hot path. Unknown, offline and idle may change.
    if (!wasOnline || (t.state !== "running" && t.state !== "stopped")) this.#update(t);
  }

  statusReceived(plant: string, line: string, state: "online" | "offline"): void {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return;
    this.#update(t);
    t.lastSeen = this.clock.now();
    t.online = state === "online";
    this.#update(t);
  }

  /** Every line heard from, with the time of its last message (ms), for the last-seen metric. */
  *linesSeen(): Generator<{ plant: string; line: string; lastSeen: number }> {
    for (const t of this.#lines.values())
      if (t.lastSeen !== null) yield { plant: t.plant, line: t.line, lastSeen: t.lastSeen };
  }

  /** Re-evaluates every line (time alone moves lines to stopped, offline or idle). */
  tick(): void {
    for (const t of this.#lines.values()) this.#update(t);
  }

  /** The line's state now; records a state change with its start time. */
  snapshot(plant: string, line: string): LineSnapshot | undefined {
    const t = this.#lines.get(lineKey(plant, line));
    if (t === undefined) return undefined;
    const now = this.#update(t);
    this.#trim(t, now);
    let good = 0;
    for (const r of t.recent) good += r.good;
    const ratePerMin = Math.round((good * 60_000) / this.#o.rateWindowMs);
    return {
      state: t.state,
      since: t.since,
      lastSeen: t.lastSeen,
      ratePerMin,
      microStops: t.microStops,
      sensors: t.sensors,
    };
  }

  #advanced(t: Track, ts: number, good: number): void {
    if (t.state === "stopped" && (t.since === null || ts > t.since)) {
      // A count within the stop-detection window of the previous one continues a resume attempt.
      if (t.resumeFrom === null || t.lastAdvance === null || ts - t.lastAdvance > t.stopAfterMs) {
        t.resumeFrom = ts;
      }
    }
    t.lastAdvance = Math.max(t.lastAdvance ?? ts, ts);
    const last = t.recent[t.recent.length - 1];
    // One entry per second of sample time: a line sampled 10 times a second keeps 60 entries, not 600.
    if (last !== undefined && Math.floor(last.ts / 1000) === Math.floor(ts / 1000)) {
      last.good += good;
      last.ts = Math.max(last.ts, ts);
    } else t.recent.push({ ts, good });
    this.#trim(t, this.clock.now());
  }

  /** Drops rate entries older than the window, in place (the alert tick asks every line every second). */
  #trim(t: Track, now: number): void {
    const horizon = now - this.#o.rateWindowMs;
    while (t.recent.length > 0 && (t.recent[0]?.ts ?? 0) <= horizon) t.recent.shift();
  }

  /** Records a change of state with the time it began and tells the listener. */
  #update(t: Track): number {
    const now = this.clock.now();
    const next = this.#evaluate(t, now);
    if (next.state === t.state) return now;
    const prev = { state: t.state, since: t.since };
    t.state = next.state;
    t.since = next.since;
    if (next.state !== "stopped") t.resumeFrom = null;
    else t.stopFromRunning = prev.state === "running";
    this.#report(t, prev, next.since ?? now);
    return now;
  }

  #report(t: Track, prev: { state: LineState; since: number | null }, at: number): void {
    const { plant, line } = t;
    try {
      this.listener.transition?.({ plant, line, from: prev.state, to: t.state, at, fromSince: prev.since });
      if (prev.state === "stopped" && prev.since !== null && at > prev.since) {
        const end = at;
        const micro = end - prev.since < this.#o.microStopMs;
        if (micro) t.microStops++;
        this.listener.downtime?.({
          plant,
          line,
          start: prev.since,
          end,
          durationMs: end - prev.since,
          micro,
        });
      }
    } catch {
      // A failing listener must never stop counting (STYLE.md): the listener logs its own failures.
    }
  }

  #seen(t: Track): void {
    t.lastSeen = this.clock.now();
    t.online = true;
  }

  #producing(t: Track, now: number): boolean {
    if (t.run === false) return false;
    return t.lastAdvance !== null && now - t.lastAdvance <= t.stopAfterMs;
  }

  #planned(t: Track, now: number): boolean {
    if (now < t.planned.from || now >= t.planned.to) t.planned = this.calendar.span(t.plant, t.line, now);
    return t.planned.planned;
  }

  /** The state the line is in at `now`; `since` keeps the current start when the state does not change. */
  #evaluate(t: Track, now: number): { state: LineState; since: number | null } {
    if (t.lastSeen === null) return { state: "unknown", since: null };
    const planned = this.#planned(t, now);
    if (!t.online || now - t.lastSeen > this.#o.offlineAfterMs) {
      const since = t.online ? t.lastSeen + this.#o.offlineAfterMs : now;
      return planned ? keep(t, "offline", since) : keep(t, "idle", now);
    }
    if (this.#producing(t, now)) {
      if (t.state !== "stopped" || !t.stopFromRunning)
        return keep(t, "running", Math.min(now, t.lastAdvance ?? now));
      const resumed =
        t.resumeFrom !== null && t.lastAdvance !== null && t.lastAdvance - t.resumeFrom >= this.#o.resumeMs;
      if (resumed || !planned) return { state: "running", since: t.resumeFrom ?? now };
      return keep(t, "stopped", now);
    }
    if (!planned) return keep(t, "idle", now);
    if (t.state !== "running") return keep(t, "stopped", now);
    const stoppedAt = t.run === false ? (t.runOffAt ?? now) : (t.lastAdvance ?? now);
    return { state: "stopped", since: Math.min(now, Math.max(stoppedAt, t.since ?? stoppedAt)) };
  }
}

/** The line stays in (or enters) `state`: an unchanged state keeps its start. */
function keep(t: Track, state: LineState, since: number | null): { state: LineState; since: number | null } {
  return { state, since: t.state === state ? t.since : since };
}

/** Forces the next evaluation to ask the calendar (new line, or a registry reload changed the calendar). */
const UNASKED: PlannedSpan = { planned: true, from: 0, to: 0 };

function newTrack(plant: string, line: string, stopAfterMs: number): Track {
  return {
    plant,
    line,
    stopAfterMs,
    lastSeen: null,
    online: false,
    lastAdvance: null,
    latestTs: Number.NEGATIVE_INFINITY,
    run: undefined,
    runOffAt: null,
    resumeFrom: null,
    stopFromRunning: false,
    recent: [],
    planned: UNASKED,
    state: "unknown",
    since: null,
    microStops: 0,
    sensors: null,
  };
}
