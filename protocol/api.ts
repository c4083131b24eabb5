/** Shapes of the HTTP API (CONTRACTS.md), shared by the gateway, the dashboard and tests. */

export interface Counts {
  good: number;
  reject: number;
}

export interface HealthResponse {
  status: "ok" | "degraded";
  influx: "up" | "down";
  spooled: number;
  clients: number;
  version: string;
}

export type LineState = "running" | "stopped" | "offline" | "idle" | "unknown";

export interface LineView {
  plant: string;
  plantName: string;
  line: string;
  name: string;
  state: LineState;
  /** ISO time the line entered `state`, or null when unknown. */
  since: string | null;
  today: Counts;
  ratePerMin: number;
  ratedPerMin: number;
  /** ISO time of the last message from the line's device, or null. */
  lastSeen: string | null;
}

export interface LinesResponse {
  /** Production day (YYYY-MM-DD) in the plant time zone of the registry. */
  date: string;
  lines: LineView[];
}

export interface OutputResponse {
  from: string;
  to: string;
  lines: Array<{ plant: string; line: string } & Counts>;
  total: Counts;
}

export interface ApiError {
  error: string;
  message: string;
}

/** Server-Sent Event `line`: a line's counts or state changed. */
export type LineEvent = LineView;
