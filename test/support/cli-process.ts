import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

const BIN = new URL("../../bin/masktally.js", import.meta.url).pathname;

/** A `masktally` program run as a separate process, with its JSON log lines parsed as they arrive. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>> = [];
  stderr = "";
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      try {
        this.logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.logs.push({ msg: line, unparsed: true });
      }
      for (const w of this.waiters) w();
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.once("close", (code, signal) => {
        for (const w of this.waiters) w();
        resolve({ code, signal });
      }),
    );
  }

  /** Resolves with the first log line matching `pred`; rejects on timeout or if the process exits first. */
  waitForLog(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs = 30_000,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.logs.find(pred);
        if (hit) return done(() => resolve(hit));
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done(() =>
            reject(
              new Error(
                `process exited (${this.child.exitCode}) before the log line; stderr: ${this.stderr}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          done(() => reject(new Error(`no such log line within ${timeoutMs} ms; stderr: ${this.stderr}`))),
        timeoutMs,
      );
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a signal and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 20_000) {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}

/** Runs a masktally command to completion. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string) {
  const p = new CliProcess(args, env);
  if (stdin !== undefined) p.child.stdin!.end(stdin);
  else p.child.stdin!.end();
  const { code } = await p.exited;
  return { code, logs: p.logs, stderr: p.stderr };
}
