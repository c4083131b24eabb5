/** One message waiting for its PUBACK. `id` grows with every append and never repeats within an outbox. */
export interface OutboxEntry {
  id: number;
  topic: string;
  payload: string;
}

/**
 * Samples on their way to the broker, oldest first. An entry leaves only when the broker acknowledged it
 * (DESIGN.md: "samples leave the outbox only on PUBACK"). The disk journal of a later issue implements the
 * same four members: append a line, peek from the head, mark acknowledged ids, count.
 */
export interface Outbox {
  /** Appends a message at the tail; resolves when it is stored (durably, for a disk outbox). */
  append(topic: string, payload: string): Promise<void>;
  /** Up to `max` of the oldest entries, in order, without removing them. */
  peek(max: number): Promise<OutboxEntry[]>;
  /** Removes an acknowledged entry; unknown ids are ignored (an ack may arrive twice). */
  remove(id: number): Promise<void>;
  /** Entries waiting. */
  readonly depth: number;
}

/**
 * The in-memory outbox: ordered, bounded. When full it drops the oldest entry — no count is lost, since each
 * sample carries cumulative odometers, only time resolution — and counts the drop.
 */
export class MemoryOutbox implements Outbox {
  private entries: OutboxEntry[] = [];
  private nextId = 1;
  dropped = 0;

  constructor(private readonly maxEntries = 100_000) {}

  get depth(): number {
    return this.entries.length;
  }

  async append(topic: string, payload: string): Promise<void> {
    this.entries.push({ id: this.nextId++, topic, payload });
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
}
