/** One message waiting for its PUBACK. `id` grows with every append and never repeats within an outbox. */
export interface OutboxEntry {
  id: number;
  topic: string;
  payload: string;
}

/**
 * Samples on their way to the broker, oldest first. An entry leaves only when the broker acknowledged it
 * (DESIGN.md: "samples leave the outbox only on PUBACK"). Implementations: MemoryOutbox (below) and
 * DiskOutbox (disk-outbox.ts, a journal that survives kill -9 and power loss).
 */
export interface Outbox {
  /**
   * Appends a message at the tail; resolves when it is stored (durably, for a disk outbox). `state` is an
   * opaque checkpoint kept with it (the line's odometers and source cursor at sample time), so a restart can
   * resume from the newest journaled sample even when the odometer file is older or lost.
   */
  append(topic: string, payload: string, state?: string): Promise<void>;
  /** Up to `max` of the oldest entries, in order, without removing them. */
  peek(max: number): Promise<OutboxEntry[]>;
  /** Removes an acknowledged entry; unknown ids are ignored (an ack may arrive twice). */
  remove(id: number): Promise<void>;
  /** Entries waiting. */
  readonly depth: number;
  /** The `state` of the newest entry ever appended on `topic` (acknowledged or not), if the outbox kept it. */
  lastState?(topic: string): string | undefined;
  /** Writes what is pending and releases files. */
  close?(): Promise<void>;
}

/**
 * The in-memory outbox: ordered, bounded. When full it drops the oldest entry — no count is lost, since each
 * sample carries cumulative odometers, only time resolution — and counts the drop.
 */
export class MemoryOutbox implements Outbox {
  private entries: OutboxEntry[] = [];
  private readonly states = new Map<string, string>();
  private nextId = 1;
  dropped = 0;

  constructor(private readonly maxEntries = 100_000) {}

  get depth(): number {
    return this.entries.length;
  }

  async append(topic: string, payload: string, state?: string): Promise<void> {
    this.entries.push({ id: this.nextId++, topic, payload });
    if (state !== undefined) this.states.set(topic, state);
    if (this.entries.length > this.maxEntries) {
      this.entries.shift();
      this.dropped += 1;
    }
  }

  async peek(max: number): Promise<OutboxEntry[]> {
    return this.entries.slice(0, max).map((e) => ({ ...e }));
  }

  async remove(id: number): Promise<void> {
    if (this.entries[0]?.id === id) {
      this.entries.shift();
      return;
    }
    const i = this.entries.findIndex((e) => e.id === id);
    if (i >= 0) this.entries.splice(i, 1);
  }

  lastState(topic: string): string | undefined {
    return this.states.get(topic);
  }
}
