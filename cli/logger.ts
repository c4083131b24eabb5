import pino, { type Logger, type LoggerOptions } from "pino";
import pretty from "pino-pretty";

/**
 * The program's root logger (CONTRACTS.md): JSON lines on stdout, or readable lines when stdout is a
 * terminal. Secrets never reach it: the paths below are redacted wherever a caller passes them.
 */
export function createLogger(
  name: string,
  level = process.env.MASKTALLY_LOG_LEVEL ?? "info",
  tty = process.stdout.isTTY === true,
): Logger {
  const options: LoggerOptions = {
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
  };
  // sync: a program stopping on SIGTERM must not lose its last lines in an async buffer.
  if (tty)
    return pino(options, pretty({ sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }));
  return pino(options);
}

export type { Logger };
