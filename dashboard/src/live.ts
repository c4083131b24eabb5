import { useEffect, useRef, useState } from "preact/hooks";
import type { LineView } from "./api.ts";
import { withToken } from "./api.ts";

export type ConnState = "connecting" | "live" | "disconnected";

export interface LiveHandlers {
  line?: (view: LineView) => void;
  alert?: (alert: Record<string, unknown>) => void;
  /** Called on every (re)connection: reload what may have been missed. */
  open?: () => void;
}

/**
 * Live updates over SSE (`line`, `alert`). EventSource retries by itself after a network error; when the server
 * closes the stream for good (an HTTP error, a gateway restart mid-handshake) it gives up, so we reopen it with
 * a capped backoff.
 */
export function useLive(handlers: LiveHandlers, enabled = true): ConnState {
  const [state, setState] = useState<ConnState>("connecting");
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = 1000;
    let closed = false;
    const connect = () => {
      es = new EventSource(withToken("api/events"));
      es.addEventListener("line", (ev) => ref.current.line?.(JSON.parse((ev as MessageEvent<string>).data)));
      es.addEventListener("alert", (ev) =>
        ref.current.alert?.(JSON.parse((ev as MessageEvent<string>).data)),
      );
      es.onopen = () => {
        delay = 1000;
        setState("live");
        ref.current.open?.();
      };
      es.onerror = () => {
        setState("disconnected");
        if (es?.readyState === EventSource.CLOSED && !closed) {
          es.close();
          timer = setTimeout(connect, delay);
          delay = Math.min(delay * 2, 30_000);
        }
      };
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(timer);
      es?.close();
    };
  }, [enabled]);
  return state;
}

/** Re-renders every `ms` (durations such as "stopped for 12 min" move on without new data). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/** Loads `load()` now and whenever `deps` change; `reload` runs it again. */
export function useData<T>(
  load: () => Promise<T>,
  deps: unknown[],
): { data: T | undefined; error: unknown; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
      },
      (err: unknown) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return { data, error, reload: () => setN((x) => x + 1) };
}
