import type { CapacityResponse } from "../../protocol/index.ts";

/** RFC 4180: quote a field that holds a comma, quote or line break; double the quotes inside. */
function field(v: string | number | null): string {
  const s = v === null ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const row = (cells: Array<string | number | null>) => `${cells.map(field).join(",")}\r\n`;

const HEADER = [
  "日期 Date",
  "地区 Region",
  "企业 Plant",
  "日产量(良品) Output (good)",
  "不良品 Rejects",
  "产能目标 Target",
  "完成率% % of target",
  "日产能(额定) Installed",
  "生产线(在产/总数) Producing lines",
  "上报 Reporting",
];

/**
 * The bureau's daily report (日报) as CSV: one row per plant grouped by region, a subtotal per region and the
 * province total. UTF-8 with a byte-order mark, because Excel on Windows opens a BOM-less CSV in the local
 * ANSI code page and shows Chinese as mojibake; CRLF line ends as RFC 4180 says.
 */
export function dailyReportCsv(c: CapacityResponse): string {
  let out = `\uFEFF${row(HEADER)}`;
  for (const r of c.regions) {
    for (const p of c.plants.filter((x) => x.region === r.id)) {
      out += row([
        ...[c.date, r.name, p.name, p.output.good, p.output.reject, p.target, p.percentOfTarget, p.installed],
        `${p.producingLines}/${p.lines}`,
        // A federated plant says how fresh its roll-ups are ("reported 14:02", "backfilling 3 h", …).
        `${p.reporting ? "是 yes" : "否 no"}${p.upstream !== undefined ? ` (${p.upstream.label})` : ""}`,
      ]);
    }
    out += row([
      ...[
        c.date,
        r.name,
        "小计 Subtotal",
        r.output.good,
        r.output.reject,
        r.target,
        r.percentOfTarget,
        r.installed,
      ],
      `${r.producingPlants}/${r.plants} 企业 plants`,
      null,
    ]);
  }
  const lines = c.plants.reduce((n, p) => n + p.lines, 0);
  const producing = c.plants.reduce((n, p) => n + p.producingLines, 0);
  out += row([
    ...[
      c.date,
      "全省 Province",
      "合计 Total",
      c.output.good,
      c.output.reject,
      c.target,
      c.percentOfTarget,
      c.installed,
    ],
    `${producing}/${lines}`,
    null,
  ]);
  return out;
}
