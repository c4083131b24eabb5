import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { DiskOutbox } from "../../firmware/disk-outbox.ts";
import { MqttPublisher } from "../../firmware/mqtt-publisher.ts";
import { MemoryOutbox, type Outbox } from "../../firmware/outbox.ts";
import { ConfigError } from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { DirtyMinutes } from "./dirty-minutes.ts";
import { type ForwardedLine, Forwarder, type ForwarderDeps } from "./forwarder.ts";
import type { MinuteSums } from "./minute-sums.ts";

/** Gateway config `upstream`: this gateway forwards roll-ups to a bureau gateway (issue 8, ADR 0009). */
export interface UpstreamSettings {
  /** mqtt:// or mqtts:// URL of the bureau gateway's broker. */
  broker: string;
  /** This gateway's device id at the bureau (its devices file lists it with the plants' lines). */
  username: string;
  /** File holding the password (trimmed); omit only against a bureau that allows anonymous clients. */
  passwordFile?: string | undefined;
  /** Plants forwarded (default: every plant in this gateway's registry). */
  plants?: string[] | undefined;
  /** How often roll-ups are built (default 10 s). */
  intervalMs?: number | undefined;
  /** At start, minutes this far back are sent again, in case a crash lost them before the outbox (default 24 h). */
  resyncHours?: number | undefined;
}

export interface UpstreamDeps {
  settings: UpstreamSettings;
  /** The outbox journal lives in `{dataDir}/upstream`; without one (tests), in memory. */
  dataDir: string | undefined;
  dirty: DirtyMinutes;
  sums: MinuteSums;
  lines: () => ForwardedLine[];
  live?: ForwarderDeps["live"];
  clock: Clock;
  log: Logger;
}

export interface RunningUpstream {
  /** Roll-ups waiting in the outbox. */
  pending(): number;
  /** Builds and queues one tick now (tests, shutdown). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

async function password(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new ConfigError("gateway settings", [
      { path: "/upstream/passwordFile", message: `cannot read: ${(err as Error).message}` },
    ]);
  }
}

/**
 * The plant side of federation: a forwarder ticking every `intervalMs` into a disk outbox (the firmware's
 * journal, ADR 0008 — the same store-and-forward guarantees as a device), drained to the bureau by the
 * firmware's QoS 1 publisher with ONE message in flight, so a newer sum of a minute is never overtaken by
 * an older one. The outbox never coalesces (its budget is unbounded): roll-ups, unlike samples, are not
 * cumulative, so dropping one would lose its minutes.
 */
export async function startUpstream(d: UpstreamDeps): Promise<RunningUpstream> {
  const s = d.settings;
  const log = d.log.child({ module: "upstream" });
  const everyMs = s.intervalMs ?? 10_000;
  const outbox: Outbox =
    d.dataDir === undefined
      ? new MemoryOutbox(Number.MAX_SAFE_INTEGER)
      : await DiskOutbox.open({ dir: join(d.dataDir, "upstream"), maxBytes: Number.MAX_SAFE_INTEGER, log });
  const forwarder = new Forwarder({ ...d, outbox, gateway: s.username, everyMs });
  const publisher = new MqttPublisher(outbox, {
    url: s.broker,
    clientId: s.username,
    username: s.username,
    ...{ password: await password(s.passwordFile) },
    window: 1,
    backoff: { minMs: 500, maxMs: 10_000 },
    log,
  });
  let resynced = false;
  let running: Promise<void> | null = null;
  const once = async () => {
    if (!resynced) {
      const rows = await forwarder.resync(d.clock.now() - (s.resyncHours ?? 24) * 3_600_000);
      resynced = true;
      log.info({ rows }, "upstream resync queued");
    }
    const appended = await forwarder.tick();
    if (appended > 0) publisher.kick();
  };
  const tick = () => {
    running ??= once()
      .catch((err: Error) => log.warn({ err: err.message }, "roll-up tick failed; minutes kept for the next"))
      .finally(() => {
        running = null;
      });
    return running;
  };
  publisher.start();
  const timer = setInterval(() => void tick(), everyMs);
  void tick();
  log.info({ broker: s.broker, gateway: s.username, everyMs, pending: outbox.depth }, "upstream started");
  return {
    pending: () => outbox.depth,
    tick: async () => {
      await running;
      await tick();
    },
    stop: async () => {
      clearInterval(timer);
      await running;
      await tick();
      await publisher.drained(2000);
      await publisher.stop();
      await outbox.close?.();
    },
  };
}
