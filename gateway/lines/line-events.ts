import type { Logger } from "pino";
import type { LineView } from "../../protocol/index.ts";
import type { LineViews } from "./line-views.ts";

export type LineListener = (view: LineView) => void;

/**
 * Feeds the `line` SSE events: while anyone listens, recomputes the line views every `intervalMs` and
 * emits each line whose view changed — at most once per interval per line. A new listener first gets
 * every line.
 */
export class LineEvents {
  readonly #listeners = new Set<LineListener>();
  readonly #last = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly views: LineViews,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  subscribe(listener: LineListener): () => void {
    this.#listeners.add(listener);
    this.views.lines().then(
      (res) => {
        if (!this.#listeners.has(listener)) return;
        for (const v of res.lines) {
          const key = `${v.plant}/${v.line}`;
          if (!this.#last.has(key)) this.#last.set(key, JSON.stringify(v));
          listener(v);
        }
      },
      (err: unknown) => this.log.warn({ err }, "line views failed"),
    );
    this.#timer ??= setInterval(() => void this.#tick(), this.intervalMs);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#last.clear();
  }

  async #tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { lines } = await this.views.lines();
      for (const view of lines) {
        const key = `${view.plant}/${view.line}`;
        const json = JSON.stringify(view);
        if (this.#last.get(key) === json) continue;
        this.#last.set(key, json);
        for (const listener of this.#listeners) listener(view);
      }
    } catch (err) {
      this.log.warn({ err }, "line views failed");
    } finally {
      this.#busy = false;
    }
  }
}
