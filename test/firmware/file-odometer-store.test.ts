import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileOdometerStore } from "../../firmware/file-odometer-store.ts";
import { type LineState, newerState } from "../../firmware/odometer-store.ts";
import { captureLog } from "./support/log-capture.ts";

const TORN = "odometer file is torn or corrupt; ignored";

describe("FileOdometerStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-odo-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("restores every line's state, cursor included, after a reopen", async () => {
    const cap = captureLog();
    const store = await FileOdometerStore.open({ dir, log: cap.log, makeEpoch: () => "e1" });
    const fresh = await store.load("sr-01/l1");
    expect(fresh).toEqual({ epoch: "e1", good: 0, reject: 0, seq: 0, ts: 0 });
    const a: LineState = {
      epoch: "e1",
      good: 120,
      reject: 3,
      seq: 7,
      ts: 1_700_000_000_000,
      cursor: { good: 65_000 },
    };
    await Promise.all([store.save("sr-01/l1", a), store.save("sr-01/l2", { ...a, good: 5 })]);
    await store.close();
    expect(JSON.parse(await readFile(join(dir, "odometers.json"), "utf8")).lines["sr-01/l1"].good).toBe(120);

    const again = await FileOdometerStore.open({ dir, log: cap.log, makeEpoch: () => "e2" });
    expect(await again.load("sr-01/l1")).toEqual(a);
    expect((await again.load("sr-01/l2")).good).toBe(5);
    expect((await again.load("sr-01/l3")).epoch).toBe("e2");
  });

  it("treats a torn file as lost, with a warning, instead of failing", async () => {
    const cap = captureLog();
    const store = await FileOdometerStore.open({ dir, log: cap.log });
    await store.save("sr-01/l1", { epoch: "e1", good: 120, reject: 3, seq: 7, ts: 1 });
    await store.close();
    await truncate(join(dir, "odometers.json"), 20);
    const again = await FileOdometerStore.open({ dir, log: cap.log, makeEpoch: () => "new" });
    expect(cap.has(TORN)).toBe(true);
    expect(await again.load("sr-01/l1")).toEqual({ epoch: "new", good: 0, reject: 0, seq: 0, ts: 0 });
  });

  it("drops a malformed line record and keeps the good ones", async () => {
    await writeFile(
      join(dir, "odometers.json"),
      JSON.stringify({
        v: 1,
        lines: {
          "a/b": { epoch: "e1", good: -1 },
          "a/c": { epoch: "e1", good: 1, reject: 0, seq: 1, ts: 1 },
        },
      }),
    );
    const cap = captureLog();
    const store = await FileOdometerStore.open({ dir, log: cap.log, makeEpoch: () => "new" });
    expect(cap.has("odometer record is corrupt; ignored")).toBe(true);
    expect((await store.load("a/b")).epoch).toBe("new");
    expect((await store.load("a/c")).good).toBe(1);
  });
});

describe("newerState", () => {
  const s = (o: Partial<LineState>): LineState => ({ epoch: "e1", good: 0, reject: 0, seq: 0, ts: 0, ...o });

  it("prefers the higher seq within an epoch, then more counts", () => {
    expect(newerState(s({ seq: 5, good: 50 }), s({ seq: 6, good: 40 })).seq).toBe(6);
    expect(newerState(s({ seq: 6, good: 70 }), s({ seq: 6, good: 60 })).good).toBe(70);
    expect(newerState(s({ seq: 6 }), undefined).seq).toBe(6);
  });

  it("keeps a journaled epoch over a fresh one (the odometer file was lost)", () => {
    const fresh = s({ epoch: "fresh" });
    const journal = s({ epoch: "old", seq: 40, ts: 1_700_000_000_000, good: 900 });
    expect(newerState(fresh, journal)).toBe(journal);
  });
});
