import type { Outbox } from "../../firmware/outbox.ts";
import {
  lineKey,
  MAX_ROLLUP_MINUTES,
  MINUTE_MS,
  type Rollup,
  type RollupLine,
  rollupTopic,
} from "../../protocol/index.ts";
import type { Clock } from "../clock.ts";
import type { DirtyMinutes, DirtySet } from "./dirty-minutes.ts";
import type { MinuteRow, MinuteSums } from "./minute-sums.ts";

/** Lines per message, so a message stays well under the bureau's packet limit (MAX_ROLLUP_BYTES). */
const MAX_LINES_PER_MESSAGE = 60;

export interface ForwardedLine {
  plant: string;
  line: string;
  entry: NonNullable<RollupLine["entry"]>;
}

export interface ForwarderDeps {
  dirty: DirtyMinutes;
  sums: MinuteSums;
  outbox: Pick<Outbox, "append" | "depth">;
  /** This plant gateway's id (its device id at the bureau). */
  gateway: string;
  everyMs: number;
  /** The lines forwarded (the registry's, filtered to the upstream plants). */
  lines: () => ForwardedLine[];
  /** The line's live state and active alerts at this gateway. */
  live?: (plant: string, line: string) => Pick<RollupLine, "state" | "alerts">;
  clock: Clock;
}

type Entry = { line: string; minute: RollupLine["minutes"][number] };

/**
 * Builds the roll-up messages of one tick and puts them in the outbox (durably, before anything is sent):
 * for every dirty minute, the minute's absolute sums as the plant's store has them now. When nothing is dirty
 * and nothing is waiting, a heartbeat (every line, no minutes) carries states and registry entries, so the
 * bureau knows the plant is current. Nothing is lost when a tick fails: its minutes are marked dirty again.
 */
export class Forwarder {
  constructor(private readonly d: ForwarderDeps) {}

  /** Marks every minute the store has in [from, now] dirty: after a restart, what may not have been sent. */
  async resync(fromMs: number): Promise<number> {
    const from = Math.floor(fromMs / MINUTE_MS) * MINUTE_MS;
    const rows = await this.d.sums.range(from, this.d.clock.now() + MINUTE_MS);
    const forwarded = new Set(this.d.lines().map((l) => lineKey(l.plant, l.line)));
    for (const r of rows)
      if (forwarded.has(lineKey(r.plant, r.line))) this.d.dirty.mark(r.plant, r.line, r.t);
    return rows.length;
  }

  /** One tick; resolves with the number of messages appended. */
  async tick(): Promise<number> {
    const taken = this.d.dirty.take();
    try {
      const heartbeat = taken.size === 0 && this.d.outbox.depth === 0;
      const entries = taken.size === 0 ? new Map<string, Entry[]>() : await this.#entries(taken);
      let appended = 0;
      for (const message of this.#messages(entries, heartbeat)) {
        await this.d.outbox.append(rollupTopic(message.plant), JSON.stringify(message.body));
        appended++;
      }
      return appended;
    } catch (err) {
      this.d.dirty.giveBack(taken);
      throw err;
    }
  }

  /** Minute entries per plant, in line then time order. */
  async #entries(taken: DirtySet): Promise<Map<string, Entry[]>> {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const minutes of taken.values())
      for (const t of minutes) {
        min = Math.min(min, t);
        max = Math.max(max, t);
      }
    const rows = new Map<string, MinuteRow>();
    for (const r of await this.d.sums.range(min, max + MINUTE_MS)) rows.set(`${r.plant}/${r.line}@${r.t}`, r);
    const out = new Map<string, Entry[]>();
    for (const [key, minutes] of [...taken].sort(([a], [b]) => a.localeCompare(b))) {
      const [plant, line] = key.split("/") as [string, string];
      const list = out.get(plant) ?? [];
      for (const t of [...minutes].sort((a, b) => a - b)) {
        // A dirty minute always has a point; a missing row (dropped by retention) is sent as zero.
        const r = rows.get(`${key}@${t}`);
        list.push({ line, minute: { t, g: r?.good ?? 0, r: r?.reject ?? 0 } });
      }
      out.set(plant, list);
    }
    return out;
  }

  *#messages(entries: Map<string, Entry[]>, heartbeat: boolean): Generator<{ plant: string; body: Rollup }> {
    const lines = this.d.lines();
    const plants = [...new Set([...entries.keys(), ...(heartbeat ? lines.map((l) => l.plant) : [])])].sort();
    for (const plant of plants) {
      const chunks = chunk(entries.get(plant) ?? []);
      if (heartbeat) chunks.push([]);
      for (const [i, part] of chunks.entries()) {
        const byLine = new Map<string, RollupLine>();
        for (const e of part) this.#line(byLine, plant, e.line).minutes.push(e.minute);
        if (heartbeat && i === chunks.length - 1) {
          for (const l of lines) if (l.plant === plant) this.#line(byLine, plant, l.line).entry = l.entry;
        }
        for (const group of chunkLines([...byLine.values()])) {
          yield {
            plant,
            body: {
              v: 1,
              gateway: this.d.gateway,
              sent: this.d.clock.now(),
              every: this.d.everyMs,
              lines: group,
            },
          };
        }
      }
    }
  }

  #line(byLine: Map<string, RollupLine>, plant: string, line: string): RollupLine {
    let l = byLine.get(line);
    if (l === undefined) {
      l = { line, minutes: [], ...this.d.live?.(plant, line) };
      byLine.set(line, l);
    }
    return l;
  }
}

function chunk(entries: Entry[]): Entry[][] {
  const out: Entry[][] = [];
  for (let i = 0; i < entries.length; i += MAX_ROLLUP_MINUTES)
    out.push(entries.slice(i, i + MAX_ROLLUP_MINUTES));
  return out;
}

function chunkLines(lines: RollupLine[]): RollupLine[][] {
  const out: RollupLine[][] = [];
  for (let i = 0; i < lines.length; i += MAX_LINES_PER_MESSAGE)
    out.push(lines.slice(i, i + MAX_LINES_PER_MESSAGE));
  return out;
}
