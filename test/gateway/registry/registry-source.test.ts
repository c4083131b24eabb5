import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RegistrySource } from "../../../gateway/registry/registry-source.ts";
import { ConfigError, parseRegistry } from "../../../protocol/index.ts";
import { captureLogger } from "../support/fakes.ts";

const yaml = (lines: string) => `
regions: [ { id: r, name: R } ]
plants:
  - id: p
    name: P
    region: r
    lines:
${lines}
`;
const L1 = "      - { id: l1, name: L1, type: flat, ratedPerMin: 100 }";
let dir: string | undefined;
afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

describe("RegistrySource", () => {
  it("reloads a changed file, tells listeners, and audits what changed and who asked", async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-reg-"));
    const file = join(dir, "registry.yaml");
    await writeFile(file, yaml(L1));
    const { log, lines } = captureLogger();
    const src = new RegistrySource(parseRegistry(yaml(L1)), file, log);
    const seen: number[] = [];
    src.onChange((r) => seen.push(r.plants[0]!.lines.length));
    await writeFile(
      file,
      yaml(`${L1.replace("100", "120")}\n      - { id: l2, name: L2, type: kn95, ratedPerMin: 45 }`),
    );
    const diff = await src.reload("sighup");
    expect(diff).toEqual({
      plantsAdded: [],
      plantsRemoved: [],
      linesAdded: ["p/l2"],
      linesRemoved: [],
      changed: ["p/l1"],
    });
    expect(seen).toEqual([2]);
    expect(src.current().plants[0]!.lines[0]!.ratedPerMin).toBe(120);
    expect(lines.find((l) => l.msg === "registry reloaded")).toMatchObject({
      audit: true,
      source: "sighup",
      linesAdded: ["p/l2"],
    });
  });

  it("keeps the running registry when the new file is invalid, listing every problem", async () => {
    dir = await mkdtemp(join(tmpdir(), "masktally-reg-"));
    const file = join(dir, "registry.yaml");
    const { log, lines } = captureLogger();
    const src = new RegistrySource(parseRegistry(yaml(L1)), file, log);
    await writeFile(file, yaml("      - { id: L1, name: L1, type: foo, ratedPerMin: 0 }"));
    const err = await src.reload("api", "admin").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path).sort()).toEqual([
      "/plants/0/lines/0/id",
      "/plants/0/lines/0/ratedPerMin",
      "/plants/0/lines/0/type",
    ]);
    expect(src.current().plants[0]!.lines[0]!.id).toBe("l1");
    expect(lines.find((l) => l.msg === "registry reload refused")).toMatchObject({
      audit: true,
      source: "api",
      by: "admin",
    });
  });
});
