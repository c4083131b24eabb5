import { type Static, Type } from "@sinclair/typebox";
import { ID_PATTERN, isId } from "./ids.ts";
import type { Decoded } from "./payloads.ts";
import { WIRE_VERSION } from "./topics.ts";
import { compile, formatProblems } from "./validation.ts";

/**
 * Federation (issue 8, ADR 0009): a plant gateway forwards per-minute roll-ups of its lines to a bureau
 * gateway on `mt/v1/{plant}/rollup` (QoS 1). Four levels, so it can never be mistaken for a line topic.
 */
export const rollupTopic = (plant: string) => `mt/v${WIRE_VERSION}/${plant}/rollup`;

/** The plant of a roll-up topic, or null when the topic is not one. */
export function parseRollupTopic(topic: string): string | null {
  const p = topic.split("/");
  return p.length === 4 && p[0] === "mt" && p[1] === `v${WIRE_VERSION}` && p[3] === "rollup" && isId(p[2])
    ? p[2]
    : null;
}

const Id = Type.String({ pattern: ID_PATTERN });
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Millis = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
export const MINUTE_MS = 60_000;

/**
 * One minute of one line: `t` the minute's start (ms, a multiple of 60,000), `g`/`r` the ABSOLUTE sums of
 * good and reject counts the plant has stored for that minute — never deltas, so a minute re-sent later with
 * late samples replaces the earlier value at the bureau instead of adding to it.
 */
const MinuteSchema = Type.Object(
  {
    t: Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, multipleOf: MINUTE_MS }),
    g: Count,
    r: Count,
  },
  { additionalProperties: false },
);

const LINE_STATES = ["running", "stopped", "offline", "idle", "unknown"] as const;

const RollupLineSchema = Type.Object(
  {
    line: Id,
    minutes: Type.Array(MinuteSchema, { maxItems: 1440 }),
    /** The line's state at the plant when the message was built, and since when (ms). */
    state: Type.Optional(
      Type.Object({
        state: Type.Union(LINE_STATES.map((s) => Type.Literal(s))),
        since: Type.Union([Millis, Type.Null()]),
      }),
    ),
    /** Active alerts on the line at the plant (kind and when raised). */
    alerts: Type.Optional(
      Type.Array(
        Type.Object({ kind: Type.String({ maxLength: 32 }), raisedAt: Type.String({ maxLength: 40 }) }),
        {
          maxItems: 16,
        },
      ),
    ),
    /** The plant's registry entry for the line, so the bureau can spot a registry that disagrees. */
    entry: Type.Optional(
      Type.Object({
        name: Type.String({ maxLength: 100 }),
        type: Type.String({ maxLength: 16 }),
        ratedPerMin: Type.Number(),
      }),
    ),
  },
  { additionalProperties: false },
);

/** A roll-up message: what one plant gateway knew at `sent` (its clock), `every` ms apart when current. */
export const RollupSchema = Type.Object(
  {
    v: Type.Literal(1),
    gateway: Id,
    sent: Millis,
    every: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
    lines: Type.Array(RollupLineSchema, { maxItems: 200 }),
  },
  { additionalProperties: true },
);
export type Rollup = Static<typeof RollupSchema>;
export type RollupLine = Rollup["lines"][number];

export const rollupChecker = compile(RollupSchema);

/** Largest roll-up the bureau accepts (the broker's default packet limit is 64 KiB). */
export const MAX_ROLLUP_BYTES = 60 * 1024;
/** Minute entries per message the forwarder puts in one message (≈ 36 bytes each). */
export const MAX_ROLLUP_MINUTES = 1000;

export function decodeRollup(payload: Uint8Array | string): Decoded<Rollup> {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_ROLLUP_BYTES) {
    return {
      ok: false,
      reason: "too-large",
      message: `roll-up of ${size} bytes exceeds ${MAX_ROLLUP_BYTES}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8"));
  } catch (err) {
    return { ok: false, reason: "bad-json", message: (err as Error).message };
  }
  const checked = rollupChecker.check(json);
  if (!checked.ok) return { ok: false, reason: "bad-schema", message: formatProblems(checked.problems) };
  return { ok: true, value: checked.value };
}
