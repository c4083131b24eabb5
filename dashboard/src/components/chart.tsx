import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatCount, type Lang, PLANT_TZ } from "../i18n.ts";

/** Axis labels on the plants' wall clock: 24-hour times within a day, month/day across days. */
function tick(ts: number, splits: number[], lang: Lang): string {
  const span = (splits.at(-1) ?? 0) - (splits[0] ?? 0);
  const opts: Intl.DateTimeFormatOptions =
    span > 2 * 86_400
      ? { month: "numeric", day: "numeric" }
      : { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  return new Intl.DateTimeFormat(lang, { ...opts, timeZone: PLANT_TZ }).format(new Date(ts * 1000));
}

export interface Series {
  label: string;
  color: string;
  values: Array<number | null>;
}

/**
 * A uPlot time-series chart (small, canvas, fast for hundreds of series × points). `x` in seconds since the
 * Unix epoch; bars for hourly output, lines for trends. The chart follows its container's width.
 */
export function Chart(p: {
  lang: Lang;
  x: number[];
  series: Series[];
  bars?: boolean;
  height?: number;
  label: string;
  id?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const width = Math.max(280, el.clientWidth);
    const bars = p.bars ? uPlot.paths.bars?.({ size: [0.8, 40] }) : undefined;
    const plot = new uPlot(
      {
        width,
        height: p.height ?? 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Asia/Shanghai"),
        legend: { show: p.series.length <= 12 },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          { values: (_u, splits) => splits.map((ts) => tick(ts, splits, p.lang)) },
          { size: 64, values: (_u, splits) => splits.map((v) => formatCount(v, p.lang, true)) },
        ],
        series: [
          {},
          ...p.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: p.bars ? `${s.color}99` : undefined,
            width: p.bars ? 0 : 2,
            ...(bars ? { paths: bars } : {}),
          })),
        ],
      },
      [p.x, ...p.series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, el.clientWidth), height: p.height ?? 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [p.x, p.series, p.bars, p.height, p.lang]);
  return <div class="chart" ref={box} role="img" aria-label={p.label} id={p.id} />;
}
