import type { InfluxDB, IPoint } from "influx";
import type { AlertEvent, LineState } from "../../protocol/index.ts";
import type { LineStore, StateQuery, StoredDowntime, StoredTransition } from "./line-store.ts";
import { WriteCoalescer } from "./write-coalescer.ts";

const LINE_STATE = "line_state";
const DOWNTIME = "downtime";
const ALERT = "alert";

/**
 * Line history in InfluxDB 1.x (DESIGN.md, storage): `line_state` (one point per state change, time = when
 * the new state began), `downtime` (one point per stop, time = its start) and `alert` (one point per step of
 * an alert's life). Tag sets include the line, so two lines never overwrite each other's points. Numbers are
 * written untyped (floats): ms timestamps stay exact below 2^53. Writes made together (a burst of transitions)
 * go out as one request (WriteCoalescer).
 */
export class InfluxLineStore implements LineStore {
  readonly #writes: WriteCoalescer<IPoint>;

  constructor(private readonly influx: InfluxDB) {
    this.#writes = new WriteCoalescer((points) => influx.writePoints(points, { precision: "ms" }));
  }

  writeTransition(t: StoredTransition): Promise<void> {
    return this.#writes.write({
      measurement: LINE_STATE,
      tags: { plant: t.plant, line: t.line },
      fields: { state: t.state, prev: t.from },
      timestamp: t.at,
    });
  }

  writeDowntime(d: StoredDowntime): Promise<void> {
    const fields: Record<string, string | number | boolean> = {
      end_ms: d.end,
      duration_s: d.durationMs / 1000,
      micro: d.micro,
    };
    if (d.reason !== null) fields.reason = d.reason;
    return this.#writes.write({
      measurement: DOWNTIME,
      tags: { plant: d.plant, line: d.line },
      fields,
      timestamp: d.start,
    });
  }

  writeAlertEvent(e: AlertEvent): Promise<void> {
    const a = e.alert;
    return this.#writes.write({
      measurement: ALERT,
      tags: { plant: a.plant, line: a.line, kind: a.kind, event: e.event },
      fields: { id: a.id, state: a.state, by: a.ackedBy ?? "", message: a.message },
      timestamp: e.ts,
    });
  }

  async transitions(q: StateQuery): Promise<StoredTransition[]> {
    const plant = q.plant !== undefined ? " AND plant = $plant" : "";
    const placeholders: Record<string, string> = q.plant !== undefined ? { plant: q.plant } : {};
    type Row = { time: Date; plant: string; line: string; state: string; prev: string };
    const [before, within] = await Promise.all([
      this.influx.query<Row>(
        `SELECT last(state) AS state, prev FROM ${LINE_STATE} WHERE time < ${q.from.getTime()}ms${plant} GROUP BY plant, "line"`,
        { placeholders },
      ),
      this.influx.query<Row>(
        `SELECT state, prev FROM ${LINE_STATE} WHERE time >= ${q.from.getTime()}ms AND time < ${q.to.getTime()}ms${plant} GROUP BY plant, "line"`,
        { placeholders },
      ),
    ]);
    return [...before, ...within].map((r) => ({
      plant: r.plant,
      line: r.line,
      state: r.state as LineState,
      from: r.prev as LineState,
      at: r.time.getTime(),
    }));
  }

  async downtime(q: StateQuery): Promise<StoredDowntime[]> {
    const plant = q.plant !== undefined ? " AND plant = $plant" : "";
    type Row = {
      time: Date;
      plant: string;
      line: string;
      end_ms: number;
      duration_s: number;
      micro: boolean;
      reason: string | null;
    };
    const rows = await this.influx.query<Row>(
      `SELECT end_ms, duration_s, micro, reason FROM ${DOWNTIME} WHERE time >= ${q.from.getTime()}ms AND time < ${q.to.getTime()}ms${plant} GROUP BY plant, "line"`,
      { placeholders: q.plant !== undefined ? { plant: q.plant } : {} },
    );
    return rows.map((r) => ({
      plant: r.plant,
      line: r.line,
      start: r.time.getTime(),
      end: r.end_ms,
      durationMs: Math.round(r.duration_s * 1000),
      micro: r.micro,
      reason: r.reason ?? null,
    }));
  }
}
