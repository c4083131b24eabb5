import pino, { type Logger } from "pino";

/**
 * The program's root logger: JSON lines on stdout (CONTRACTS.md). Secrets never reach it: the paths below
 * are redacted wherever a caller passes them.
 */
export function createLogger(name: string, level = process.env.MASKTALLY_LOG_LEVEL ?? "info"): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    redact: [
      "password",
      "*.password",
      "token",
      "*.token",
      "adminToken",
      "*.adminToken",
      "headers.authorization",
    ],
  });
}

export type { Logger };
