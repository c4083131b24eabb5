import { ACK_REASON_ZH, type AlertEvent, type AlertView } from "../../protocol/index.ts";
import { localHhmm } from "../lines/production-day.ts";

/** A message in the three shapes the channels need. Chinese first: the people acting on it read Chinese. */
export interface AlertText {
  title: string;
  /** Markdown subset understood by the WeCom and DingTalk robots (bold, quote, link). */
  markdown: string;
  plain: string;
}

const HEAD: Record<AlertEvent["event"], string> = {
  raised: "告警",
  reminder: "提醒",
  escalated: "告警升级",
  acknowledged: "已确认",
  resolved: "已恢复",
};

const KIND_ZH: Record<AlertView["kind"], string> = {
  "line-stopped": "停机",
  "device-offline": "设备离线",
  "sensor-limit": "传感器超限",
};

const KIND_EN: Record<AlertView["kind"], string> = {
  "line-stopped": "stopped",
  "device-offline": "device offline",
  "sensor-limit": "sensor out of limits",
};

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} 分 ${s % 60} 秒` : `${s} 秒`;
}

function detailLines(a: AlertView, tz: string, now: number): string[] {
  const since = localHhmm(Date.parse(a.since), tz);
  const lines: string[] = [];
  if (a.kind === "sensor-limit" && a.sensor !== null) {
    const lim = `${a.sensor.min ?? "-∞"} ~ ${a.sensor.max ?? "+∞"}`;
    lines.push(`${a.sensor.name} = ${a.sensor.value}（限值 ${lim}），自 ${since} 起`);
  } else {
    lines.push(`${KIND_ZH[a.kind]}开始：${since}（已 ${duration(now - Date.parse(a.since))}）`);
  }
  if (a.ackedBy !== null) {
    const reason = a.ackReason !== null ? ACK_REASON_ZH[a.ackReason] : "未填写";
    lines.push(`确认人：${a.ackedBy}，原因：${reason}${a.ackNote ? `（${a.ackNote}）` : ""}`);
  }
  if (a.state === "resolved" && a.downtimeMs !== null) lines.push(`停机时长：${duration(a.downtimeMs)}`);
  return lines;
}

/** The one-line message stored with the alert (API `message`): Chinese, then English. */
export function alertSummary(a: Omit<AlertView, "message" | "url">, tz: string): string {
  const since = localHhmm(Date.parse(a.since), tz);
  const zh = `${a.plantName} ${a.lineName} ${KIND_ZH[a.kind]}（自 ${since} 起）`;
  const en = `${a.plant}/${a.line} ${KIND_EN[a.kind]} since ${since} (${tz})`;
  return `${zh} — ${en}`;
}

/** The text of one alert event for chat robots and the generic webhook. */
export function alertText(e: AlertEvent, tz: string): AlertText {
  const a = e.alert;
  const title = `【${KIND_ZH[a.kind]}${HEAD[e.event]}】${a.plantName} · ${a.lineName}`;
  const details = detailLines(a, tz, e.ts);
  const link = a.url !== null ? `[打开告警 / open alert](${a.url})` : null;
  const en = `${a.plant}/${a.line}: ${KIND_EN[a.kind]} — ${e.event}`;
  const markdown = [
    `**${title}**`,
    `> 工厂：${a.plantName}（${a.plant}）`,
    `> 产线：${a.lineName}（${a.line}）`,
    ...details.map((d) => `> ${d}`),
    ...(link !== null ? [link] : []),
    en,
  ].join("\n");
  const plain = [
    title,
    `工厂：${a.plantName}`,
    `产线：${a.lineName}`,
    ...details,
    ...(a.url ? [a.url] : []),
    en,
  ].join("\n");
  return { title, markdown, plain };
}
