import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskOutbox } from "../../firmware/disk-outbox.ts";
import { captureLog } from "./support/log-capture.ts";

const TORN = "outbox journal had torn or corrupt records; skipped";

describe("DiskOutbox", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-outbox-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const open = (maxBytes?: number) => {
    const cap = captureLog();
    return DiskOutbox.open({ dir, log: cap.log, ...(maxBytes ? { maxBytes } : {}) }).then((box) => ({
      box,
      cap,
    }));
  };

  it("keeps unacknowledged messages across a reopen, in order, with their payloads and the newest state", async () => {
    const { box } = await open();
    for (let i = 1; i <= 5; i++) await box.append("t/a", `{"seq":${i}}`, `{"seq":${i}}`);
    await box.append("t/b", "b1", "sb1");
    const [first, second] = await box.peek(2);
    await box.remove(first!.id);
    await box.remove(second!.id);
    await box.remove(second!.id); // an ack may arrive twice
    await box.close();

    const { box: again } = await open();
    expect(again.depth).toBe(4);
    expect((await again.peek(10)).map((e) => e.payload)).toEqual([
      '{"seq":3}',
      '{"seq":4}',
      '{"seq":5}',
      "b1",
    ]);
    expect(again.lastState("t/a")).toBe('{"seq":5}');
    expect(again.lastState("t/b")).toBe("sb1");
    // New ids continue after the journal's.
    await again.append("t/a", "next");
    const all = await again.peek(10);
    expect(all.at(-1)!.id).toBeGreaterThan(all.at(-2)!.id);
    await again.close();
  });

  it("skips a torn tail record with a warning and keeps everything before it", async () => {
    const { box } = await open();
    for (let i = 1; i <= 3; i++) await box.append("t", `p${i}`, `s${i}`);
    await box.close();
    const file = join(dir, "outbox.log");
    // A write cut by kill -9 or a power loss: the last record loses its end (and its newline).
    const size = (await stat(file)).size;
    await truncate(file, size - 7);

    const { box: again, cap } = await open();
    expect(cap.has(TORN)).toBe(true);
    expect((await again.peek(10)).map((e) => e.payload)).toEqual(["p1", "p2"]);
    expect(again.lastState("t")).toBe("s2");
    // The journal was rewritten clean: appends after recovery survive the next reopen.
    await again.append("t", "p4", "s4");
    await again.close();
    const { box: third, cap: cap3 } = await open();
    expect(cap3.has(TORN)).toBe(false);
    expect((await third.peek(10)).map((e) => e.payload)).toEqual(["p1", "p2", "p4"]);
    await third.close();
  });

  it("skips a corrupt record in the middle (bad CRC, zeros after a power loss) and keeps the rest", async () => {
    const { box } = await open();
    await box.append("t", "p1");
    await box.close();
    const file = join(dir, "outbox.log");
    await appendFile(file, `00000000 {"a":99,"t":"t","p":"forged"}\n\0\0\0\0\n`);
    const { box: b2 } = await open();
    await b2.append("t", "p2");
    await b2.close();
    const { box: again, cap } = await open();
    expect(cap.has(TORN)).toBe(false); // already cleaned on the previous open
    expect((await again.peek(10)).map((e) => e.payload)).toEqual(["p1", "p2"]);
    await again.close();
  });

  it("does not expose a message before it is on disk", async () => {
    const { box } = await open();
    const appending = box.append("t", "p1");
    expect(box.depth).toBe(0);
    await appending;
    expect(box.depth).toBe(1);
    expect(await readFile(join(dir, "outbox.log"), "utf8")).toContain('"p":"p1"');
    await box.close();
  });

  it("coalesces the older half over its disk budget, keeping each topic's newest sample", async () => {
    const { box, cap } = await open(4096);
    for (let i = 1; i <= 60; i++)
      await box.append(i % 2 ? "t/a" : "t/b", JSON.stringify({ i, pad: "x".repeat(60) }));
    expect(box.coalesced).toBeGreaterThan(0);
    expect(
      cap.has(
        "outbox over its disk budget: older samples coalesced (odometers are cumulative, no count lost)",
      ),
    ).toBe(true);
    const left = (await box.peek(1000)).map((e) => JSON.parse(e.payload).i as number);
    // Order is kept and the newest of each topic is still there.
    expect(left).toEqual([...left].sort((a, b) => a - b));
    expect(left).toContain(59);
    expect(left).toContain(60);
    expect(left.length).toBe(60 - box.coalesced);
    await box.close();
    const { box: again } = await open(4096);
    expect((await again.peek(1000)).map((e) => JSON.parse(e.payload).i)).toEqual(left);
    await again.close();
  });

  it("compacts a journal that is mostly acknowledgements, keeping pending messages and last states", async () => {
    const { box } = await open();
    const pad = "y".repeat(500);
    for (let i = 1; i <= 3000; i++) {
      await box.append("t/a", `${i}${pad}`, `s${i}`);
      const [e] = await box.peek(1);
      if (i < 3000) await box.remove(e!.id);
    }
    await box.close();
    expect((await stat(join(dir, "outbox.log"))).size).toBeLessThan(1024 * 1024);
    const { box: again } = await open();
    expect(again.depth).toBe(1);
    expect(again.lastState("t/a")).toBe("s3000");
    await again.close();
  });

  it("recovers from an empty or garbage-only journal", async () => {
    await writeFile(join(dir, "outbox.log"), "garbage without newline");
    const { box, cap } = await open();
    expect(cap.has(TORN)).toBe(true);
    expect(box.depth).toBe(0);
    await box.close();
  });
});
