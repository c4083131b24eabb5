import { isId, WIRE_VERSION } from "../../protocol/index.ts";

/**
 * What each level of `mt/v{N}/{plant}/{line}/telemetry` may be: a fixed word, or a plant or line id. The plant
 * level is never "alerts": `mt/v1/alerts/{plant}/{line}` is the alert topic (protocol/topics.ts parseTopic).
 */
const LEVELS: ReadonlyArray<(level: string) => boolean> = [
  (l) => l === "mt",
  (l) => l === `v${WIRE_VERSION}`,
  (l) => isId(l) && l !== "alerts",
  (l) => isId(l),
  (l) => l === "telemetry",
];

/**
 * Could the subscription `filter` match some line's telemetry topic? MQTT 3.1.1 §4.7: `+` matches one level,
 * `#` the rest including the parent level ("a/#" matches "a"). Conservative: any plant or line id may exist.
 * The broker takes telemetry off aedes' delivery path only while no granted filter could (broker-direct-ack.ts).
 */
export function mayMatchTelemetry(filter: string): boolean {
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level === "#") return true;
    const fits = LEVELS[i];
    if (fits === undefined || (level !== "+" && !fits(level))) return false;
  }
  return levels.length === LEVELS.length;
}
