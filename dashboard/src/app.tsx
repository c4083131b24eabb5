import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api, type LinesResponse, type LineView, logout, type Principal } from "./api.ts";
import { AppContext, type Ctx, useApp } from "./context.ts";
import { type Lang, translate } from "./i18n.ts";
import { type ConnState, useLive } from "./live.ts";
import { href, type Route, useRoute } from "./router.ts";
import { AlertsView } from "./views/alerts.tsx";
import { BureauView } from "./views/bureau.tsx";
import { LineDetail } from "./views/line.tsx";
import { LoginView } from "./views/login.tsx";
import { PlantView } from "./views/plant.tsx";

const LANG_KEY = "masktally.lang";

export function App() {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem(LANG_KEY) as Lang | null) ?? "zh-CN");
  const [principal, setPrincipal] = useState<Principal | null | undefined>(undefined);
  useEffect(() => {
    api<Principal>("me").then(setPrincipal, () => setPrincipal(null));
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const toggleLang = () => {
    const next = lang === "zh-CN" ? "en" : "zh-CN";
    localStorage.setItem(LANG_KEY, next);
    setLang(next);
  };
  const ctx = useMemo<Ctx>(
    () => ({ lang, t: (k) => translate(lang, k), principal: principal ?? { name: "", role: "bureau" } }),
    [lang, principal],
  );
  return (
    <AppContext.Provider value={ctx}>
      {principal === undefined ? null : principal === null ? (
        <LoginView onLang={toggleLang} onDone={setPrincipal} />
      ) : (
        <Shell
          principal={principal}
          onLang={toggleLang}
          onLogout={() => {
            void logout().then(() => setPrincipal(null));
          }}
        />
      )}
    </AppContext.Provider>
  );
}

/** Today's lines, loaded once and kept current by SSE `line` events; `alerts` counts SSE `alert` events. */
function useLines(principal: Principal) {
  const [lines, setLines] = useState(new Map<string, LineView>());
  const [date, setDate] = useState("");
  const [error, setError] = useState<number | null>(null);
  const [alerts, setAlerts] = useState(0);
  const load = useCallback(() => {
    api<LinesResponse>("lines").then(
      (res) => {
        setDate(res.date);
        setLines(new Map(res.lines.map((l) => [`${l.plant}/${l.line}`, l])));
        setError(null);
      },
      (err: unknown) => setError(err instanceof ApiError ? err.status : 0),
    );
  }, []);
  useEffect(() => {
    load();
    // The production day rolls over at local midnight; a full reload every minute picks it up.
    const id = setInterval(load, 60_000);
    return () => clearInterval(id);
  }, [load]);
  const conn = useLive(
    {
      line: (l) => setLines((m) => new Map(m).set(`${l.plant}/${l.line}`, l)),
      alert: () => setAlerts((n) => n + 1),
      open: load,
    },
    !principal.public,
  );
  return { lines, date, error, conn, alerts };
}

function home(principal: Principal, lines: Map<string, LineView>): Route | null {
  if (principal.role === "technician") return { view: "alerts" };
  if (principal.role === "bureau") return { view: "bureau", days: 14 };
  const plant = principal.plant ?? [...lines.values()][0]?.plant;
  return plant === undefined ? null : { view: "plant", plant };
}

function Shell(p: { principal: Principal; onLang: () => void; onLogout: () => void }) {
  const { lines, date, error, conn, alerts } = useLines(p.principal);
  const routed = useRoute();
  const route = routed.view === "home" ? home(p.principal, lines) : routed;
  return (
    <>
      <Header
        principal={p.principal}
        firstPlant={[...lines.values()][0]?.plant}
        date={date}
        conn={conn}
        onLang={p.onLang}
        onLogout={p.onLogout}
      />
      <main id="main">
        {error !== null && <ErrorNote status={error} />}
        {route?.view === "plant" && <PlantView plant={route.plant} lines={lines} date={date} />}
        {route?.view === "line" && (
          <LineDetail plant={route.plant} line={route.line} lines={lines} date={date} />
        )}
        {route?.view === "bureau" && <BureauView days={route.days} />}
        {route?.view === "alerts" && <AlertsView focus={route.id} lines={lines} changes={alerts} />}
      </main>
    </>
  );
}

function ErrorNote({ status }: { status: number }) {
  const { t } = useApp();
  const key = status === 401 ? "unauthorized" : status === 403 ? "forbidden" : "failed";
  return (
    <p id="error" class="error" role="alert">
      {t(key)}
    </p>
  );
}

function navLinks(
  principal: Principal,
  firstPlant: string | undefined,
  t: Ctx["t"],
): Array<[string, string]> {
  const { role } = principal;
  const plant = principal.plant ?? firstPlant;
  const links: Array<[string, string]> = [];
  if (plant !== undefined && role !== "technician" && !principal.public)
    links.push([href("plant", plant), t("plantView")]);
  if (role === "admin" || role === "bureau") links.push([href("bureau"), t("bureauView")]);
  if (role !== "bureau") links.push([href("alerts"), t("alertsView")]);
  return links;
}

function Header(p: {
  principal: Principal;
  firstPlant: string | undefined;
  date: string;
  conn: ConnState;
  onLang: () => void;
  onLogout: () => void;
}) {
  const { t, lang } = useApp();
  return (
    <header class="top">
      <a class="skip" href="#main">
        {lang === "zh-CN" ? "跳到内容" : "Skip to content"}
      </a>
      <h1>{t("title")}</h1>
      <nav aria-label="views">
        {navLinks(p.principal, p.firstPlant, t).map(([h, label]) => (
          <a key={h} href={h}>
            {label}
          </a>
        ))}
      </nav>
      <div class="meta">
        {p.date && <span id="date">{`${t("date")} ${p.date}`}</span>}
        {!p.principal.public && (
          <span id="conn" class="conn" data-state={p.conn}>
            {t(p.conn)}
          </span>
        )}
        <span class="who">{p.principal.public ? t("publicBoard") : p.principal.name}</span>
        <button id="lang" type="button" onClick={p.onLang} aria-label="Language / 语言">
          {lang === "zh-CN" ? "EN" : "中文"}
        </button>
        {!p.principal.public && (
          <button id="logout" type="button" onClick={p.onLogout}>
            {t("logout")}
          </button>
        )}
      </div>
    </header>
  );
}
