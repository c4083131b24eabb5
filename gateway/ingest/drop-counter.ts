import type { Logger } from "pino";
import type { Clock } from "../clock.ts";

export const DROP_REASONS = [
  "bad-json",
  "bad-schema",
  "too-large",
  "future-ts",
  "unknown-line",
  "not-allowed",
  "duplicate",
  "stale",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * Counts dropped publishes by reason and logs them rate-limited: at most one line per reason per
 * `intervalMs`, carrying how many were dropped since the previous line — a flood of bad samples must not
 * become a flood of log lines.
 */
export class DropCounter {
  readonly #totals = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));
  readonly #unlogged = new Map<DropReason, number>();
  readonly #lastLog = new Map<DropReason, number>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs = 10_000,
    private readonly onDrop?: (reason: DropReason) => void,
  ) {}

  drop(reason: DropReason, details: Record<string, unknown>): void {
    this.#totals.set(reason, (this.#totals.get(reason) ?? 0) + 1);
    const unlogged = (this.#unlogged.get(reason) ?? 0) + 1;
    this.onDrop?.(reason);
    const now = this.clock.now();
    const last = this.#lastLog.get(reason);
    if (last !== undefined && now - last < this.intervalMs) {
      this.#unlogged.set(reason, unlogged);
      return;
    }
    this.#lastLog.set(reason, now);
    this.#unlogged.set(reason, 0);
    this.log.warn(
      { ...details, reason, count: unlogged, total: this.#totals.get(reason) },
      "publish dropped",
    );
  }

  /** Drops so far, per reason (every reason present, zero when none). */
  totals(): Record<DropReason, number> {
    return Object.fromEntries(this.#totals) as Record<DropReason, number>;
  }
}
