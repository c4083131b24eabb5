import { type FileHandle, open } from "node:fs/promises";
import { crc32 } from "node:zlib";

/**
 * The spool's on-disk record framing: `[u32 LE payload length][u32 LE crc32(payload)][payload]`.
 * A record is valid only when all of it is on disk and its CRC matches, so a write torn by a kill or a
 * power cut is recognised at recovery and cut off (it was never acknowledged to a device: the PUBACK
 * waits for the fsync that follows the write).
 */
export const HEADER_BYTES = 8;
/** A record larger than this is corruption, not data (a batch of 5,000 points is ~1 MB). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeRecord(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export type ReadResult =
  | { kind: "record"; payload: Buffer; next: number }
  | { kind: "end" }
  | { kind: "torn"; why: string };

/** Reads the record at `offset` of an open segment. `end` exactly at the end of the file. */
export async function readRecord(fh: FileHandle, offset: number, size: number): Promise<ReadResult> {
  if (offset === size) return { kind: "end" };
  if (offset + HEADER_BYTES > size) return { kind: "torn", why: "short header" };
  const header = Buffer.alloc(HEADER_BYTES);
  await fh.read(header, 0, HEADER_BYTES, offset);
  const length = header.readUInt32LE(0);
  const crc = header.readUInt32LE(4);
  if (length > MAX_RECORD_BYTES) return { kind: "torn", why: `record length ${length} is implausible` };
  if (offset + HEADER_BYTES + length > size) return { kind: "torn", why: "short payload" };
  const payload = Buffer.alloc(length);
  await fh.read(payload, 0, length, offset + HEADER_BYTES);
  if (crc32(payload) !== crc) return { kind: "torn", why: "checksum mismatch" };
  return { kind: "record", payload, next: offset + HEADER_BYTES + length };
}

/**
 * fsyncs a directory so a created or removed file name is durable too (a new segment must not vanish
 * with a power cut after its records were acknowledged). Linux allows fsync on a read-only dir handle.
 */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
