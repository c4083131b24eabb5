import { type LineKey, lineKey, parseLineKey } from "../protocol/index.ts";
import type { StopWindow } from "./line-model.ts";

export interface LineStop extends StopWindow {
  key: LineKey;
}

/** Parses `plant/line@START+DURATION` (seconds of simulated time), e.g. `sr-01/l1@30+200`. */
export function parseStopSpec(spec: string): LineStop | { error: string } {
  const m = /^([^@]+)@(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)$/.exec(spec.trim());
  if (!m) return { error: `"${spec}" is not plant/line@START+DURATION (seconds), e.g. sr-01/l1@30+200` };
  const parsed = parseLineKey(m[1]!);
  if (!parsed) return { error: `"${m[1]}" is not a plant/line key` };
  return { key: lineKey(parsed.plant, parsed.line), startSec: Number(m[2]), durationSec: Number(m[3]) };
}
