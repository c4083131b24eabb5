import { useMemo } from "preact/hooks";
import type { CapacityPlant, CapacityRegion, CapacityResponse } from "../../../protocol/api.ts";
import { api, localDate, withToken } from "../api.ts";
import { Progress } from "../components/bits.tsx";
import { Chart } from "../components/chart.tsx";
import { useApp } from "../context.ts";
import { formatCount, formatHhmm } from "../i18n.ts";
import { useData, useTick } from "../live.ts";

/** The last `days` production days' capacity answers, oldest first (the trend); today's is the last. */
function useCapacityDays(days: number, tick: number) {
  return useData(() => {
    const dates = Array.from({ length: days }, (_, i) => localDate(i - days + 1));
    return Promise.all(dates.map((d) => api<CapacityResponse>(`capacity?date=${d}`)));
  }, [days, tick]);
}

function Figure(p: { id: string; label: string; value: number; compact?: boolean; children?: unknown }) {
  const { lang } = useApp();
  return (
    <div class="total" id={p.id} data-value={p.value}>
      <span class="label">{p.label}</span>
      <span class="value">{formatCount(p.value, lang, p.compact ?? true)}</span>
      {p.children as never}
    </div>
  );
}

function PlantRow({ p }: { p: CapacityPlant }) {
  const { t, lang } = useApp();
  return (
    <tr data-plant={p.id} class={p.reporting ? "" : "stale"}>
      <th scope="row">
        {p.name}
        {!p.reporting && (
          <span class="badge stale-badge" title={t("staleHint")}>
            {` ${t("stale")}${p.lastSeen ? ` ${formatHhmm(p.lastSeen, lang)}` : ""}`}
          </span>
        )}
      </th>
      <td class="num good" data-value={p.output.good}>
        {formatCount(p.output.good, lang)}
      </td>
      <td class="num">{formatCount(p.installed, lang, true)}</td>
      <td class="bar">
        <Progress value={p.output.good} max={p.target} label={`${p.name} ${t("target")}`} />
      </td>
      <td class="num">{`${p.producingLines} / ${p.lines}`}</td>
    </tr>
  );
}

function RegionBlock({ r, plants }: { r: CapacityRegion; plants: CapacityPlant[] }) {
  const { t, lang } = useApp();
  return (
    <tbody data-region={r.id}>
      <tr class="region-row">
        <th scope="rowgroup">{r.name}</th>
        <td class="num good" data-value={r.output.good}>
          {formatCount(r.output.good, lang)}
        </td>
        <td class="num">{formatCount(r.installed, lang, true)}</td>
        <td class="bar">
          <Progress value={r.output.good} max={r.target} label={`${r.name} ${t("target")}`} />
        </td>
        <td class="num">{`${r.producingPlants} / ${r.plants}`}</td>
      </tr>
      {plants.map((p) => (
        <PlantRow key={p.id} p={p} />
      ))}
    </tbody>
  );
}

function Trend({ days }: { days: CapacityResponse[] }) {
  const { t, lang } = useApp();
  const x = useMemo(() => days.map((d) => Date.parse(`${d.date}T00:00:00+08:00`) / 1000), [days]);
  const series = useMemo(
    () => [
      { label: t("output"), color: "#1f6feb", values: days.map((d) => d.output.good) },
      { label: t("target"), color: "#b42318", values: days.map((d) => d.target) },
      { label: t("installed"), color: "#6b7280", values: days.map((d) => d.installed) },
    ],
    [days, t],
  );
  return <Chart lang={lang} id="trend-chart" x={x} series={series} label={t("trend")} height={200} />;
}

/** The bureau's morning page: province → region → plant against the target, trend, cumulative, stale plants. */
export function BureauView({ days }: { days: number }) {
  const { t, lang } = useApp();
  // Refreshes every minute on its own: the public board has no SSE stream to re-render it.
  const tick = Math.floor(useTick(60_000) / 60_000);
  const { data, error } = useCapacityDays(days, tick);
  const today = data?.at(-1);
  if (error !== undefined && today === undefined) {
    return (
      <p class="error" role="alert">
        {t("failed")}
      </p>
    );
  }
  if (today === undefined || data === undefined) return <p aria-busy="true">…</p>;
  const csv = withToken(`api/report/daily.csv?date=${today.date}`);
  return (
    <section class="bureau-view" aria-labelledby="bureau-title">
      <div class="view-head">
        <h2 id="bureau-title">{`${t("province")} · ${today.date}`}</h2>
        <div class="actions no-print">
          <a id="csv-link" class="button" href={csv} download={`masktally-${today.date}.csv`}>
            {t("report")}
          </a>
          <button type="button" onClick={() => window.print()}>
            {t("print")}
          </button>
        </div>
      </div>
      <div class="totals">
        <Figure id="bureau-output" label={t("output")} value={today.output.good}>
          <Progress value={today.output.good} max={today.target} label={t("target")} />
        </Figure>
        <Figure id="bureau-target" label={t("target")} value={today.target} />
        <Figure id="bureau-installed" label={t("installed")} value={today.installed} />
        <div class="total" id="bureau-producing" data-value={today.producingPlants}>
          <span class="label">{t("producing")}</span>
          <span class="value">{`${today.producingPlants} / ${today.plants.length}`}</span>
        </div>
        {today.cumulative && (
          <Figure
            id="bureau-cumulative"
            label={`${t("cumulative")} (${today.cumulative.since}–)`}
            value={today.cumulative.good}
          />
        )}
      </div>
      {today.notReporting.length > 0 && (
        <p class="warn" id="not-reporting" role="status">
          {`${t("stale")}: ${today.notReporting
            .map((id) => today.plants.find((p) => p.id === id)?.name ?? id)
            .join("、")}`}
        </p>
      )}
      <div class="table-wrap">
        <table class="rollup" id="rollup">
          <thead>
            <tr>
              <th scope="col">{`${t("region")} / ${t("plant")}`}</th>
              <th scope="col">{t("output")}</th>
              <th scope="col">{t("installed")}</th>
              <th scope="col">{t("target")}</th>
              <th scope="col">{t("producingShort")}</th>
            </tr>
          </thead>
          {today.regions.map((r) => (
            <RegionBlock key={r.id} r={r} plants={today.plants.filter((p) => p.region === r.id)} />
          ))}
        </table>
      </div>
      <h3>{`${t("trend")} (${data.length})`}</h3>
      <Trend days={data} />
      <p class="print-only">{`masktally · ${new Date().toLocaleString(lang)}`}</p>
    </section>
  );
}
