import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, parseRegistry, registryLines } from "../../protocol/index.ts";

function problems(text: string): string[] {
  try {
    parseRegistry(text, "r.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("registry", () => {
  it("loads the demo registry with defaults resolved", () => {
    const reg = parseRegistry(readFileSync("examples/demo-registry.yaml", "utf8"));
    expect(reg.timezone).toBe("Asia/Shanghai");
    expect(reg.target.daily).toBe(10_000_000);
    expect(reg.plants.map((p) => p.id)).toEqual(["sr-01", "nc-01"]);
    expect(reg.plants[1]?.timezone).toBe("Asia/Shanghai");
    expect(reg.plants[1]?.shifts).toEqual([{ name: "day", start: "00:00" }]);
    expect(registryLines(reg).map(({ plant, line }) => `${plant.id}/${line.id}`)).toEqual([
      "sr-01/l1",
      "sr-01/l2",
      "sr-01/l3",
      "nc-01/l1",
      "nc-01/l2",
      "nc-01/l3",
    ]);
  });

  it("lists every schema problem at once, each with its path", () => {
    const text = `
regions: [ { id: r1, name: R } ]
plants:
  - id: P1
    name: ""
    region: r1
    lines:
      - { id: l1, name: a, type: foo, ratedPerMin: -1 }
      - { id: l2, name: b, type: flat }
`;
    expect(problems(text)).toEqual([
      "/plants/0/id: Expected string to match '^[a-z0-9][a-z0-9-]{0,31}$'",
      "/plants/0/name: Expected string length greater or equal to 1",
      '/plants/0/lines/0/type: expected one of "flat", "surgical", "kn95", "n95", "other", got "foo"',
      "/plants/0/lines/0/ratedPerMin: Expected number to be greater than 0",
      "/plants/0/lines/1/ratedPerMin: Expected required property",
    ]);
  });

  it("reports unknown regions, time zones and duplicate ids", () => {
    const text = `
timezone: Mars/Olympus
regions: [ { id: r1, name: R } ]
plants:
  - { id: p1, name: P, region: r2, timezone: Asia/Nowhere, lines: [ { id: l1, name: a, type: flat, ratedPerMin: 1 }, { id: l1, name: b, type: flat, ratedPerMin: 1 } ] }
  - { id: p1, name: Q, region: r1, lines: [ { id: l1, name: a, type: flat, ratedPerMin: 1 } ] }
`;
    expect(problems(text)).toEqual([
      '/timezone: unknown time zone "Mars/Olympus"',
      '/plants/1/id: duplicate plant id "p1"',
      '/plants/0/region: unknown region "r2"',
      '/plants/0/timezone: unknown time zone "Asia/Nowhere"',
      '/plants/0/lines/1/id: duplicate line id "l1"',
    ]);
  });

  it("reports YAML syntax errors with their line", () => {
    expect(problems("regions: [\n  - a\nplants: ]")[0]).toMatch(/^line \d+: /);
  });
});
