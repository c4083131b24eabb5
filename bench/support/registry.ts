import { stringify } from "yaml";

export interface BenchLine {
  plant: string;
  line: string;
}

/** `count` lines in plants of `perPlant` (p001/l01 …), shifts round the clock so every line is always planned. */
export function benchLines(count: number, perPlant = 10): BenchLine[] {
  return Array.from({ length: count }, (_, i) => ({
    plant: `p${String(Math.floor(i / perPlant) + 1).padStart(3, "0")}`,
    line: `l${String((i % perPlant) + 1).padStart(2, "0")}`,
  }));
}

export function registryYaml(lines: readonly BenchLine[], ratedPerMin = 120): string {
  const plants = new Map<string, string[]>();
  for (const l of lines) plants.set(l.plant, [...(plants.get(l.plant) ?? []), l.line]);
  return stringify({
    timezone: "Asia/Shanghai",
    target: { daily: 10_000_000 },
    regions: [{ id: "r1", name: "bench", target: { daily: 10_000_000 } }],
    plants: [...plants].map(([id, ls]) => ({
      id,
      name: `plant ${id}`,
      region: "r1",
      target: { daily: 500_000 },
      shifts: [
        { name: "day", start: "08:00" },
        { name: "night", start: "20:00" },
      ],
      lines: ls.map((l) => ({ id: l, name: `line ${l}`, type: "flat", ratedPerMin })),
    })),
  });
}
