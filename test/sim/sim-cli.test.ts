import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.ts";
import { onePlantRegistryYaml } from "../support/registry.ts";
import { SampleLog, TestBroker } from "./broker.ts";

const REGISTRY = onePlantRegistryYaml([
  "{ id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 600 }",
  "{ id: l2, name: 2号KN95线, type: kn95, ratedPerMin: 300 }",
]);

describe("masktally sim --hardware (CLI)", () => {
  let dir: string;
  let samples: SampleLog;
  let broker: TestBroker;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-simcli-"));
    await writeFile(join(dir, "registry.yaml"), REGISTRY);
    samples = new SampleLog();
    broker = await TestBroker.start(samples);
  });
  afterEach(async () => {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const hardware of ["firmata", "modbus"]) {
    it(`--hardware ${hardware}: the firmware's last samples equal the ledger, and --data-dir keeps the journal`, async () => {
      const truth = join(dir, "truth.json");
      const dataDir = join(dir, "data");
      const { code, stderr } = await runCli([
        "sim",
        "--registry",
        join(dir, "registry.yaml"),
        "--broker",
        broker.url,
        "--hardware",
        hardware,
        "--duration",
        "4",
        "--speedup",
        "10",
        "--interval-ms",
        "200",
        "--seed",
        "8",
        "--truth",
        truth,
        "--data-dir",
        dataDir,
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const ledger = JSON.parse(await readFile(truth, "utf8"));
      for (const key of ["sr-01/l1", "sr-01/l2"]) {
        const last = (samples.byLine.get(key) ?? []).reduce((a, b) => (b.seq > a.seq ? b : a));
        expect({ good: last.good, reject: last.reject }).toEqual(ledger.lines[key]);
        expect(ledger.lines[key].good).toBeGreaterThan(0);
      }
      await expect(
        readFile(join(dataDir, "sim-sr-01-l1", "outbox", "outbox.log"), "utf8"),
      ).resolves.toBeTypeOf("string");
    }, 60_000);
  }
});
