import type { Counts, LinesResponse, LineView, Principal, Role } from "../../protocol/api.ts";

export type { Counts, LinesResponse, LineView, Principal, Role };

const TOKEN_KEY = "masktally.token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `/?token=TOKEN` signs a wall display in (CONTRACTS.md): the token is kept in localStorage and dropped from the
 * address bar so it does not end up in screenshots or bookmarks.
 */
export function takeTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    localStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
}

export const getToken = (): string | null => localStorage.getItem(TOKEN_KEY);
export const setToken = (token: string | null): void =>
  token === null ? localStorage.removeItem(TOKEN_KEY) : localStorage.setItem(TOKEN_KEY, token);

/** A URL that carries the token in the query, for links and EventSource, which cannot send headers. */
export function withToken(path: string): string {
  const token = getToken();
  if (token === null) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const token = getToken();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`api/${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { message?: string } | null;
    throw new ApiError(res.status, body?.message ?? `${res.status} ${res.statusText}`);
  }
  return (await res.json()) as T;
}

export async function login(
  body: { name: string; password: string } | { token: string },
): Promise<Principal> {
  setToken(null);
  const res = await api<{ token: string; principal: Principal }>("login", { method: "POST", body });
  setToken(res.token);
  return res.principal;
}

export async function logout(): Promise<void> {
  await api("logout", { method: "POST" }).catch(() => undefined);
  setToken(null);
}

/** Today's production day as YYYY-MM-DD on the plants' wall clock. */
export function localDate(offsetDays = 0, now = Date.now()): string {
  const d = new Date(now + offsetDays * 86_400_000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(d);
}
