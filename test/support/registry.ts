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
