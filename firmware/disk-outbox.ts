import { type FileHandle, mkdir, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { decodeJournal, encodeRecord, type JournalRecord } from "./journal-codec.ts";
import type { Outbox, OutboxEntry } from "./outbox.ts";
import { writeFileAtomic } from "./sync-file.ts";

export interface DiskOutboxOptions {
  /** Folder of the journal (`outbox.log`); created if missing. */
  dir: string;
  /**
   * Disk budget for waiting messages (default 32 MiB ≈ 150,000 samples ≈ 40 hours of one line at one sample
   * a second). Past it, older samples are coalesced (see `coalesce`): counts are never lost.
   */
  maxBytes?: number;
  log: Logger;
}

interface Pending {
  entry: OutboxEntry;
  bytes: number;
}

interface QueuedWrite {
  line: string;
  /** Appends must reach the disk (fdatasync) before they resolve; acks need not. */
  sync: boolean;
  done?: (err?: Error) => void;
}

export const DEFAULT_OUTBOX_MAX_BYTES = 32 * 1024 * 1024;
const COMPACT_MIN_BYTES = 1024 * 1024;

/**
 * The disk-backed outbox: an append-only journal of messages and acknowledgements. Each sample is written
 * and fdatasync'ed (group commit: one write and one sync for everything appended meanwhile) before it can
 * be published; an acknowledgement appends a small record; the journal is rewritten (temp file + fsync +
 * rename) when it is mostly acknowledged records. On open, the journal is replayed: messages without an
 * acknowledgement are pending again, in their original order and with their original payloads (so their
 * original timestamps). A torn or corrupt record — the tail of a write cut by kill -9 or power loss — is
 * skipped with a warning, and the journal is rewritten clean.
 *
 * Bounded disk: when the pending messages exceed `maxBytes`, the older half is thinned by dropping every
 * second message of each topic, never a topic's newest. Samples carry cumulative odometers, so the next
 * kept sample carries every count of a dropped one: totals stay exact, only the time resolution of the
 * oldest backlog halves each time the budget is reached.
 */
export class DiskOutbox implements Outbox {
  private readonly pending = new Map<number, Pending>();
  private readonly states = new Map<string, string>();
  private readonly queue: QueuedWrite[] = [];
  private writing: Promise<void> | null = null;
  private pendingBytes = 0;
  private fileBytes = 0;
  private nextId = 1;
  private closed = false;
  /** Messages dropped by coalescing since open. */
  coalesced = 0;

  private constructor(
    private readonly file: string,
    private fh: FileHandle,
    private readonly opts: DiskOutboxOptions,
  ) {}

  /** Opens (or creates) the journal in `dir` and replays it. */
  static async open(opts: DiskOutboxOptions): Promise<DiskOutbox> {
    await mkdir(opts.dir, { recursive: true });
    const file = join(opts.dir, "outbox.log");
    const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    const outbox = new DiskOutbox(file, await open(file, "a"), opts);
    const { records, bad, tornTail } = decodeJournal(text);
    for (const r of records) outbox.replay(r);
    outbox.fileBytes = Buffer.byteLength(text);
    if (bad > 0) {
      opts.log.warn({ file, skipped: bad, tornTail }, "outbox journal had torn or corrupt records; skipped");
      await outbox.compact();
    }
    opts.log.info({ file, pending: outbox.pending.size }, "outbox journal opened");
    return outbox;
  }

  get depth(): number {
    return this.pending.size;
  }

  async append(topic: string, payload: string, state?: string): Promise<void> {
    if (this.closed) throw new Error("outbox is closed");
    const entry = { id: this.nextId++, topic, payload };
    const line = encodeRecord({
      a: entry.id,
      t: topic,
      p: payload,
      ...(state !== undefined ? { s: state } : {}),
    });
    await this.write(line, true);
    // Only once it is on disk may the publisher see it (journal before publish).
    this.pending.set(entry.id, { entry, bytes: line.length });
    this.pendingBytes += line.length;
    if (state !== undefined) this.states.set(topic, state);
    if (this.pendingBytes > (this.opts.maxBytes ?? DEFAULT_OUTBOX_MAX_BYTES)) this.coalesce();
  }

  async peek(max: number): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for (const p of this.pending.values()) {
      if (out.length >= max) break;
      out.push({ ...p.entry });
    }
    return out;
  }

  async remove(id: number): Promise<void> {
    if (!this.forget(id) || this.closed) return;
    // Not synced: a lost acknowledgement only means the sample is published again, which is idempotent.
    this.write(encodeRecord({ k: id }), false).catch((err: Error) => {
      this.opts.log.warn({ err: err.message }, "outbox ack record not written");
    });
  }

  lastState(topic: string): string | undefined {
    return this.states.get(topic);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.fh.close();
  }

  private replay(r: JournalRecord): void {
    if ("a" in r) {
      const bytes = encodeRecord(r).length;
      this.pending.set(r.a, { entry: { id: r.a, topic: r.t, payload: r.p }, bytes });
      this.pendingBytes += bytes;
      if (r.s !== undefined) this.states.set(r.t, r.s);
      this.nextId = Math.max(this.nextId, r.a + 1);
    } else if ("k" in r) {
      this.forget(r.k);
    } else {
      this.states.set(r.l, r.s);
    }
  }

  private forget(id: number): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    this.pending.delete(id);
    this.pendingBytes -= p.bytes;
    return true;
  }

  /** Thins the older half of the backlog: every second message per topic, never a topic's newest. */
  private coalesce(): void {
    const all = [...this.pending.values()];
    const newest = new Map<string, number>();
    for (const p of all) newest.set(p.entry.topic, p.entry.id);
    const parity = new Map<string, number>();
    let dropped = 0;
    for (const p of all.slice(0, Math.floor(all.length / 2))) {
      const { id, topic } = p.entry;
      const n = (parity.get(topic) ?? 0) + 1;
      parity.set(topic, n);
      if (n % 2 === 1 || newest.get(topic) === id) continue;
      void this.remove(id);
      dropped += 1;
    }
    this.coalesced += dropped;
    this.opts.log.warn(
      { dropped, pending: this.pending.size, bytes: this.pendingBytes },
      "outbox over its disk budget: older samples coalesced (odometers are cumulative, no count lost)",
    );
  }

  private write(line: string, sync: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line, sync, done: (err) => (err ? reject(err) : resolve()) });
      this.writing ??= this.writeLoop().finally(() => {
        this.writing = null;
      });
    });
  }

  /** Group commit: everything queued meanwhile goes out in one write and at most one fdatasync. */
  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      const text = batch.map((b) => b.line).join("");
      try {
        await this.fh.write(text);
        if (batch.some((b) => b.sync)) await this.fh.datasync();
        this.fileBytes += Buffer.byteLength(text);
        for (const b of batch) b.done?.();
      } catch (err) {
        for (const b of batch) b.done?.(err as Error);
      }
      if (this.needsCompaction()) {
        await this.compact().catch((err: Error) => {
          this.opts.log.warn({ err: err.message }, "outbox compaction failed; journal kept as is");
        });
      }
    }
  }

  private needsCompaction(): boolean {
    return this.fileBytes > COMPACT_MIN_BYTES && this.fileBytes > 4 * (this.pendingBytes + 64 * 1024);
  }

  /** Rewrites the journal with only what matters (checkpoints, then pending messages): temp + fsync + rename. */
  private async compact(): Promise<void> {
    const newest = new Map<string, number>();
    for (const p of this.pending.values()) newest.set(p.entry.topic, p.entry.id);
    const lines: string[] = [];
    for (const [topic, s] of this.states) if (!newest.has(topic)) lines.push(encodeRecord({ l: topic, s }));
    for (const { entry } of this.pending.values()) {
      const s = newest.get(entry.topic) === entry.id ? this.states.get(entry.topic) : undefined;
      lines.push(
        encodeRecord({ a: entry.id, t: entry.topic, p: entry.payload, ...(s !== undefined ? { s } : {}) }),
      );
    }
    const text = lines.join("");
    await writeFileAtomic(this.file, text);
    const old = this.fh;
    this.fh = await open(this.file, "a");
    this.fileBytes = Buffer.byteLength(text);
    await old.close();
  }
}
