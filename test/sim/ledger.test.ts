import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Ledger } from "../../sim/ledger.ts";
import { parseStopSpec } from "../../sim/stop-spec.ts";

describe("Ledger", () => {
  it("writes the counts per line in the contract's shape, including lines that made nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "masktally-ledger-"));
    try {
      const ledger = new Ledger(7);
      ledger.add("sr-01/l2");
      for (let i = 0; i < 12345; i++) ledger.record("sr-01/l1", "good");
      ledger.record("sr-01/l1", "reject", 67);
      await ledger.write(join(dir, "truth.json"));
      expect(JSON.parse(await readFile(join(dir, "truth.json"), "utf8"))).toEqual({
        seed: 7,
        lines: { "sr-01/l2": { good: 0, reject: 0 }, "sr-01/l1": { good: 12345, reject: 67 } },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("parseStopSpec", () => {
  it("parses plant/line@START+DURATION and explains what is wrong otherwise", () => {
    expect(parseStopSpec("sr-01/l1@30+200")).toEqual({ key: "sr-01/l1", startSec: 30, durationSec: 200 });
    expect(parseStopSpec("sr-01/l1@1.5+2")).toEqual({ key: "sr-01/l1", startSec: 1.5, durationSec: 2 });
    expect(parseStopSpec("sr-01/l1@30")).toHaveProperty("error");
    expect(parseStopSpec("SR/l1@30+2")).toHaveProperty("error");
  });
});
