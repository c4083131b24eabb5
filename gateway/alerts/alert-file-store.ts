import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { AlertRecord } from "./alert-engine.ts";

interface AlertFile {
  v: 1;
  alerts: AlertRecord[];
}

/**
 * Active (and recently resolved) alerts in one JSON file in the data dir (docs/adr/0007-production-day-shifts-and-alerts.md),
 * written atomically — temp file, fsync, rename — so a kill -9 leaves either the old or the new file. Saves are
 * serialised and coalesced: while one write runs, only the newest pending state is written next.
 */
export class AlertFileStore {
  #pending: AlertRecord[] | null = null;
  #writing: Promise<void> | null = null;

  /** `file` null: nothing persisted (tests on an injected store without a data dir). */
  constructor(readonly file: string | null) {}

  /** The saved alerts; none when there is no file yet. A corrupt file is moved aside, not trusted. */
  async load(): Promise<{ alerts: AlertRecord[]; problem: string | null }> {
    if (this.file === null) return { alerts: [], problem: null };
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { alerts: [], problem: null };
      throw err;
    }
    try {
      const doc = JSON.parse(text) as AlertFile;
      if (doc.v !== 1 || !Array.isArray(doc.alerts)) throw new Error("not an alert file (v 1)");
      return { alerts: doc.alerts, problem: null };
    } catch (err) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside);
      return { alerts: [], problem: `${(err as Error).message}; moved to ${aside}` };
    }
  }

  save(alerts: readonly AlertRecord[]): Promise<void> {
    if (this.file === null) return Promise.resolve();
    this.#pending = alerts.map((a) => ({ ...a }));
    this.#writing ??= this.#flush();
    return this.#writing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending !== null) {
        const alerts = this.#pending;
        this.#pending = null;
        await this.#write({ v: 1, alerts });
      }
    } finally {
      // In the same turn as the loop's last check: a save() after this starts a new flush.
      this.#writing = null;
    }
  }

  async #write(doc: AlertFile): Promise<void> {
    if (this.file === null) return;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(`${JSON.stringify(doc)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}
