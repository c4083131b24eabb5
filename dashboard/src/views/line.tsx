import { useMemo } from "preact/hooks";
import type { AlertsResponse, PlantHourlyResponse } from "../../../protocol/api.ts";
import { api, type LineView } from "../api.ts";
import { StateBadge } from "../components/bits.tsx";
import { Chart } from "../components/chart.tsx";
import { useApp } from "../context.ts";
import { formatCount, formatDuration, formatHhmm } from "../i18n.ts";
import { useData } from "../live.ts";
import { href } from "../router.ts";
import { useHourly } from "./plant.tsx";

type Band = "running" | "stopped" | "offline" | "future" | "nodata";

/**
 * State per hour from the stored counts: output in the hour → running, none → stopped (offline when the line is
 * offline now and has been since before the hour), not yet → future. Coarse, but computed from exactly what
 * was counted.
 */
function bands(
  hourly: PlantHourlyResponse,
  line: LineView,
  now: number,
): Array<{ from: string; band: Band }> {
  const offlineSince =
    line.state === "offline" && line.since ? Date.parse(line.since) : Number.POSITIVE_INFINITY;
  const first = hourly.hours.findIndex((h) => (h.lines[line.line]?.good ?? 0) > 0);
  return hourly.hours.map((h, i): { from: string; band: Band } => {
    const from = Date.parse(h.from);
    if (from > now) return { from: h.from, band: "future" };
    if ((h.lines[line.line]?.good ?? 0) > 0) return { from: h.from, band: "running" };
    // Before the day's first count nothing says the line was meant to run: no data, not a stop.
    if (first === -1 ? line.state !== "stopped" : i < first) return { from: h.from, band: "nodata" };
    return { from: h.from, band: from >= offlineSince ? "offline" : "stopped" };
  });
}

function Timeline({ hourly, line }: { hourly: PlantHourlyResponse; line: LineView }) {
  const { t, lang } = useApp();
  const items = bands(hourly, line, Date.now());
  return (
    <ol class="timeline" aria-label={t("timeline")} id="timeline">
      {items.map((b) => (
        <li
          key={b.from}
          class={`band band-${b.band}`}
          title={`${formatHhmm(b.from, lang)} ${b.band === "future" ? "" : t(b.band)}`}
        >
          <span class="sr-only">{`${formatHhmm(b.from, lang)} ${b.band === "future" ? "—" : t(b.band)}`}</span>
        </li>
      ))}
    </ol>
  );
}

function Downtime({ plant, line }: { plant: string; line: string }) {
  const { t, lang } = useApp();
  const { data } = useData(
    () => api<AlertsResponse>("alerts?state=all").catch(() => undefined),
    [plant, line],
  );
  const stops = (data?.alerts ?? []).filter(
    (a) => a.plant === plant && a.line === line && a.kind !== "sensor-limit",
  );
  if (stops.length === 0) return <p class="empty">{t("noAlerts")}</p>;
  return (
    <table class="downtime" id="downtime">
      <thead>
        <tr>
          <th scope="col">{t("since")}</th>
          <th scope="col">{t("duration")}</th>
          <th scope="col">{t("reason")}</th>
        </tr>
      </thead>
      <tbody>
        {stops.map((a) => (
          <tr key={a.id}>
            <td>{`${formatHhmm(a.since, lang)} ${t(a.kind)}`}</td>
            <td>
              {a.downtimeMs === null
                ? t(a.state === "resolved" ? "resolved" : "stopped")
                : formatDuration(a.downtimeMs, lang)}
            </td>
            <td>{a.ackReason ? `${t(a.ackReason)}${a.ackNote ? ` · ${a.ackNote}` : ""}` : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One line: today's output curve with its state timeline under it, downtime with reasons, last contact. */
export function LineDetail(p: { plant: string; line: string; lines: Map<string, LineView>; date: string }) {
  const { t, lang } = useApp();
  const view = p.lines.get(`${p.plant}/${p.line}`);
  const hourly = useHourly(p.plant, p.date, Math.floor(Date.now() / 60_000));
  const x = useMemo(() => hourly.data?.hours.map((h) => Date.parse(h.from) / 1000) ?? [], [hourly.data]);
  const series = useMemo(
    () => [
      {
        label: t("good"),
        color: "#059669",
        values:
          hourly.data?.hours.map(
            (h) => h.lines[p.line]?.good ?? (Date.parse(h.from) > Date.now() ? null : 0),
          ) ?? [],
      },
    ],
    [hourly.data, p.line, t],
  );
  if (view === undefined) return <p aria-busy="true">…</p>;
  return (
    <section class="line-view" data-line={`${p.plant}/${p.line}`}>
      <div class="view-head">
        <a href={href("plant", p.plant)}>← {view.plantName}</a>
        <h2>{view.name}</h2>
        <StateBadge state={view.state} since={view.since} />
      </div>
      <div class="totals">
        <div class="total">
          <span class="label">{t("good")}</span>
          <span class="value good">{formatCount(view.today.good, lang)}</span>
        </div>
        <div class="total">
          <span class="label">{t("reject")}</span>
          <span class="value">{formatCount(view.today.reject, lang)}</span>
        </div>
        <div class="total">
          <span class="label">{t("rate")}</span>
          <span class="value">{`${Math.round(view.ratePerMin)} / ${view.ratedPerMin}`}</span>
        </div>
      </div>
      {hourly.data && (
        <Chart lang={lang} id="line-chart" x={x} series={series} bars label={t("hourly")} height={180} />
      )}
      {hourly.data && <Timeline hourly={hourly.data} line={view} />}
      <h3>{t("downtime")}</h3>
      <Downtime plant={p.plant} line={p.line} />
      <h3>{t("sensors")}</h3>
      <p class="sensors">{`${t("lastSeen")}: ${formatHhmm(view.lastSeen, lang)} · ${t("noSensors")}`}</p>
    </section>
  );
}
