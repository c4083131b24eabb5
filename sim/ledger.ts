import { rename, writeFile } from "node:fs/promises";
import type { LineKey } from "../protocol/index.ts";

export interface LedgerCounts {
  good: number;
  reject: number;
}

/** The ground-truth ledger file (CONTRACTS.md, `--truth`). */
export interface LedgerFile {
  seed: number;
  lines: Record<string, LedgerCounts>;
}

/**
 * Every mask the simulated machines actually put on a pin, per line: the truth the counting tests compare
 * the firmware and the gateway against, to the unit.
 */
export class Ledger {
  private readonly lines = new Map<string, LedgerCounts>();

  constructor(readonly seed: number) {}

  /** Registers a line so it appears in the ledger even when it made nothing. */
  add(key: LineKey): void {
    if (!this.lines.has(key)) this.lines.set(key, { good: 0, reject: 0 });
  }

  record(key: LineKey, kind: "good" | "reject", n = 1): void {
    this.add(key);
    const counts = this.lines.get(key)!;
    counts[kind] += n;
  }

  get(key: LineKey): LedgerCounts {
    const counts = this.lines.get(key);
    return counts ? { ...counts } : { good: 0, reject: 0 };
  }

  toJSON(): LedgerFile {
    const lines: Record<string, LedgerCounts> = {};
    for (const [key, counts] of this.lines) lines[key] = { ...counts };
    return { seed: this.seed, lines };
  }

  /** Writes the ledger atomically (temp file, then rename) so a reader never sees half a file. */
  async write(file: string): Promise<void> {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(this.toJSON())}\n`);
    await rename(tmp, file);
  }
}
