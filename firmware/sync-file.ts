import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/** fsync a directory, so a rename inside it survives a power loss (POSIX: the entry lives in the directory). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `file` atomically: write a temp file, fsync it, rename it over the old one, fsync the folder.
 * A reader (or the next start after a power cut) sees the old content or the new, never half of either.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.write(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(dirname(file));
}
