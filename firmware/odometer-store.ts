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
}

/**
 * Where odometers survive restarts. The disk-backed store (a later issue) writes atomically (write + fsync +
 * rename) every few seconds; this seam lets it replace the in-memory one without touching the device.
 */
export interface OdometerStore {
  /** The line's saved state, or a fresh epoch counting from zero when nothing survived. */
  load(key: LineKey): Promise<LineState>;
  /** Saves the line's current state (called periodically and on stop). */
  save(key: LineKey, state: LineState): Promise<void>;
  close(): Promise<void>;
}

/** A new epoch id: 8 url-safe characters (matches the sample schema's epoch pattern). */
export function newEpoch(): string {
  return randomBytes(6).toString("base64url");
}

/** Keeps nothing across processes: every start is a new epoch from zero (until the disk store lands). */
export class MemoryOdometerStore implements OdometerStore {
  private readonly states = new Map<LineKey, LineState>();

  constructor(private readonly makeEpoch: () => string = newEpoch) {}

  async load(key: LineKey): Promise<LineState> {
    const saved = this.states.get(key);
    return saved ? { ...saved } : { epoch: this.makeEpoch(), good: 0, reject: 0, seq: 0, ts: 0 };
  }

  async save(key: LineKey, state: LineState): Promise<void> {
    this.states.set(key, { ...state });
  }

  async close(): Promise<void> {}
}
