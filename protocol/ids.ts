/** Plant, line and device ids: lowercase, digits and dashes, 1–32 characters (DESIGN.md, wire contract). */
export const ID_PATTERN = "^[a-z0-9][a-z0-9-]{0,31}$";
const ID_RE = new RegExp(ID_PATTERN);

export function isId(value: unknown): value is string {
  return typeof value === "string" && ID_RE.test(value);
}

/** "plant/line", the key used for a line everywhere outside MQTT topics (ledger, CLI flags, devices file). */
export type LineKey = `${string}/${string}`;

export function lineKey(plant: string, line: string): LineKey {
  return `${plant}/${line}`;
}

export function parseLineKey(key: string): { plant: string; line: string } | null {
  const parts = key.split("/");
  if (parts.length !== 2) return null;
  const [plant, line] = parts as [string, string];
  return isId(plant) && isId(line) ? { plant, line } : null;
}
