import { randomBytes } from "node:crypto";
import type { LineKey } from "../protocol/index.ts";

/** What a line needs to resume counting where it stopped. */
export interface LineState {
  /** Changes only when the stored odometers are lost (DESIGN.md, counting contract). */
  epoch: string;
  good: number;
  reject: number;
  /** Last seq used in this epoch (0 = none). */
  seq: number;
  /** Last sample ts used in this epoch (0 = none). */
  ts: number;
  /**
   * The counter source's own position, consistent with `good`/`reject` (a PLC source: the last raw register
   * values it counted up to). Restored with them, so a restarted source counts from exactly there.
   */
  cursor?: unknown;
}

/**
 * Where odometers survive restarts: in memory (tests), or a file written atomically (write + fsync +
 * rename) at a bounded rate (file-odometer-store.ts).
 */
export interface OdometerStore {
  /** The line's saved state, or a fresh epoch counting from zero when nothing survived. */
  load(key: LineKey): Promise<LineState>;
  /** Saves the line's current state (called every persist interval and on stop). */
  save(key: LineKey, state: LineState): Promise<void>;
  close(): Promise<void>;
}

/** A new epoch id: 8 url-safe characters (matches the sample schema's epoch pattern). */
export function newEpoch(): string {
  return randomBytes(6).toString("base64url");
}

export function freshState(epoch: string): LineState {
  return { epoch, good: 0, reject: 0, seq: 0, ts: 0 };
}

/** Whether `v` is a well-formed LineState (a file or journal may hold anything after a crash). */
export function isLineState(v: unknown): v is LineState {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  return (
    typeof s.epoch === "string" &&
    /^[A-Za-z0-9_-]{1,32}$/.test(s.epoch) &&
    count(s.good) &&
    count(s.reject) &&
    count(s.seq) &&
    count(s.ts)
  );
}

/**
 * The newer of two saved states of one line: the odometer file (saved every persist interval) and the
 * newest sample in the outbox journal (saved with every sample). Within one epoch everything only grows,
 * so the one with the higher seq — or, at the same seq, more counts — is newer. Across epochs the one
 * with the later sample time wins: a fresh epoch (ts 0) never replaces a journal that survived.
 */
export function newerState(a: LineState, b: LineState | undefined): LineState {
  if (b === undefined) return a;
  if (a.epoch !== b.epoch) return b.ts > a.ts ? b : a;
  if (a.seq !== b.seq) return b.seq > a.seq ? b : a;
  return b.good + b.reject > a.good + a.reject ? b : a;
}

/** Keeps nothing across processes: every start is a new epoch from zero. */
export class MemoryOdometerStore implements OdometerStore {
  private readonly states = new Map<LineKey, LineState>();

  constructor(private readonly makeEpoch: () => string = newEpoch) {}

  async load(key: LineKey): Promise<LineState> {
    const saved = this.states.get(key);
    return saved ? { ...saved } : freshState(this.makeEpoch());
  }

  async save(key: LineKey, state: LineState): Promise<void> {
    this.states.set(key, { ...state });
  }

  async close(): Promise<void> {}
}
