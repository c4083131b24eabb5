import type { LineState } from "../../../protocol/api.ts";
import { useApp } from "../context.ts";
import { formatHhmm, formatPercent } from "../i18n.ts";

/** A progress bar with its value spoken and printed (screen readers, print). */
export function Progress(p: { value: number; max: number | null; label: string }) {
  const { lang } = useApp();
  const ratio = p.max && p.max > 0 ? p.value / p.max : null;
  const pct = ratio === null ? 0 : Math.min(100, Math.round(ratio * 100));
  return (
    <div
      class={`progress ${ratio !== null && ratio >= 1 ? "done" : ""}`}
      role="progressbar"
      aria-label={p.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
    >
      <div class="fill" style={{ width: `${pct}%` }} />
      <span class="pct">{formatPercent(ratio, lang)}</span>
    </div>
  );
}

/** The state word, colour-coded, with "since hh:mm" for a stopped or offline line. */
export function StateBadge(p: { state: LineState; since: string | null }) {
  const { t, lang } = useApp();
  const showSince = (p.state === "stopped" || p.state === "offline") && p.since !== null;
  return (
    <span class={`state state-${p.state}`}>
      {t(p.state)}
      {showSince && <span class="since">{` ${t("since")} ${formatHhmm(p.since, lang)}`}</span>}
    </span>
  );
}

export const PALETTE = [
  "#1f6feb",
  "#d97706",
  "#059669",
  "#9333ea",
  "#dc2626",
  "#0891b2",
  "#65a30d",
  "#db2777",
];
