import { crc32 } from "node:zlib";

/**
 * The outbox journal's record format: one line per record, `CRC32(json) json\n`, CRC as 8 hex digits.
 * A line that ends before its newline, fails its CRC or is not the JSON we wrote is a torn or corrupt
 * record (a write cut by kill -9 or a power loss): it is reported and skipped, never fatal.
 */
export type JournalRecord =
  /** A message appended: id, topic, payload, and the optional line checkpoint (Outbox.append `state`). */
  | { a: number; t: string; p: string; s?: string }
  /** The message with this id was acknowledged (PUBACK) or coalesced away. */
  | { k: number }
  /** The newest checkpoint of a topic whose messages were all acknowledged (written by compaction). */
  | { l: string; s: string };

export function encodeRecord(record: JournalRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

export interface DecodedJournal {
  records: JournalRecord[];
  /** Records skipped: torn, bad CRC, or not a record. */
  bad: number;
  /** The file ended in the middle of a record. */
  tornTail: boolean;
}

function isRecord(v: unknown): v is JournalRecord {
  if (typeof v !== "object" || v === null) return false;
  const r = v as Record<string, unknown>;
  const optionalState = r.s === undefined || typeof r.s === "string";
  if (Number.isSafeInteger(r.a)) return typeof r.t === "string" && typeof r.p === "string" && optionalState;
  if (Number.isSafeInteger(r.k)) return true;
  return typeof r.l === "string" && typeof r.s === "string";
}

function decodeLine(line: string): JournalRecord | null {
  const m = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (!m || Number.parseInt(m[1]!, 16) !== crc32(m[2]!)) return null;
  try {
    const v: unknown = JSON.parse(m[2]!);
    return isRecord(v) ? v : null;
  } catch {
    return null;
  }
}

/** Decodes a whole journal file, keeping every intact record in order. */
export function decodeJournal(text: string): DecodedJournal {
  const lines = text.split("\n");
  // The piece after the last newline is empty for an intact file, else a record cut mid-write.
  const tail = lines.pop() ?? "";
  const records: JournalRecord[] = [];
  let bad = tail.length > 0 ? 1 : 0;
  for (const line of lines) {
    if (line.length === 0) continue;
    const r = decodeLine(line);
    if (r) records.push(r);
    else bad += 1;
  }
  return { records, bad, tornTail: tail.length > 0 };
}
