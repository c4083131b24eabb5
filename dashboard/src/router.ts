import { useEffect, useState } from "preact/hooks";

/** Hash routes: a deep link like `/#/alerts/{id}` (from a webhook message) works without server routing. */
export type Route =
  | { view: "home" }
  | { view: "plant"; plant: string }
  | { view: "line"; plant: string; line: string }
  | { view: "bureau"; days: number }
  | { view: "alerts"; id?: string };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [head, a, b] = parts;
  if (head === "plant" && a) return { view: "plant", plant: a };
  if (head === "line" && a && b) return { view: "line", plant: a, line: b };
  if (head === "bureau") {
    const days = Number(new URLSearchParams(query).get("days") ?? 14);
    return { view: "bureau", days: Number.isInteger(days) && days >= 2 && days <= 90 ? days : 14 };
  }
  if (head === "alerts") return a ? { view: "alerts", id: a } : { view: "alerts" };
  return { view: "home" };
}

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join("/")}`;

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
