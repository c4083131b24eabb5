import type { Logger } from "pino";
import type { LineStore } from "../store/line-store.ts";
import type { DowntimeRecord, LineStateListener, StateTransition } from "./line-state.ts";

/**
 * Stores what the line-state tracker reports: each transition in `line_state`, each ended stop in `downtime`
 * with the reason a technician gave when acknowledging its alert. Writes are fire-and-forget from the
 * tracker's point of view (it runs inside ingest); a failed write is logged, never thrown.
 */
export function lineRecorder(
  store: Pick<LineStore, "writeTransition" | "writeDowntime">,
  reasonFor: (plant: string, line: string, since: number) => string | null,
  log: Logger,
  onMicroStop?: (plant: string, line: string) => void,
): LineStateListener {
  const failed = (what: string) => (err: unknown) => log.warn({ err, what }, "line history write failed");
  return {
    transition(t: StateTransition) {
      log.info(
        { plant: t.plant, line: t.line, from: t.from, to: t.to, at: new Date(t.at).toISOString() },
        "line state changed",
      );
      store
        .writeTransition({ plant: t.plant, line: t.line, state: t.to, from: t.from, at: t.at })
        .catch(failed("line_state"));
    },
    downtime(d: DowntimeRecord) {
      if (d.micro) onMicroStop?.(d.plant, d.line);
      store.writeDowntime({ ...d, reason: reasonFor(d.plant, d.line, d.start) }).catch(failed("downtime"));
    },
  };
}
