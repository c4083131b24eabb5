import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

/** Issue 6: the whole built dashboard ships in at most 300 KB gzipped (a deterministic size, so asserted). */
const DIST = new URL("../../dist/dashboard", import.meta.url).pathname;
const BUDGET = 300 * 1024;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe("built dashboard", () => {
  it.skipIf(!existsSync(DIST))("is at most 300 KB gzipped in total, with no external script or style", () => {
    const all = files(DIST);
    const gzipped = all.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    expect(gzipped).toBeLessThanOrEqual(BUDGET);
    const html = readFileSync(join(DIST, "index.html"), "utf8");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // no CDN: everything ships
    expect(all.some((f) => /assets\/index-[\w-]{8,}\.js$/.test(f))).toBe(true);
  });
});
