/**
 * The registry most tests need: one region, one plant (sr-01 in 上饶市), and the lines given as YAML flow
 * mappings, e.g. `{ id: l1, name: 1号平面口罩线, type: flat, ratedPerMin: 600 }`.
 */
export function onePlantRegistryYaml(lines: string[]): string {
  return `regions: [ { id: shangrao, name: 上饶市 } ]
plants:
  - id: sr-01
    name: 上饶示例防护用品有限公司
    region: shangrao
    lines:
${lines.map((l) => `      - ${l}`).join("\n")}
`;
}

/** Plant p (Asia/Shanghai): one day shift 08:00–18:00 with a planned lunch stop 12:00–12:30, line l1 at 120/min. */
export const LUNCH_SHIFT_REGISTRY_YAML = `
regions: [ { id: r, name: R } ]
plants:
  - id: p
    name: P
    region: r
    shifts: [ { name: day, start: "08:00", end: "18:00" } ]
    plannedDowntime: [ { start: "12:00", end: "12:30", reason: lunch } ]
    lines: [ { id: l1, name: L1, type: flat, ratedPerMin: 120 } ]
`;
