import type { LineView } from "../../protocol/api.ts";
import { ApiError, fetchLines, subscribeLines, takeTokenFromUrl } from "./api.ts";
import { formatCount, type Lang, type MessageKey, messages } from "./i18n.ts";

const lines = new Map<string, LineView>();
let date = "";
let lang: Lang = (localStorage.getItem("masktally.lang") as Lang | null) ?? "zh-CN";
const t = (key: MessageKey) => messages[lang][key];
const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;

function cell(text: string, className = ""): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(l: LineView): HTMLTableRowElement {
  const tr = document.createElement("tr");
  tr.dataset.line = `${l.plant}/${l.line}`;
  tr.dataset.state = l.state;
  const state = cell(t(l.state as MessageKey) ?? l.state, `state state-${l.state}`);
  tr.append(
    cell(l.plantName || l.plant),
    cell(l.name || l.line),
    state,
    cell(formatCount(l.today.good, lang), "num good"),
    cell(formatCount(l.today.reject, lang), "num reject"),
    cell(`${Math.round(l.ratePerMin)} / ${l.ratedPerMin}`, "num rate"),
  );
  return tr;
}

function render(): void {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll<HTMLElement>("[data-i18n]"))
    el.textContent = t(el.dataset.i18n as MessageKey);
  $("#lang").textContent = lang === "zh-CN" ? "EN" : "中文";
  $("#date").textContent = date ? `${t("date")} ${date}` : "";
  const sorted = [...lines.values()].sort(
    (a, b) => a.plant.localeCompare(b.plant) || a.line.localeCompare(b.line),
  );
  $("#lines")
    .querySelector("tbody")
    ?.replaceChildren(...sorted.map(row));
  const good = sorted.reduce((s, l) => s + l.today.good, 0);
  const reject = sorted.reduce((s, l) => s + l.today.reject, 0);
  const running = sorted.filter((l) => l.state === "running").length;
  $("#totals").innerHTML = "";
  for (const [label, value, id] of [
    [t("today"), formatCount(good, lang, true), "total-good"],
    [t("rejects"), formatCount(reject, lang, true), "total-reject"],
    [t("lines"), `${running} / ${sorted.length} ${t("running")}`, "total-lines"],
  ] as const) {
    const div = document.createElement("div");
    div.className = "total";
    div.id = id;
    div.innerHTML = `<span class="label"></span><span class="value"></span>`;
    (div.querySelector(".label") as HTMLElement).textContent = label;
    (div.querySelector(".value") as HTMLElement).textContent = value;
    $("#totals").append(div);
  }
}

function showError(key: MessageKey | null): void {
  const el = $("#error");
  el.hidden = key === null;
  el.textContent = key ? t(key) : "";
}

async function load(token: string | null): Promise<void> {
  try {
    const res = await fetchLines(token);
    date = res.date;
    lines.clear();
    for (const l of res.lines) lines.set(`${l.plant}/${l.line}`, l);
    showError(null);
  } catch (err) {
    showError(err instanceof ApiError && err.status === 401 ? "unauthorized" : "failed");
  }
  render();
}

function setConn(state: "connecting" | "live" | "disconnected"): void {
  const el = $("#conn");
  el.dataset.state = state;
  el.textContent = t(state);
}

async function main(): Promise<void> {
  const token = takeTokenFromUrl();
  $("#lang").addEventListener("click", () => {
    lang = lang === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem("masktally.lang", lang);
    render();
    setConn(($("#conn").dataset.state as "live") ?? "connecting");
  });
  setConn("connecting");
  await load(token);
  subscribeLines(
    token,
    (l) => {
      lines.set(`${l.plant}/${l.line}`, l);
      render();
    },
    (state) => {
      setConn(state);
      if (state === "live") void load(token); // catch up on anything missed while disconnected
    },
  );
  // The production day rolls over at local midnight; a full reload of the list every minute picks it up.
  setInterval(() => void load(token), 60_000);
}

void main();
