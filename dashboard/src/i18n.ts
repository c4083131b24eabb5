/** Chinese first (DESIGN.md, words the users use), English as the switch. */
export const messages = {
  "zh-CN": {
    title: "口罩日产量",
    plant: "工厂",
    line: "产线",
    state: "状态",
    good: "良品",
    reject: "不良品",
    rate: "速度 (片/分)",
    today: "今日良品",
    rejects: "今日不良品",
    lines: "产线",
    running: "运行",
    stopped: "停机",
    offline: "离线",
    idle: "待机",
    unknown: "未知",
    live: "实时",
    connecting: "连接中…",
    disconnected: "已断开，正在重连",
    date: "生产日",
    unauthorized: "需要登录：请使用 /?token=… 打开",
    failed: "无法加载数据",
  },
  en: {
    title: "Mask output today",
    plant: "Plant",
    line: "Line",
    state: "State",
    good: "Good",
    reject: "Rejects",
    rate: "Rate (/min)",
    today: "Good today",
    rejects: "Rejects today",
    lines: "Lines",
    running: "Running",
    stopped: "Stopped",
    offline: "Offline",
    idle: "Idle",
    unknown: "Unknown",
    live: "Live",
    connecting: "Connecting…",
    disconnected: "Disconnected, reconnecting",
    date: "Production day",
    unauthorized: "Sign-in needed: open /?token=…",
    failed: "Could not load data",
  },
} as const;

export type Lang = keyof typeof messages;
export type MessageKey = keyof (typeof messages)["zh-CN"];

/** Counts in full, grouped for the locale; large totals in 万 for Chinese (12.3万), compact for English. */
export function formatCount(n: number, lang: Lang, compact = false): string {
  if (!compact || n < 10_000) return new Intl.NumberFormat(lang).format(n);
  return new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 }).format(n);
}
