import type { AlertEvent, LineState } from "../../protocol/index.ts";
import type { DowntimeRecord } from "../lines/line-state.ts";

/** A stored change of a line's state (measurement `line_state`). */
export interface StoredTransition {
  plant: string;
  line: string;
  state: LineState;
  /** The state it left. */
  from: LineState;
  at: number;
}

/** A stored stop (measurement `downtime`): reason is the acknowledging technician's code, when given. */
export interface StoredDowntime extends DowntimeRecord {
  reason: string | null;
}

export interface StateQuery {
  from: Date;
  to: Date;
  plant?: string | undefined;
}

/**
 * History of line states, stops and alert lifecycles. Implemented by InfluxLineStore (InfluxDB 1.x) and
 * MemoryLineStore (tests and gateways running on an injected store).
 */
export interface LineStore {
  writeTransition(t: StoredTransition): Promise<void>;
  writeDowntime(d: StoredDowntime): Promise<void>;
  writeAlertEvent(e: AlertEvent): Promise<void>;
  /** Every change in [from, to) and, per line, the last change before `from` (the state it started in). */
  transitions(q: StateQuery): Promise<StoredTransition[]>;
  /** Stops that started in [from, to). */
  downtime(q: StateQuery): Promise<StoredDowntime[]>;
}
