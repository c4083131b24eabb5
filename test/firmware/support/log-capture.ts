import pino, { type Logger } from "pino";

/** A pino logger whose JSON lines are kept, so a test can assert a warning was logged. */
export function captureLog(): {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  has(msg: string): boolean;
} {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines, has: (msg) => lines.some((l) => l.msg === msg) };
}
