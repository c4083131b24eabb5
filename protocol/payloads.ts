import { type Static, Type } from "@sinclair/typebox";
import { ID_PATTERN } from "./ids.ts";
import { compile, formatProblems } from "./validation.ts";

const Id = Type.String({ pattern: ID_PATTERN });
/** Odometers, seqs and timestamps: integers JSON and JavaScript both represent exactly. */
const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** ms since the Unix epoch, UTC. */
const Millis = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
/** Changes only when a device loses its odometer store; printable and short. */
const Epoch = Type.String({ pattern: "^[A-Za-z0-9_-]{1,32}$" });

/**
 * A telemetry sample: cumulative odometers, never deltas (DESIGN.md, counting contract).
 * Unknown extra fields are tolerated so a newer firmware does not lose counts on an older gateway.
 */
export const SampleSchema = Type.Object({
  v: Type.Literal(1),
  device: Id,
  epoch: Epoch,
  seq: Count,
  ts: Millis,
  good: Count,
  reject: Count,
  run: Type.Optional(Type.Boolean()),
  sensors: Type.Optional(
    Type.Record(Type.String({ pattern: "^[a-z][a-z0-9_]{0,31}$" }), Type.Number(), {
      additionalProperties: false,
      maxProperties: 32,
    }),
  ),
});
export type Sample = Static<typeof SampleSchema>;

/** Retained device status; also the device's last will (state "offline"). */
export const StatusSchema = Type.Object({
  v: Type.Literal(1),
  state: Type.Union([Type.Literal("online"), Type.Literal("offline")]),
  device: Id,
  epoch: Type.Optional(Epoch),
  ts: Type.Optional(Millis),
  /** Samples waiting in the device's outbox. */
  outbox: Type.Optional(Count),
  /** Whether the device's clock is synchronised (NTP); a Pi has no battery-backed clock. */
  clockSynced: Type.Optional(Type.Boolean()),
  firmware: Type.Optional(Type.String({ maxLength: 64 })),
  /** Whether the line's input hardware (Firmata board, PLC) answers; "fault" while unplugged or failing. */
  hardware: Type.Optional(Type.Union([Type.Literal("ok"), Type.Literal("fault")])),
  /** Why the hardware is at fault, e.g. "serial port /dev/ttyACM0 closed". */
  hardwareError: Type.Optional(Type.String({ maxLength: 200 })),
});
export type Status = Static<typeof StatusSchema>;

export const sampleChecker = compile(SampleSchema);
export const statusChecker = compile(StatusSchema);

/** Largest payload the gateway accepts on a device topic. A sample with 32 sensors is well under 2 KiB. */
export const MAX_PAYLOAD_BYTES = 4096;

export type PayloadReason = "too-large" | "bad-json" | "bad-schema";
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: PayloadReason; message: string };

/** The payload's text without copying it (Buffer.from(buffer) would copy every message). */
function utf8(payload: Uint8Array): string {
  return Buffer.isBuffer(payload)
    ? payload.toString("utf8")
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8");
}

function decode<T>(
  payload: Uint8Array | string,
  check: (v: unknown) => ReturnType<typeof sampleChecker.check>,
) {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) {
    return {
      ok: false,
      reason: "too-large",
      message: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    } as const;
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === "string" ? payload : utf8(payload));
  } catch (err) {
    return { ok: false, reason: "bad-json", message: (err as Error).message } as const;
  }
  const checked = check(json);
  if (!checked.ok)
    return { ok: false, reason: "bad-schema", message: formatProblems(checked.problems) } as const;
  return { ok: true, value: checked.value as T } as const;
}

export function decodeSample(payload: Uint8Array | string): Decoded<Sample> {
  return decode<Sample>(payload, sampleChecker.check);
}

export function decodeStatus(payload: Uint8Array | string): Decoded<Status> {
  return decode<Status>(payload, (v) => statusChecker.check(v) as ReturnType<typeof sampleChecker.check>);
}
