import type { AlertEvent } from "../../protocol/index.ts";
import type { LineStore, StateQuery, StoredDowntime, StoredTransition } from "./line-store.ts";

/** LineStore in memory: for tests and for a gateway started on an injected (non-InfluxDB) sample store. */
export class MemoryLineStore implements LineStore {
  readonly states: StoredTransition[] = [];
  readonly stops: StoredDowntime[] = [];
  readonly alertEvents: AlertEvent[] = [];

  async writeTransition(t: StoredTransition): Promise<void> {
    this.states.push({ ...t });
  }

  async writeDowntime(d: StoredDowntime): Promise<void> {
    this.stops.push({ ...d });
  }

  async writeAlertEvent(e: AlertEvent): Promise<void> {
    this.alertEvents.push(e);
  }

  async transitions(q: StateQuery): Promise<StoredTransition[]> {
    const from = q.from.getTime();
    const to = q.to.getTime();
    const mine = this.states.filter((s) => q.plant === undefined || s.plant === q.plant);
    const before = new Map<string, StoredTransition>();
    for (const s of mine) {
      const key = `${s.plant}/${s.line}`;
      if (s.at < from && (before.get(key)?.at ?? Number.NEGATIVE_INFINITY) <= s.at) before.set(key, s);
    }
    return [...before.values(), ...mine.filter((s) => s.at >= from && s.at < to)];
  }

  async downtime(q: StateQuery): Promise<StoredDowntime[]> {
    return this.stops.filter(
      (d) =>
        d.start >= q.from.getTime() &&
        d.start < q.to.getTime() &&
        (q.plant === undefined || d.plant === q.plant),
    );
  }
}
