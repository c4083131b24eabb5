import { isId } from "./ids.ts";

/** Wire contract version carried in every topic and payload. */
export const WIRE_VERSION = 1;
const ROOT = `mt/v${WIRE_VERSION}`;

export const topics = {
  telemetry: (plant: string, line: string) => `${ROOT}/${plant}/${line}/telemetry`,
  status: (plant: string, line: string) => `${ROOT}/${plant}/${line}/status`,
  command: (plant: string, line: string, name: string) => `${ROOT}/${plant}/${line}/cmd/${name}`,
  alert: (plant: string, line: string) => `${ROOT}/alerts/${plant}/${line}`,
  /** Subscription filters the gateway and tools use. */
  allTelemetry: `${ROOT}/+/+/telemetry`,
  allStatus: `${ROOT}/+/+/status`,
} as const;

export type ParsedTopic =
  | { kind: "telemetry" | "status"; plant: string; line: string }
  | { kind: "command"; plant: string; line: string; name: string }
  | { kind: "alert"; plant: string; line: string };

/** Parses a concrete (wildcard-free) topic of the v1 contract; null for anything else. */
export function parseTopic(topic: string): ParsedTopic | null {
  const p = topic.split("/");
  if (p[0] !== "mt" || p[1] !== `v${WIRE_VERSION}`) return null;
  if (p.length === 5 && p[2] === "alerts") {
    return isId(p[3]) && isId(p[4]) ? { kind: "alert", plant: p[3], line: p[4] } : null;
  }
  const [, , plant, line, leaf, name] = p;
  if (!isId(plant) || !isId(line)) return null;
  if (p.length === 5 && (leaf === "telemetry" || leaf === "status")) return { kind: leaf, plant, line };
  if (p.length === 6 && leaf === "cmd" && isId(name)) return { kind: "command", plant, line, name };
  return null;
}
