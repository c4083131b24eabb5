import { type FileHandle, mkdir, open, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { OdometerMark, OutputPoint } from "./sample-store.ts";
import { encodeRecord, readRecord, syncDir } from "./spool-journal.ts";

export interface DiskSpoolOptions {
  /** Folder of the spool's segment files (created if missing). */
  dir: string;
  /** A new segment starts once the current one is this large (default 8 MiB). */
  maxSegmentBytes?: number;
  log?: Logger | undefined;
}

interface Segment {
  n: number;
  file: string;
  size: number;
  /** Open for appending: only the newest segment. */
  fh?: FileHandle | undefined;
}

/** One appended batch, located on disk. */
interface RecordRef {
  seg: Segment;
  offset: number;
  count: number;
}

/** The oldest records not yet drained; `commit()` removes them once their points are in the store. */
export interface SpoolChunk {
  points: OutputPoint[];
  commit(): Promise<void>;
}

const SEGMENT_RE = /^seg-(\d{12})\.log$/;
const segmentName = (n: number) => `seg-${String(n).padStart(12, "0")}.log`;

function markKey(p: { plant: string; line: string; epoch: string }): string {
  return `${p.plant}/${p.line}/${p.epoch}`;
}

/**
 * An append-only, fsynced journal of output points waiting for InfluxDB (DESIGN.md: "when InfluxDB is down,
 * points go to a disk spool and are written, in order, when it is back; the spool survives a gateway
 * restart"). Batches are appended as CRC-framed records to numbered segment files and resolved only after
 * `datasync`, so a point the device got a PUBACK for is on disk. Draining reads the oldest records first;
 * a segment is deleted once every record in it is in the store. Progress inside a segment is not recorded:
 * after a crash its drained records are written again, which InfluxDB's point keying makes harmless
 * (ADR 0005). Recovery cuts a torn tail off the newest segment.
 */
export class DiskSpool {
  readonly #dir: string;
  readonly #max: number;
  readonly #log: Logger | undefined;
  readonly #segments: Segment[] = [];
  readonly #records: RecordRef[] = [];
  readonly #recoveredMarks = new Map<string, OdometerMark>();
  #depth = 0;
  /** Serialises appends, commits and close: they all change the segment list. */
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;
  #lastNumber = 0;

  private constructor(o: DiskSpoolOptions) {
    this.#dir = o.dir;
    this.#max = o.maxSegmentBytes ?? 8 * 1024 * 1024;
    this.#log = o.log;
  }

  /** Opens the spool, recovering every complete record left by an earlier run. */
  static async open(o: DiskSpoolOptions): Promise<DiskSpool> {
    const spool = new DiskSpool(o);
    await mkdir(o.dir, { recursive: true });
    await spool.#recover();
    return spool;
  }

  /** Points appended and not yet drained. */
  get depth(): number {
    return this.#depth;
  }

  /**
   * The newest spooled point of every (plant, line, epoch) series found at open: the odometer tracker must
   * resume from these too, or samples whose points sit only in the spool would be counted again.
   */
  recoveredMarks(): OdometerMark[] {
    return [...this.#recoveredMarks.values()];
  }

  /** Appends one batch; resolves once it is fsynced. */
  append(points: readonly OutputPoint[]): Promise<void> {
    if (points.length === 0) return Promise.resolve();
    return this.#serial(async () => {
      if (this.#closed) throw new Error("spool closed");
      const seg = await this.#writableSegment();
      const record = encodeRecord(Buffer.from(JSON.stringify(points)));
      const offset = seg.size;
      await seg.fh!.write(record, 0, record.length, offset);
      await seg.fh!.datasync();
      seg.size += record.length;
      this.#records.push({ seg, offset, count: points.length });
      this.#depth += points.length;
    });
  }

  /** The oldest records, up to about `maxPoints` points (at least one record); null when empty. */
  async peek(maxPoints: number): Promise<SpoolChunk | null> {
    const take: RecordRef[] = [];
    let count = 0;
    for (const r of this.#records) {
      if (take.length > 0 && count + r.count > maxPoints) break;
      take.push(r);
      count += r.count;
    }
    if (take.length === 0) return null;
    const points: OutputPoint[] = [];
    for (const r of take) points.push(...(await this.#readPoints(r)));
    return { points, commit: () => this.#commit(take) };
  }

  /** Closes the append handle; the spool stays on disk for the next start. */
  close(): Promise<void> {
    return this.#serial(async () => {
      this.#closed = true;
      for (const seg of this.#segments) {
        await seg.fh?.close();
        seg.fh = undefined;
      }
    });
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(step);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #writableSegment(): Promise<Segment> {
    const last = this.#segments[this.#segments.length - 1];
    if (last?.fh !== undefined && last.size < this.#max) return last;
    if (last?.fh !== undefined) {
      await last.fh.close();
      last.fh = undefined;
    }
    // Numbers only grow (even across deletions and restarts), so name order is append order.
    const n = ++this.#lastNumber;
    const file = join(this.#dir, segmentName(n));
    const seg: Segment = { n, file, size: 0, fh: await open(file, "w") };
    await syncDir(this.#dir);
    this.#segments.push(seg);
    return seg;
  }

  async #readPoints(r: RecordRef): Promise<OutputPoint[]> {
    const fh = await open(r.seg.file, "r");
    try {
      const read = await readRecord(fh, r.offset, r.seg.size);
      if (read.kind !== "record") throw new Error(`spool record at ${r.seg.file}:${r.offset} unreadable`);
      return JSON.parse(read.payload.toString("utf8")) as OutputPoint[];
    } finally {
      await fh.close();
    }
  }

  /** Forgets drained records; deletes segments with nothing left to drain (the newest one too when empty). */
  #commit(done: RecordRef[]): Promise<void> {
    return this.#serial(async () => {
      for (const r of done) {
        if (this.#records[0] !== r) throw new Error("spool commits must follow peek order");
        this.#records.shift();
        this.#depth -= r.count;
      }
      const live = new Set(this.#records.map((r) => r.seg));
      const drained = this.#segments.filter((s) => !live.has(s));
      if (drained.length === 0) return;
      for (const seg of drained) {
        await seg.fh?.close();
        seg.fh = undefined;
        await rm(seg.file, { force: true });
      }
      this.#segments.splice(0, this.#segments.length, ...this.#segments.filter((s) => live.has(s)));
      await syncDir(this.#dir);
    });
  }

  async #recover(): Promise<void> {
    const names = (await readdir(this.#dir)).filter((f) => SEGMENT_RE.test(f)).sort();
    for (const [i, name] of names.entries()) {
      const n = Number(SEGMENT_RE.exec(name)![1]);
      const seg: Segment = { n, file: join(this.#dir, name), size: 0 };
      this.#lastNumber = Math.max(this.#lastNumber, n);
      await this.#scan(seg, i === names.length - 1);
      if (seg.size === 0) await rm(seg.file, { force: true });
      else this.#segments.push(seg);
    }
    if (this.#depth > 0) {
      this.#log?.warn({ points: this.#depth, segments: this.#segments.length }, "spool recovered");
    }
  }

  /** Reads every record of a segment; cuts the file at the first incomplete or corrupt one. */
  async #scan(seg: Segment, newest: boolean): Promise<void> {
    const fh = await open(seg.file, "r+");
    try {
      const { size } = await fh.stat();
      let offset = 0;
      for (;;) {
        const read = await readRecord(fh, offset, size);
        if (read.kind === "end") break;
        const points = read.kind === "record" ? parsePoints(read.payload) : null;
        if (read.kind === "torn" || points === null) {
          const why = read.kind === "torn" ? read.why : "payload is not a list of points";
          const level = newest ? "warn" : "error";
          this.#log?.[level]({ file: seg.file, offset, size, why }, "spool tail cut off");
          await fh.truncate(offset);
          await fh.sync();
          break;
        }
        this.#records.push({ seg, offset, count: points.length });
        this.#depth += points.length;
        for (const p of points) this.#noteMark(p);
        offset = read.next;
      }
      seg.size = offset;
    } finally {
      await fh.close();
    }
  }

  #noteMark(p: OutputPoint): void {
    const key = markKey(p);
    const known = this.#recoveredMarks.get(key);
    if (known !== undefined && known.seq >= p.seq) return;
    this.#recoveredMarks.set(key, {
      plant: p.plant,
      line: p.line,
      epoch: p.epoch,
      seq: p.seq,
      ts: p.ts,
      goodOdo: p.goodOdo,
      rejectOdo: p.rejectOdo,
    });
  }
}

function parsePoints(payload: Buffer): OutputPoint[] | null {
  try {
    const value: unknown = JSON.parse(payload.toString("utf8"));
    return Array.isArray(value) && value.length > 0 ? (value as OutputPoint[]) : null;
  } catch {
    return null;
  }
}
