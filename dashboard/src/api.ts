import type { LinesResponse, LineView } from "../../protocol/api.ts";

const TOKEN_KEY = "masktally.token";

/**
 * `/?token=TOKEN` signs a wall display in (CONTRACTS.md): the token is kept in localStorage and dropped
 * from the address bar so it does not end up in screenshots or bookmarks.
 */
export function takeTokenFromUrl(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    localStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete("token");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return localStorage.getItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function fetchLines(token: string | null): Promise<LinesResponse> {
  const res = await fetch("api/lines", { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(res.status, `${res.status} ${res.statusText}`);
  return (await res.json()) as LinesResponse;
}

/** Live `line` events over SSE; EventSource reconnects by itself, `onState` reports the connection. */
export function subscribeLines(
  token: string | null,
  onLine: (line: LineView) => void,
  onState: (state: "live" | "disconnected") => void,
): EventSource {
  const es = new EventSource(token ? `api/events?token=${encodeURIComponent(token)}` : "api/events");
  es.addEventListener("line", (ev) => onLine(JSON.parse((ev as MessageEvent<string>).data) as LineView));
  es.onopen = () => onState("live");
  es.onerror = () => onState("disconnected");
  return es;
}
