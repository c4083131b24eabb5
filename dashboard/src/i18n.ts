/** Chinese first (DESIGN.md, words the users use), English as the switch. */
const zh = {
  title: "口罩日产量",
  plant: "工厂",
  plants: "工厂",
  line: "产线",
  state: "状态",
  good: "良品",
  reject: "不良品",
  rate: "速度",
  perMin: "片/分",
  rated: "额定",
  oee: "设备综合效率",
  today: "今日良品",
  rejects: "今日不良品",
  lines: "产线",
  running: "运行",
  stopped: "停机",
  offline: "离线",
  idle: "待机",
  unknown: "未知",
  since: "自",
  live: "实时",
  connecting: "连接中…",
  disconnected: "已断开，正在重连",
  date: "生产日",
  failed: "无法加载数据",
  hourly: "今日每小时产量",
  shifts: "班次产量",
  shift: "班次",
  day: "白班",
  night: "夜班",
  total: "合计",
  plantView: "工厂",
  bureauView: "全省",
  alertsView: "告警",
  login: "登录",
  logout: "退出",
  name: "用户名",
  password: "密码",
  token: "令牌",
  orToken: "或使用令牌登录",
  loginFailed: "用户名、密码或令牌不正确",
  loginThrottled: "尝试次数过多，请 5 分钟后再试",
  unauthorized: "需要登录",
  forbidden: "无权查看",
  province: "全省",
  region: "地区",
  target: "产能目标",
  installed: "日产能（额定）",
  output: "日产量",
  producing: "今日生产的工厂",
  producingShort: "生产中（工厂 / 产线）",
  cumulative: "累计产量",
  trend: "近期日产量",
  stale: "未上报",
  staleHint: "超过 10 分钟无数据",
  report: "日报 CSV",
  print: "打印",
  activeAlerts: "当前告警",
  history: "历史告警",
  noAlerts: "没有告警",
  ack: "确认",
  acked: "已确认",
  resolved: "已恢复",
  reason: "停机原因",
  note: "备注",
  stoppedFor: "已停机",
  raisedAt: "发生",
  "line-stopped": "产线停机",
  "device-offline": "设备离线",
  "material-shortage": "缺料",
  "ear-loop-welder": "耳带焊接故障",
  "nose-wire-jam": "鼻梁条卡料",
  "no-operator": "无人值守",
  other: "其他",
  timeline: "今日状态（按小时）",
  downtime: "停机记录",
  sensors: "传感器",
  duration: "时长",
  nodata: "无数据",
  lastSeen: "最后通信",
  noSensors: "暂无传感器数据",
  back: "返回",
  minutes: "分钟",
  hours: "小时",
  notAvailable: "接口暂不可用",
  publicBoard: "公开看板",
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  title: "Mask output today",
  plant: "Plant",
  plants: "Plants",
  line: "Line",
  state: "State",
  good: "Good",
  reject: "Rejects",
  rate: "Rate",
  perMin: "/min",
  rated: "rated",
  oee: "OEE",
  today: "Good today",
  rejects: "Rejects today",
  lines: "Lines",
  running: "Running",
  stopped: "Stopped",
  offline: "Offline",
  idle: "Idle",
  unknown: "Unknown",
  since: "since",
  live: "Live",
  connecting: "Connecting…",
  disconnected: "Disconnected, reconnecting",
  date: "Production day",
  failed: "Could not load data",
  hourly: "Output per hour today",
  shifts: "Shift totals",
  shift: "Shift",
  day: "Day",
  night: "Night",
  total: "Total",
  plantView: "Plant",
  bureauView: "Province",
  alertsView: "Alerts",
  login: "Sign in",
  logout: "Sign out",
  name: "User name",
  password: "Password",
  token: "Token",
  orToken: "or sign in with a token",
  loginFailed: "Wrong name, password or token",
  loginThrottled: "Too many attempts; try again in 5 minutes",
  unauthorized: "Sign-in needed",
  forbidden: "Not allowed",
  province: "Province",
  region: "Region",
  target: "Target",
  installed: "Installed (rated)",
  output: "Output today",
  producing: "Plants producing today",
  producingShort: "Producing (plants / lines)",
  cumulative: "Cumulative output",
  trend: "Daily output",
  stale: "Not reporting",
  staleHint: "no data for 10+ minutes",
  report: "Daily report CSV",
  print: "Print",
  activeAlerts: "Active alerts",
  history: "History",
  noAlerts: "No alerts",
  ack: "Acknowledge",
  acked: "Acknowledged",
  resolved: "Resolved",
  reason: "Reason",
  note: "Note",
  stoppedFor: "Stopped for",
  raisedAt: "Raised",
  "line-stopped": "Line stopped",
  "device-offline": "Device offline",
  "material-shortage": "Material shortage",
  "ear-loop-welder": "Ear-loop welder fault",
  "nose-wire-jam": "Nose-wire jam",
  "no-operator": "No operator",
  other: "Other",
  timeline: "State today (by hour)",
  downtime: "Downtime",
  sensors: "Sensors",
  duration: "Duration",
  nodata: "No data",
  lastSeen: "Last message",
  noSensors: "No sensor readings",
  back: "Back",
  minutes: "min",
  hours: "h",
  notAvailable: "Not available yet",
  publicBoard: "Public board",
};

export const messages = { "zh-CN": zh, en } as const;
export type Lang = keyof typeof messages;

/** The plants' wall clock (DESIGN.md: days and shifts in the plant's zone; the registry default). */
export const PLANT_TZ = "Asia/Shanghai";

/** Counts in full, grouped for the locale; large totals compact: 12.3万 / 1.2亿 in Chinese, 123.4K in English. */
export function formatCount(n: number, lang: Lang, compact = false): string {
  if (!compact || Math.abs(n) < 10_000) return new Intl.NumberFormat(lang).format(n);
  return new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

export function formatPercent(x: number | null | undefined, lang: Lang): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 }).format(x);
}

/** "14:05" on the plant's wall clock. */
export function formatHhmm(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(lang, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: PLANT_TZ,
  }).format(new Date(iso));
}

/** "1 小时 5 分钟" / "1 h 5 min" since `iso`. */
export function formatDuration(ms: number, lang: Lang): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  const t = messages[lang];
  const h = Math.floor(m / 60);
  return h > 0 ? `${h} ${t.hours} ${m % 60} ${t.minutes}` : `${m} ${t.minutes}`;
}

export function translate(lang: Lang, key: string): string {
  return (messages[lang] as Record<string, string>)[key] ?? key;
}
