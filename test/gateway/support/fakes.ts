import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public t = Date.parse("2020-02-10T10:00:00+08:00")) {}
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A pino logger whose lines land in `lines` (parsed), for asserting what was logged. */
export function captureLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l.trim() !== "") lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}

export const silentLogger = (): Logger => pino({ level: "silent" });

export { waitFor } from "../../support/wait.ts";
