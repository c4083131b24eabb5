import { join } from "node:path";
import type { Logger } from "pino";
import type { PointSink } from "../ingest/batch-writer.ts";
import { DiskSpool } from "./disk-spool.ts";
import type { OdometerMark, SampleStore } from "./sample-store.ts";
import { SpoolingSink } from "./spooling-sink.ts";

/** Where the BatchWriter's batches go, and what the gateway needs to know about it. */
export interface DurableWrites {
  sink: PointSink;
  /** Points in the disk spool, not yet in InfluxDB (0 without a spool). */
  spooled(): number;
  /** False while InfluxDB writes fail. */
  storeUp(): boolean;
  /** Newest point per series found in the spool at open: the tracker resumes from these and the store's marks. */
  spoolMarks: OdometerMark[];
  /** Starts draining what an earlier run left spooled. */
  start(): void;
  /** Stops draining and closes the spool (what is left stays on disk). */
  close(): Promise<void>;
}

export interface DurableWritesOptions {
  store: SampleStore;
  /** The spool lives in `{dataDir}/spool`; without a data dir, batches go straight to the store. */
  dataDir?: string | undefined;
  log: Logger;
  writeTimeoutMs?: number | undefined;
}

/** Opens the disk spool (recovering what a killed gateway left) in front of the store. */
export async function openDurableWrites(o: DurableWritesOptions): Promise<DurableWrites> {
  if (o.dataDir === undefined) {
    return {
      sink: o.store,
      spooled: () => 0,
      storeUp: () => true,
      spoolMarks: [],
      start: () => {},
      close: async () => {},
    };
  }
  const spool = await DiskSpool.open({ dir: join(o.dataDir, "spool"), log: o.log });
  const sink = new SpoolingSink({
    store: o.store,
    spool,
    log: o.log,
    ...(o.writeTimeoutMs !== undefined ? { writeTimeoutMs: o.writeTimeoutMs } : {}),
  });
  return {
    sink,
    spooled: () => sink.spooled,
    storeUp: () => sink.storeUp,
    spoolMarks: spool.recoveredMarks(),
    start: () => sink.start(),
    close: async () => {
      await sink.close();
      await spool.close();
    },
  };
}

/**
 * Runs `step` until it succeeds, with capped backoff: at start the gateway must read the odometer marks
 * from InfluxDB before it takes any sample (or it would count them again), so an InfluxDB that is down
 * delays the start instead of failing it.
 */
export async function retryUntilUp<T>(step: () => Promise<T>, what: string, log: Logger): Promise<T> {
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt === 1 || attempt % 10 === 0) log.warn({ err, attempt, what }, "store not ready, retrying");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}
