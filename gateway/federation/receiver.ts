import {
  decodeRollup,
  MINUTE_MS,
  parseRollupTopic,
  type Registry,
  type Rollup,
  registryLines,
} from "../../protocol/index.ts";
import { type Identity, mayPublishFor } from "../auth/acl.ts";
import type { Clock } from "../clock.ts";
import type { BatchWriter } from "../ingest/batch-writer.ts";
import type { DropCounter, DropReason } from "../ingest/drop-counter.ts";
import { MAX_FUTURE_MS, type Verdict } from "../ingest/ingest.ts";
import type { OutputPoint } from "../store/sample-store.ts";
import type { FreshnessBoard } from "./freshness.ts";

/**
 * The epoch tag of roll-up points. `~` is outside the device epoch alphabet (protocol/payloads.ts), so a
 * device's samples and a plant's roll-ups can never share a series.
 */
export const ROLLUP_EPOCH = "~rollup";

export interface ReceiverDeps {
  registry: () => Registry;
  writer: Pick<BatchWriter, "enqueue" | "barrier">;
  drops: DropCounter;
  freshness: FreshnessBoard;
  clock: Clock;
}

/** A minute's absolute sums as one point keyed by (plant, line, ~rollup, minute): re-sent, it overwrites. */
function toPoint(
  plant: string,
  line: string,
  gateway: string,
  m: { t: number; g: number; r: number },
): OutputPoint {
  return {
    ...{ plant, line, epoch: ROLLUP_EPOCH, device: gateway, seq: m.t / MINUTE_MS, ts: m.t },
    ...{ good: m.g, reject: m.r, goodOdo: m.g, rejectOdo: m.r },
  };
}

/**
 * The bureau side of federation (ADR 0009): a roll-up from a plant gateway becomes one point per line and
 * minute, stored before the broker acknowledges it (like a device sample). Lines the bureau does not know
 * or the sender may not speak for are dropped one by one (counted), never the whole message.
 */
export class RollupReceiver {
  constructor(private readonly d: ReceiverDeps) {}

  static isRollupTopic(topic: string): boolean {
    return parseRollupTopic(topic) !== null;
  }

  async handle(identity: Identity, clientId: string, topic: string, payload: Uint8Array): Promise<Verdict> {
    const plant = parseRollupTopic(topic);
    if (plant === null) return { kind: "deny", message: `publishing to "${topic}" is not allowed` };
    const reg = this.d.registry();
    const lines = registryLines(reg).filter((l) => l.plant.id === plant);
    if (lines.length === 0) return this.#drop("unknown-line", { client: clientId, plant });
    if (!lines.some((l) => mayPublishFor(identity, plant, l.line.id))) {
      return { kind: "deny", message: `roll-ups for plant "${plant}" are not allowed` };
    }
    const decoded = decodeRollup(payload);
    if (!decoded.ok) return this.#drop(decoded.reason, { client: clientId, plant, problem: decoded.message });
    const rollup = decoded.value;
    if (identity.kind === "device" && identity.id !== rollup.gateway) {
      return this.#drop("not-allowed", { client: clientId, plant, gateway: rollup.gateway });
    }
    const known = new Set(lines.map((l) => l.line.id));
    const points = this.#points(identity, clientId, plant, known, rollup);
    await Promise.all(points.map((p) => this.d.writer.enqueue(p)));
    this.d.freshness.record(plant, rollup);
    return { kind: "accept" };
  }

  #points(identity: Identity, clientId: string, plant: string, known: Set<string>, r: Rollup): OutputPoint[] {
    const horizon = this.d.clock.now() + MAX_FUTURE_MS;
    const points: OutputPoint[] = [];
    for (const l of r.lines) {
      const where = { client: clientId, plant, line: l.line, gateway: r.gateway };
      if (!known.has(l.line)) {
        this.d.drops.drop("unknown-line", where);
        continue;
      }
      if (!mayPublishFor(identity, plant, l.line)) {
        this.d.drops.drop("not-allowed", where);
        continue;
      }
      for (const m of l.minutes) {
        if (m.t > horizon) this.d.drops.drop("future-ts", { ...where, t: m.t });
        else points.push(toPoint(plant, l.line, r.gateway, m));
      }
    }
    return points;
  }

  async #drop(reason: DropReason, details: Record<string, unknown>): Promise<Verdict> {
    this.d.drops.drop(reason, details);
    await this.d.writer.barrier();
    return { kind: "drop", reason };
  }
}
