import { useEffect, useState } from "preact/hooks";
import { ACK_REASONS, type AckReason, type AlertsResponse, type AlertView } from "../../../protocol/api.ts";
import { ApiError, api, type LineView } from "../api.ts";
import { useApp } from "../context.ts";
import { formatDuration, formatHhmm } from "../i18n.ts";
import { useData, useTick } from "../live.ts";
import { href } from "../router.ts";

function AckForm({ alert, onDone }: { alert: AlertView; onDone: () => void }) {
  const { t, principal } = useApp();
  const [failed, setFailed] = useState<string | null>(null);
  const submit = (ev: Event) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget as HTMLFormElement);
    const note = String(f.get("note") ?? "").trim();
    const body = {
      by: principal.name,
      reason: String(f.get("reason")) as AckReason,
      ...(note ? { note } : {}),
    };
    api(`alerts/${encodeURIComponent(alert.id)}/ack`, { method: "POST", body }).then(onDone, (err: unknown) =>
      setFailed(err instanceof ApiError ? err.message : t("failed")),
    );
  };
  return (
    <form class="ack" onSubmit={submit} data-alert={alert.id}>
      <label>
        {t("reason")}
        <select name="reason" required>
          {ACK_REASONS.map((r) => (
            <option key={r} value={r}>
              {t(r)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("note")}
        <input name="note" maxLength={200} />
      </label>
      <button type="submit" class="primary">
        {t("ack")}
      </button>
      {failed && (
        <p class="error" role="alert">
          {failed}
        </p>
      )}
    </form>
  );
}

function AlertCard(p: { alert: AlertView; now: number; focused: boolean; onAcked: () => void }) {
  const { t, lang } = useApp();
  const a = p.alert;
  const active = a.state !== "resolved";
  const lasting = a.downtimeMs ?? (a.resolvedAt ? Date.parse(a.resolvedAt) : p.now) - Date.parse(a.since);
  return (
    <li
      class={`alert alert-${a.state} ${p.focused ? "focused" : ""}`}
      data-alert={a.id}
      data-line={`${a.plant}/${a.line}`}
      data-state={a.state}
      id={`alert-${a.id}`}
      tabIndex={p.focused ? -1 : undefined}
    >
      <div class="alert-head">
        <strong>{`${a.lineName || a.line} · ${t(a.kind)}`}</strong>
        <span class="alert-state">
          {t(a.state === "raised" ? "stopped" : a.state === "acknowledged" ? "acked" : "resolved")}
        </span>
      </div>
      <p class="alert-meta">
        {`${a.plantName} · ${t("since")} ${formatHhmm(a.since, lang)} · ${active ? t("stoppedFor") : t("downtime")} `}
        <span class="duration">{formatDuration(lasting, lang)}</span>
      </p>
      {a.ackedBy && (
        <p class="alert-ack">{`${t("acked")}: ${a.ackedBy} ${formatHhmm(a.ackedAt, lang)}${a.ackReason ? ` · ${t(a.ackReason)}` : ""}${a.ackNote ? ` · ${a.ackNote}` : ""}`}</p>
      )}
      {a.state === "raised" && <AckForm alert={a} onDone={p.onAcked} />}
      <a href={href("line", a.plant, a.line)}>{t("line")} →</a>
    </li>
  );
}

/**
 * The technician's phone screen: active alerts first (longest stopped on top), acknowledge with a reason code,
 * then history. `/#/alerts/{id}` (the link in a webhook message) scrolls to and highlights that alert.
 */
export function AlertsView(p: { focus: string | undefined; lines: Map<string, LineView>; changes: number }) {
  const { t } = useApp();
  const now = useTick(30_000);
  const { data, error, reload } = useData(() => api<AlertsResponse>("alerts?state=all"), [p.changes]);
  useEffect(() => {
    if (p.focus && data) document.getElementById(`alert-${p.focus}`)?.focus();
  }, [p.focus, data]);
  if (error !== undefined && data === undefined) {
    return (
      <p class="error" role="alert">
        {error instanceof ApiError && error.status === 404 ? t("notAvailable") : t("failed")}
      </p>
    );
  }
  const alerts = data?.alerts ?? [];
  const active = alerts.filter((a) => a.state !== "resolved").sort((a, b) => a.since.localeCompare(b.since));
  const past = alerts
    .filter((a) => a.state === "resolved")
    .sort((a, b) => b.raisedAt.localeCompare(a.raisedAt));
  const card = (a: AlertView) => (
    <AlertCard key={a.id} alert={a} now={now} focused={a.id === p.focus} onAcked={reload} />
  );
  return (
    <section class="alerts-view">
      <h2>{t("activeAlerts")}</h2>
      {active.length === 0 ? (
        <p class="empty">{t("noAlerts")}</p>
      ) : (
        <ul class="alerts" id="active-alerts">
          {active.map(card)}
        </ul>
      )}
      <h2>{t("history")}</h2>
      {past.length === 0 ? (
        <p class="empty">{t("noAlerts")}</p>
      ) : (
        <ul class="alerts" id="alert-history">
          {past.slice(0, 100).map(card)}
        </ul>
      )}
    </section>
  );
}
