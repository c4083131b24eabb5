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
  /** Alert delivery (issue 5); absent when alerts are not wired. */
  alerts?: AlertHealth;
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

// ---- issue 5: OEE, plant days, capacity, alerts ----

/** OEE of a line over a shift or production day; each factor in [0, 1], null where data is missing. */
export interface Oee {
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  /** Why a factor is null or was capped (English; empty when everything was measured). */
  explanation: string[];
}

export interface LinePeriod extends Counts {
  line: string;
  name: string;
  runMinutes: number;
  plannedMinutes: number;
  oee: Oee;
}

export interface PlantDaysResponse {
  plant: string;
  from: string;
  to: string;
  days: Array<{ date: string; total: Counts; lines: LinePeriod[] }>;
}

export interface PlantShiftsResponse {
  plant: string;
  /** Shifts that start on this date (a night shift spanning midnight belongs to the date it starts on). */
  date: string;
  shifts: Array<{ name: string; from: string; to: string; total: Counts; lines: LinePeriod[] }>;
}

export interface CapacityPlant {
  id: string;
  name: string;
  region: string;
  /** The plant's daily target, or null when the registry gives none. */
  target: number | null;
  /** Σ rated speed × planned minutes of the day (masks). */
  installed: number;
  output: Counts;
  /** good / target, or null without a target. */
  percentOfTarget: number | null;
  producingLines: number;
  lines: number;
  /** Whether any line's device was heard from within the reporting window (live, whatever `date`). */
  reporting: boolean;
  lastSeen: string | null;
  /** On a bureau gateway, how fresh the plant gateway's roll-ups are (issue 8); absent for local plants. */
  upstream?: PlantFreshness;
}

/**
 * A federated plant's freshness at the bureau: `current` ("reported 14:02"), `backfilling` (replaying a
 * backlog `lagMs` old: "backfilling 3 h"), or `silent` (nothing for a while: "no data since 09:40").
 */
export interface PlantFreshness {
  state: "current" | "backfilling" | "silent";
  gateway: string;
  /** When the bureau last received a roll-up from the plant (ISO). */
  reportedAt: string;
  /** How far behind the plant's newest roll-up was when received (ms; 0 when current). */
  lagMs: number;
  /** English label; the dashboard localises from the fields. */
  label: string;
  /** Line states at the plant, as of its newest roll-up. */
  lines: Array<{ line: string; state: LineState; since: string | null; alerts: number }>;
}

export interface CapacityRegion {
  id: string;
  name: string;
  target: number | null;
  installed: number;
  output: Counts;
  percentOfTarget: number | null;
  producingPlants: number;
  plants: number;
}

export interface CapacityResponse {
  date: string;
  /** The province's daily target (registry `target.daily`). */
  target: number;
  installed: number;
  output: Counts;
  percentOfTarget: number | null;
  producingPlants: number;
  /** Output from the registry's startDate through `date`, or null without a startDate. */
  cumulative: ({ since: string } & Counts) | null;
  /** Plants none of whose devices reported within the reporting window. */
  notReporting: string[];
  regions: CapacityRegion[];
  plants: CapacityPlant[];
}

export type AlertKind = "line-stopped" | "device-offline" | "sensor-limit";
export type AlertState = "raised" | "acknowledged" | "resolved";
export const ACK_REASONS = [
  "material-shortage",
  "ear-loop-welder",
  "nose-wire-jam",
  "no-operator",
  "other",
] as const;
export type AckReason = (typeof ACK_REASONS)[number];
/** zh-CN names of the downtime reasons (DESIGN.md, words the users use). */
export const ACK_REASON_ZH: Record<AckReason, string> = {
  "material-shortage": "缺料",
  "ear-loop-welder": "耳带焊接故障",
  "nose-wire-jam": "鼻梁条卡料",
  "no-operator": "无人值守",
  other: "其他",
};

export interface AlertView {
  id: string;
  kind: AlertKind;
  plant: string;
  line: string;
  plantName: string;
  lineName: string;
  state: AlertState;
  /** When the condition began (the line stopped, the device went silent, the reading left its limits). */
  since: string;
  raisedAt: string;
  ackedAt: string | null;
  ackedBy: string | null;
  ackReason: AckReason | null;
  ackNote: string | null;
  escalatedAt: string | null;
  resolvedAt: string | null;
  /** line-stopped, once resolved: how long the line stood still. */
  downtimeMs: number | null;
  /** sensor-limit: which reading, its value and limits. */
  sensor: { name: string; value: number; min: number | null; max: number | null } | null;
  /** Chinese first, then English. */
  message: string;
  /** The dashboard's technician view of this alert, when a public base URL is configured. */
  url: string | null;
}

export interface AlertsResponse {
  alerts: AlertView[];
}

export interface AckRequest {
  by: string;
  reason?: AckReason;
  note?: string;
}

/** MQTT `mt/v1/alerts/{plant}/{line}`, SSE `alert` and the generic webhook: one step of an alert's life. */
export interface AlertEvent {
  v: 1;
  event: "raised" | "reminder" | "escalated" | "acknowledged" | "resolved";
  ts: number;
  alert: AlertView;
}

/** /api/health `alerts` field: webhook delivery health. */
export interface AlertHealth {
  active: number;
  webhooks: { pending: number; failed: number; delivered: number; lastError: string | null };
}

/** `GET /api/plants/:plant/hourly?date=YYYY-MM-DD` — the plant view's hourly chart and shift totals. */
export interface PlantHourlyResponse {
  plant: string;
  date: string;
  /** One entry per hour of the production day (local midnight on), with each line's counts in it. */
  hours: Array<{ from: string; lines: Record<string, Counts> }>;
  /** The shifts that start on `date`, with each line's counts. */
  shifts: Array<{ name: string; from: string; to: string; lines: Record<string, Counts> }>;
}

/** A role of the API's access rules (DESIGN.md, security; docs/adr/0006). */
export type Role = "admin" | "bureau" | "manager" | "technician";

/**
 * Who is asking (`GET /api/me`): `admin` everything; `bureau` every plant, read-only; `manager` their
 * plant; `technician` their plant's lines and alerts (and acknowledging them). `public` marks the anonymous
 * reader of the public bureau board.
 */
export interface Principal {
  name: string;
  role: Role;
  plant?: string;
  public?: boolean;
}
