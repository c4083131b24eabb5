import { useMemo } from "preact/hooks";
import type { PlantDaysResponse, PlantHourlyResponse } from "../../../protocol/api.ts";
import { api, type Counts, type LineView } from "../api.ts";
import { PALETTE, StateBadge } from "../components/bits.tsx";
import { Chart, type Series } from "../components/chart.tsx";
import { useApp } from "../context.ts";
import { formatCount, formatHhmm, formatPercent } from "../i18n.ts";
import { useData } from "../live.ts";
import { href } from "../router.ts";

/** Today's hourly and shift counts; refreshed with the minute, past hours never change. */
export function useHourly(plant: string, date: string, tick: number) {
  return useData(
    () =>
      date
        ? api<PlantHourlyResponse>(`plants/${encodeURIComponent(plant)}/hourly?date=${date}`)
        : Promise.resolve(undefined),
    [plant, date, tick],
  );
}

/** OEE per line today from /api/plants/:plant/days; while it cannot be had, "—". */
function useOee(plant: string, date: string, tick: number): Map<string, number | null> {
  const { data } = useData(
    () =>
      date
        ? api<PlantDaysResponse>(`plants/${encodeURIComponent(plant)}/days?from=${date}&to=${date}`).catch(
            () => undefined,
          )
        : Promise.resolve(undefined),
    [plant, date, tick],
  );
  return new Map((data?.days.at(-1)?.lines ?? []).map((l) => [l.line, l.oee.oee]));
}

function Tile({ l, oee }: { l: LineView; oee: number | null | undefined }) {
  const { t, lang } = useApp();
  const load = l.ratedPerMin > 0 ? Math.min(1.5, l.ratePerMin / l.ratedPerMin) : 0;
  return (
    <li class={`tile tile-${l.state}`} data-line={`${l.plant}/${l.line}`} data-state={l.state}>
      <a href={href("line", l.plant, l.line)} class="tile-link">
        <h3 class="tile-name">{l.name || l.line}</h3>
        <StateBadge state={l.state} since={l.since} />
        <dl>
          <dt>{t("good")}</dt>
          <dd class="num good">{formatCount(l.today.good, lang)}</dd>
          <dt>{t("reject")}</dt>
          <dd class="num reject">{formatCount(l.today.reject, lang)}</dd>
          <dt>{t("rate")}</dt>
          <dd class="num rate">
            {`${Math.round(l.ratePerMin)} / ${l.ratedPerMin} ${t("perMin")}`}
            <span class="ratebar" aria-hidden="true">
              <span style={{ width: `${Math.round((load / 1.5) * 100)}%` }} />
            </span>
          </dd>
          <dt>{t("oee")}</dt>
          <dd class="num oee">{formatPercent(oee, lang)}</dd>
        </dl>
      </a>
    </li>
  );
}

function sum(c: Record<string, Counts>): Counts {
  return Object.values(c).reduce((s, x) => ({ good: s.good + x.good, reject: s.reject + x.reject }), {
    good: 0,
    reject: 0,
  });
}

function HourlyChart({ hourly, lines }: { hourly: PlantHourlyResponse; lines: LineView[] }) {
  const { t, lang } = useApp();
  const x = useMemo(() => hourly.hours.map((h) => Date.parse(h.from) / 1000), [hourly]);
  const series = useMemo<Series[]>(
    () =>
      lines.map((l, i) => ({
        label: l.name || l.line,
        color: PALETTE[i % PALETTE.length] ?? "#1f6feb",
        values: hourly.hours.map(
          (h) => h.lines[l.line]?.good ?? (Date.parse(h.from) > Date.now() ? null : 0),
        ),
      })),
    [hourly, lines],
  );
  return (
    <Chart
      lang={lang}
      id="hourly-chart"
      x={x}
      series={series}
      bars={lines.length === 1}
      label={t("hourly")}
    />
  );
}

function ShiftTable({ hourly }: { hourly: PlantHourlyResponse }) {
  const { t, lang } = useApp();
  return (
    <table class="shifts">
      <caption>{t("shifts")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("shift")}</th>
          <th scope="col">{t("good")}</th>
          <th scope="col">{t("reject")}</th>
        </tr>
      </thead>
      <tbody>
        {hourly.shifts.map((s) => {
          const total = sum(s.lines);
          return (
            <tr key={s.from} data-shift={s.name}>
              <th scope="row">{`${t(s.name)} ${formatHhmm(s.from, lang)}–${formatHhmm(s.to, lang)}`}</th>
              <td class="num">{formatCount(total.good, lang)}</td>
              <td class="num">{formatCount(total.reject, lang)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The plant manager's wall screen: a tile per line, totals, today's hourly chart and shift totals. */
export function PlantView(p: { plant: string; lines: Map<string, LineView>; date: string }) {
  const { t, lang, principal } = useApp();
  const all = [...p.lines.values()];
  const lines = all.filter((l) => l.plant === p.plant).sort((a, b) => a.line.localeCompare(b.line));
  const plants = [...new Map(all.map((l) => [l.plant, l.plantName])).entries()];
  const tick = Math.floor(Date.now() / 60_000);
  const hourly = useHourly(p.plant, p.date, tick);
  const oee = useOee(p.plant, p.date, tick);
  const good = lines.reduce((s, l) => s + l.today.good, 0);
  const reject = lines.reduce((s, l) => s + l.today.reject, 0);
  const running = lines.filter((l) => l.state === "running").length;
  return (
    <section class="plant-view" aria-labelledby="plant-name">
      <div class="view-head">
        <h2 id="plant-name">{lines[0]?.plantName ?? p.plant}</h2>
        {principal.plant === undefined && plants.length > 1 && (
          <select
            aria-label={t("plant")}
            value={p.plant}
            onChange={(e) => {
              window.location.hash = href("plant", (e.currentTarget as HTMLSelectElement).value);
            }}
          >
            {plants.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        )}
      </div>
      <div class="totals" aria-live="polite">
        <div class="total" id="total-good">
          <span class="label">{t("today")}</span>
          <span class="value">{formatCount(good, lang, true)}</span>
        </div>
        <div class="total" id="total-reject">
          <span class="label">{t("rejects")}</span>
          <span class="value">{formatCount(reject, lang, true)}</span>
        </div>
        <div class="total" id="total-lines">
          <span class="label">{t("lines")}</span>
          <span class="value">{`${running} / ${lines.length} ${t("running")}`}</span>
        </div>
      </div>
      <ul class="tiles" id="tiles">
        {lines.map((l) => (
          <Tile key={l.line} l={l} oee={oee.get(l.line)} />
        ))}
      </ul>
      <h3>{t("hourly")}</h3>
      {hourly.data && <HourlyChart hourly={hourly.data} lines={lines} />}
      {hourly.data && <ShiftTable hourly={hourly.data} />}
    </section>
  );
}
