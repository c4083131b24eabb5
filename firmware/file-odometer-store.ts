import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { LineKey } from "../protocol/index.ts";
import { freshState, isLineState, type LineState, newEpoch, type OdometerStore } from "./odometer-store.ts";
import { writeFileAtomic } from "./sync-file.ts";

export interface FileOdometerStoreOptions {
  /** Folder of `odometers.json`; created if missing. */
  dir: string;
  log: Logger;
  makeEpoch?: () => string;
}

interface StoreFile {
  v: 1;
  lines: Record<string, unknown>;
}

/**
 * Odometers in one JSON file, replaced atomically (temp file + fsync + rename + fsync of the folder), so a
 * power cut leaves the previous version or the new one. Saves made in the same tick (one per line) are
 * written together; a save while a write is running is written right after it. The device decides the
 * rate (its persist interval). An unreadable file is reported and treated as lost: lines then resume from
 * the outbox journal if it has them, or start a new epoch.
 */
export class FileOdometerStore implements OdometerStore {
  private readonly states = new Map<string, LineState>();
  private writing: Promise<void> | null = null;
  private dirty = false;
  private readonly file: string;

  private constructor(private readonly opts: FileOdometerStoreOptions) {
    this.file = join(opts.dir, "odometers.json");
  }

  static async open(opts: FileOdometerStoreOptions): Promise<FileOdometerStore> {
    await mkdir(opts.dir, { recursive: true });
    const store = new FileOdometerStore(opts);
    await store.read();
    return store;
  }

  async load(key: LineKey): Promise<LineState> {
    const saved = this.states.get(key);
    return saved ? structuredClone(saved) : freshState((this.opts.makeEpoch ?? newEpoch)());
  }

  async save(key: LineKey, state: LineState): Promise<void> {
    this.states.set(key, structuredClone(state));
    this.dirty = true;
    // Let the other lines' saves of this tick join the same write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    while (this.dirty || this.writing) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      this.dirty = false;
      const doc: StoreFile = { v: 1, lines: Object.fromEntries(this.states) };
      this.writing = writeFileAtomic(this.file, `${JSON.stringify(doc)}\n`)
        .catch((err: Error) => {
          this.dirty = true; // retried by the next save
          throw err;
        })
        .finally(() => {
          this.writing = null;
        });
    }
  }

  private async read(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      this.opts.log.info(
        { file: this.file },
        "no odometer file: lines start new epochs unless the journal has them",
      );
      return;
    }
    let doc: Partial<StoreFile> | null = null;
    try {
      doc = JSON.parse(text) as Partial<StoreFile>;
    } catch {
      doc = null;
    }
    if (doc?.v !== 1 || typeof doc.lines !== "object" || doc.lines === null) {
      this.opts.log.warn(
        { file: this.file, bytes: text.length },
        "odometer file is torn or corrupt; ignored",
      );
      return;
    }
    for (const [key, state] of Object.entries(doc.lines)) {
      if (isLineState(state)) this.states.set(key, state);
      else this.opts.log.warn({ file: this.file, line: key }, "odometer record is corrupt; ignored");
    }
  }
}
