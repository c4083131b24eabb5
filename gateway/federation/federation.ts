import type { Logger } from "pino";
import { type Registry, registryLines } from "../../protocol/index.ts";
import type { Identity } from "../auth/acl.ts";
import type { Clock } from "../clock.ts";
import type { BatchWriter } from "../ingest/batch-writer.ts";
import { DropCounter, type DropReason } from "../ingest/drop-counter.ts";
import type { Verdict } from "../ingest/ingest.ts";
import type { LineStateTracker } from "../lines/line-state.ts";
import type { SampleStore } from "../store/sample-store.ts";
import { DirtyMinutes, markingWrites } from "./dirty-minutes.ts";
import type { ForwardedLine, ForwarderDeps } from "./forwarder.ts";
import { FreshnessBoard } from "./freshness.ts";
import { type MinuteSums, StoreMinuteSums } from "./minute-sums.ts";
import { RollupReceiver } from "./receiver.ts";
import { type RunningUpstream, startUpstream, type UpstreamSettings } from "./upstream.ts";

/**
 * The gateway's two federation roles, wired by the composition root (gateway.ts): every gateway can receive
 * roll-ups (it is then a bureau for the plants that send them), and one with `upstream` forwards its own.
 */
export class Federation {
  readonly freshness: FreshnessBoard;
  readonly #dirty: DirtyMinutes | null;
  #receiver: RollupReceiver | null = null;

  constructor(private readonly o: { upstream?: UpstreamSettings | undefined; clock: Clock; log: Logger }) {
    this.freshness = new FreshnessBoard(o.clock);
    const plants = o.upstream?.plants;
    this.#dirty =
      o.upstream === undefined ? null : new DirtyMinutes(plants === undefined ? null : new Set(plants));
  }

  /** The store the writer and spool write through: with `upstream`, writes mark their minutes to forward. */
  writesThrough(store: SampleStore): SampleStore {
    return this.#dirty === null ? store : markingWrites(store, this.#dirty);
  }

  /** Bureau side: roll-up publishes go here instead of device ingest. */
  receive(deps: {
    registry: () => Registry;
    writer: Pick<BatchWriter, "enqueue" | "barrier">;
    onDrop: (reason: DropReason) => void;
  }): void {
    const drops = new DropCounter(
      this.o.log.child({ module: "federation" }),
      this.o.clock,
      10_000,
      deps.onDrop,
    );
    this.#receiver = new RollupReceiver({ ...deps, drops, freshness: this.freshness, clock: this.o.clock });
  }

  /** Routes a publish: a roll-up to the receiver, anything else to `next` (device ingest). */
  route(
    next: (identity: Identity, clientId: string, topic: string, payload: Uint8Array) => Promise<Verdict>,
  ): (identity: Identity, clientId: string, topic: string, payload: Uint8Array) => Promise<Verdict> {
    return (identity, clientId, topic, payload) =>
      // endsWith first: device samples (the bulk) skip the full parse.
      this.#receiver !== null && topic.endsWith("/rollup") && RollupReceiver.isRollupTopic(topic)
        ? this.#receiver.handle(identity, clientId, topic, payload)
        : next(identity, clientId, topic, payload);
  }

  /** Plant side: starts forwarding when `upstream` is configured; null otherwise. */
  async startUpstream(deps: {
    registry: () => Registry;
    sums: MinuteSums | null;
    store: SampleStore;
    lineState: Pick<LineStateTracker, "snapshot">;
    activeAlerts: (plant: string, line: string) => Array<{ kind: string; raisedAt: string }>;
    dataDir: string | undefined;
  }): Promise<RunningUpstream | null> {
    const settings = this.o.upstream;
    if (settings === undefined || this.#dirty === null) return null;
    const plants = settings.plants === undefined ? null : new Set(settings.plants);
    const lines = (): ForwardedLine[] =>
      registryLines(deps.registry())
        .filter(({ plant }) => plants === null || plants.has(plant.id))
        .map(({ plant, line }) => ({
          plant: plant.id,
          line: line.id,
          entry: { name: line.name, type: line.type, ratedPerMin: line.ratedPerMin },
        }));
    const live: ForwarderDeps["live"] = (plant, line) => {
      const snap = deps.lineState.snapshot(plant, line);
      return {
        ...(snap !== undefined ? { state: { state: snap.state, since: snap.since } } : {}),
        alerts: deps.activeAlerts(plant, line).slice(0, 16),
      };
    };
    return startUpstream({
      ...{ settings, dataDir: deps.dataDir, dirty: this.#dirty, lines, live },
      sums: deps.sums ?? new StoreMinuteSums(deps.store),
      clock: this.o.clock,
      log: this.o.log,
    });
  }
}
