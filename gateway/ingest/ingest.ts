import type { Logger } from "pino";
import {
  decodeSample,
  decodeStatus,
  lineKey,
  parseTopic,
  type Registry,
  registryLines,
  type Sample,
} from "../../protocol/index.ts";
import { type Identity, mayClaim, mayPublishFor } from "../auth/acl.ts";
import type { Devices } from "../auth/devices.ts";
import type { Clock } from "../clock.ts";
import type { LineStateTracker } from "../lines/line-state.ts";
import type { BatchWriter } from "./batch-writer.ts";
import type { DropCounter, DropReason } from "./drop-counter.ts";
import type { OdometerTracker } from "./odometer-tracker.ts";

/** DESIGN.md: a sample whose ts is more than 5 minutes ahead of the gateway's clock is dropped. */
export const MAX_FUTURE_MS = 5 * 60_000;

/**
 * What the broker must do with one publish:
 * - `accept`: let it through (telemetry: its point is already stored; status: line state updated);
 * - `drop`: acknowledge it to the device but deliver it nowhere (counted by reason);
 * - `deny`: a real ACL violation — refuse it and close the connection.
 */
export type Verdict =
  | { kind: "accept" }
  | { kind: "drop"; reason: DropReason }
  | { kind: "deny"; message: string };

export interface IngestDeps {
  registry: Registry;
  devices: Devices | null;
  tracker: OdometerTracker;
  writer: BatchWriter;
  lineState: LineStateTracker;
  drops: DropCounter;
  clock: Clock;
  log: Logger;
  /** Called for every publish from a device, for metrics. */
  onMessage?: (kind: "telemetry" | "status") => void;
  /** Cluster (ADR 0011): only the instance holding a line's lease counts its samples. */
  ownership?: LineOwnership | undefined;
}

/** Which gateway instance of a cluster counts a line (gateway/cluster/line-leases.ts). */
export interface LineOwnership {
  /** True when this instance owns the line now; `leave` must follow. */
  enter(plant: string, line: string): Promise<boolean>;
  /** True when the line stayed ours until now, so the PUBACK may go. */
  leave(plant: string, line: string): boolean;
}

interface Context {
  identity: Identity;
  clientId: string;
  plant: string;
  line: string;
}

/** A device topic of a registry line, parsed once: telemetry or status of (plant, line). */
interface Route {
  kind: "telemetry" | "status";
  plant: string;
  line: string;
  /** In the registry now (cached routes always are: a reload clears the cache). */
  known: boolean;
}

const ACCEPT: Verdict = Object.freeze({ kind: "accept" });
const accepted = (): Verdict => ACCEPT;

/**
 * The pipeline for one publish from a device: topic → line → payload → clock → device → odometer tracker →
 * batch writer. Resolves only when the broker may acknowledge: for a counted sample, once its point is stored.
 * Never throws for bad input: every rejection is a verdict.
 */
export class Ingest {
  #lines: Set<string>;
  /** Topic → route for registry lines: devices publish on the same few topics over and over. */
  readonly #routes = new Map<string, Route>();
  readonly #log: Logger;

  constructor(private readonly d: IngestDeps) {
    this.#lines = new Set(registryLines(d.registry).map(({ plant, line }) => lineKey(plant.id, line.id)));
    this.#log = d.log.child({ module: "ingest" });
  }

  /** Registry reload (issue 5): lines added are accepted from now on, removed ones dropped as unknown. */
  setRegistry(registry: Registry): void {
    this.#lines = new Set(registryLines(registry).map(({ plant, line }) => lineKey(plant.id, line.id)));
    this.#routes.clear();
  }

  /** Is `topic` the telemetry topic of a registry line (the broker's DirectAck takes only those)? */
  isTelemetry(topic: string): boolean {
    const route = this.#route(topic);
    return route?.known === true && route.kind === "telemetry";
  }

  handle(identity: Identity, clientId: string, topic: string, payload: Uint8Array): Promise<Verdict> {
    try {
      return this.#dispatch(identity, clientId, topic, payload);
    } catch (err) {
      return Promise.reject(err); // the broker refuses the publish; a bug must not escape into aedes
    }
  }

  #dispatch(identity: Identity, clientId: string, topic: string, payload: Uint8Array): Promise<Verdict> {
    const route = this.#route(topic);
    if (route === null) {
      return Promise.resolve({ kind: "deny", message: `publishing to "${topic}" is not allowed` });
    }
    this.d.onMessage?.(route.kind);
    const ctx: Context = { identity, clientId, plant: route.plant, line: route.line };
    if (!route.known) return this.#drop(ctx, "unknown-line", {});
    if (!mayPublishFor(identity, ctx.plant, ctx.line)) return this.#drop(ctx, "not-allowed", {});
    this.d.lineState.messageSeen(ctx.plant, ctx.line);
    return route.kind === "telemetry" ? this.#telemetry(ctx, payload) : this.#status(ctx, payload);
  }

  /** The topic's route, or null when devices may not publish there; cached for registry lines only. */
  #route(topic: string): Route | null {
    const cached = this.#routes.get(topic);
    if (cached !== undefined) return cached;
    const parsed = parseTopic(topic);
    if (parsed === null || (parsed.kind !== "telemetry" && parsed.kind !== "status")) return null;
    const known = this.#lines.has(lineKey(parsed.plant, parsed.line));
    const route: Route = { kind: parsed.kind, plant: parsed.plant, line: parsed.line, known };
    // Only registry lines: a client inventing topics must not grow the cache.
    if (known) this.#routes.set(topic, route);
    return route;
  }

  /**
   * In a cluster, a sample for a line another instance owns is refused before its PUBACK (the connection
   * closes): the device keeps it and resends it after reconnecting through the load balancer (ADR 0011).
   */
  #telemetry(ctx: Context, payload: Uint8Array): Promise<Verdict> {
    const own = this.d.ownership;
    if (own === undefined) return this.#count(ctx, payload);
    return this.#owned(own, ctx, payload);
  }

  async #owned(own: LineOwnership, ctx: Context, payload: Uint8Array): Promise<Verdict> {
    const elsewhere = {
      kind: "deny",
      message: `line ${ctx.plant}/${ctx.line} is counted by another gateway instance`,
    } as const;
    if (!(await own.enter(ctx.plant, ctx.line))) return elsewhere;
    let verdict: Verdict | undefined;
    try {
      verdict = await this.#count(ctx, payload, false);
    } finally {
      const held = own.leave(ctx.plant, ctx.line);
      if (!held) verdict = elsewhere;
    }
    return verdict;
  }

  /** `seenJustNow`: #dispatch's messageSeen ran in this same synchronous call (no await in between). */
  #count(ctx: Context, payload: Uint8Array, seenJustNow = true): Promise<Verdict> {
    const decoded = decodeSample(payload);
    if (!decoded.ok) return this.#drop(ctx, decoded.reason, { problem: decoded.message });
    const sample = decoded.value;
    const rejected = this.#checkSample(ctx, sample);
    if (rejected !== null) return rejected;
    const result = this.d.tracker.accept(ctx.plant, ctx.line, sample);
    if (!result.ok) {
      return this.#drop(ctx, result.reason, { device: sample.device, epoch: sample.epoch, seq: sample.seq });
    }
    if (result.resets.length > 0) {
      this.#log.warn(
        {
          plant: ctx.plant,
          line: ctx.line,
          device: sample.device,
          epoch: sample.epoch,
          seq: sample.seq,
          channels: result.resets,
        },
        "odometer went down within an epoch: counted as a reset",
      );
    }
    const { point } = result;
    const extra = { run: sample.run, sensors: sample.sensors };
    if (seenJustNow) this.d.lineState.sampleCounted(ctx.plant, ctx.line, point.ts, point.good, extra);
    else this.d.lineState.sampleAccepted(ctx.plant, ctx.line, point.ts, point.good, extra);
    return this.d.writer.enqueue(point).then(accepted);
  }

  #checkSample(ctx: Context, sample: Sample): Promise<Verdict> | null {
    const now = this.d.clock.now();
    if (sample.ts > now + MAX_FUTURE_MS) {
      return this.#drop(ctx, "future-ts", { device: sample.device, seq: sample.seq, ts: sample.ts, now });
    }
    if (!mayClaim(ctx.identity, this.d.devices, sample.device, ctx.plant, ctx.line)) {
      return this.#drop(ctx, "not-allowed", { device: sample.device });
    }
    return null;
  }

  async #status(ctx: Context, payload: Uint8Array): Promise<Verdict> {
    const decoded = decodeStatus(payload);
    if (!decoded.ok) return this.#drop(ctx, decoded.reason, { problem: decoded.message });
    const status = decoded.value;
    if (!mayClaim(ctx.identity, this.d.devices, status.device, ctx.plant, ctx.line)) {
      return this.#drop(ctx, "not-allowed", { device: status.device });
    }
    this.d.lineState.statusReceived(ctx.plant, ctx.line, status.state);
    return ACCEPT;
  }

  /**
   * Counts and logs the drop, then waits until every point accepted before it is stored: the device's
   * PUBACK for a duplicate must not overtake the PUBACK of the original, still on its way to the store.
   */
  async #drop(ctx: Context, reason: DropReason, details: Record<string, unknown>): Promise<Verdict> {
    this.d.drops.drop(reason, { client: ctx.clientId, plant: ctx.plant, line: ctx.line, ...details });
    await this.d.writer.barrier();
    return { kind: "drop", reason };
  }
}
