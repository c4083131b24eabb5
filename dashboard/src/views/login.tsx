import { useState } from "preact/hooks";
import { ApiError, login, type Principal } from "../api.ts";
import { useApp } from "../context.ts";

/** Sign in with a name and password (a session) or a token (a wall display, a script's user). */
export function LoginView(p: { onDone: (principal: Principal) => void; onLang: () => void }) {
  const { t, lang } = useApp();
  /** Why the last attempt failed: wrong credentials, or too many attempts (429, gateway/http/users.ts). */
  const [failed, setFailed] = useState<"loginFailed" | "loginThrottled" | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (body: { name: string; password: string } | { token: string }) => {
    setBusy(true);
    login(body).then(p.onDone, (err: unknown) => {
      setFailed(err instanceof ApiError && err.status === 429 ? "loginThrottled" : "loginFailed");
      setBusy(false);
    });
  };
  const onPassword = (ev: Event) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget as HTMLFormElement);
    submit({ name: String(f.get("name") ?? ""), password: String(f.get("password") ?? "") });
  };
  const onToken = (ev: Event) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget as HTMLFormElement);
    submit({ token: String(f.get("token") ?? "") });
  };
  return (
    <main class="login" id="main">
      <header class="login-head">
        <h1>{t("title")}</h1>
        <button id="lang" type="button" onClick={p.onLang} aria-label="Language / 语言">
          {lang === "zh-CN" ? "EN" : "中文"}
        </button>
      </header>
      <p class="hint" id="signin-needed">
        {t("unauthorized")}
      </p>
      <form id="login-password" onSubmit={onPassword}>
        <label>
          {t("name")}
          <input name="name" autocomplete="username" required />
        </label>
        <label>
          {t("password")}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          {t("login")}
        </button>
      </form>
      <form id="login-token" onSubmit={onToken}>
        <label>
          {t("orToken")}
          <input name="token" autocomplete="off" required />
        </label>
        <button type="submit" disabled={busy}>
          {t("login")}
        </button>
      </form>
      {failed !== null && (
        <p id="error" class="error" role="alert">
          {t(failed)}
        </p>
      )}
    </main>
  );
}
