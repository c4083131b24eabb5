import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type LeaseStore, LineLeases } from "../../gateway/cluster/line-leases.ts";
import { OdometerTracker } from "../../gateway/ingest/odometer-tracker.ts";
import type { OdometerMark } from "../../gateway/store/sample-store.ts";
import type { Sample } from "../../protocol/index.ts";

const TTL = 1000;
let now = 1_700_000_000_000;
const clock = { now: () => now };

/** Redis' SET NX PX / compare-and-expire / compare-and-delete over a map, expiring by the fake clock. */
class MapLeaseStore implements LeaseStore {
  readonly leases = new Map<string, { owner: string; until: number }>();
  #live(key: string) {
    const l = this.leases.get(key);
    return l !== undefined && l.until > now ? l : undefined;
  }
  async acquire(key: string, owner: string, ttlMs: number) {
    if (this.#live(key) !== undefined) return false;
    this.leases.set(key, { owner, until: now + ttlMs });
    return true;
  }
  async renew(key: string, owner: string, ttlMs: number) {
    const l = this.#live(key);
    if (l?.owner !== owner) return false;
    l.until = now + ttlMs;
    return true;
  }
  async release(key: string, owner: string) {
    if (this.#live(key)?.owner === owner) this.leases.delete(key);
  }
}

/** One gateway instance: its tracker, leases, and the shared store's marks (what InfluxDB holds). */
function instance(id: string, leases: MapLeaseStore, stored: OdometerMark[]) {
  const tracker = new OdometerTracker();
  const own = new LineLeases({
    ...{ store: leases, instanceId: id, tracker, clock, log: pino({ level: "silent" }), ttlMs: TTL },
    marks: async () => stored,
    wait: async (ms) => {
      now += ms;
    },
  });
  const counted = { good: 0 };
  /** ingest.ts' order: enter, count, store, leave; true when the PUBACK may go. */
  const publish = async (s: Sample) => {
    if (!(await own.enter("sr-01", "l1"))) return "refused";
    const r = tracker.accept("sr-01", "l1", s);
    if (r.ok) {
      counted.good += r.point.good;
      const { plant, line, epoch, seq, ts, goodOdo, rejectOdo } = r.point;
      stored.push({ plant, line, epoch, seq, ts, goodOdo, rejectOdo });
    }
    return own.leave("sr-01", "l1") ? (r.ok ? "acked" : "duplicate-acked") : "refused";
  };
  return { own, publish, counted };
}

const sample = (seq: number, good: number): Sample => ({
  v: 1,
  device: "pi-l1",
  epoch: "e1",
  seq,
  ts: 1_700_000_000_000 + seq * 1000,
  good,
  reject: 0,
});

afterEach(() => {
  vi.useRealTimers();
});

describe("line leases (ADR 0011)", () => {
  it("refuses a line another instance holds, then takes it over with its marks: no count twice", async () => {
    const leases = new MapLeaseStore();
    const stored: OdometerMark[] = [];
    const a = instance("gw-a", leases, stored);
    const b = instance("gw-b", leases, stored);
    expect(await a.publish(sample(1, 10))).toBe("acked");
    expect(await a.publish(sample(2, 25))).toBe("acked");
    // The device lands on B while A lives: refused before PUBACK, so it keeps the sample.
    expect(await b.publish(sample(3, 40))).toBe("refused");
    // A stored seq 3 and died before its PUBACK: the device resends seq 3 to B, then goes on.
    expect(await a.publish(sample(3, 40))).toBe("acked");
    now += TTL + 1;
    expect(await b.publish(sample(3, 40))).toBe("duplicate-acked");
    expect(await b.publish(sample(4, 52))).toBe("acked");
    expect(a.counted.good + b.counted.good).toBe(52);
    expect(b.counted.good).toBe(12);
  });

  it("a new holder after Redis lost the leases waits until the old one surely stopped acknowledging", async () => {
    const leases = new MapLeaseStore();
    const stored: OdometerMark[] = [];
    const a = instance("gw-a", leases, stored);
    const b = instance("gw-b", leases, stored);
    expect(await a.publish(sample(1, 10))).toBe("acked");
    leases.leases.clear(); // Redis restarted without persistence: A does not know yet
    const taking = b.publish(sample(3, 40)); // B acquires and waits one ttl (the fake wait advances the clock)
    expect(await taking).toBe("acked");
    // A's last renewal is now older than 0.8 × ttl: it refuses instead of counting against B.
    expect(await a.publish(sample(2, 25))).toBe("refused");
    expect(a.counted.good + b.counted.good).toBe(40);
  });

  it("withholds the PUBACK when the lease ran out while the point was being stored", async () => {
    const leases = new MapLeaseStore();
    const stored: OdometerMark[] = [];
    const a = instance("gw-a", leases, stored);
    expect(await a.own.enter("sr-01", "l1")).toBe(true);
    now += TTL; // a store write slower than the lease, with no renewal in between
    expect(a.own.leave("sr-01", "l1")).toBe(false);
  });

  it("renews a busy line, hands an idle one back, and releases everything on stop", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const leases = new MapLeaseStore();
    const stored: OdometerMark[] = [];
    const a = instance("gw-a", leases, stored);
    const b = instance("gw-b", leases, stored);
    a.own.start();
    expect(await a.publish(sample(1, 10))).toBe("acked");
    for (let i = 0; i < 5; i++) {
      now += TTL / 3;
      await vi.advanceTimersByTimeAsync(TTL / 3);
      expect(await a.publish(sample(2 + i, 10 + i))).toBe("acked");
    }
    expect(a.own.held()).toEqual(["sr-01/l1"]);
    // No sample for 2 × ttl: A lets the line go and B may count it at once (no wait for the expiry).
    for (let i = 0; i < 8; i++) {
      now += TTL / 3;
      await vi.advanceTimersByTimeAsync(TTL / 3);
    }
    expect(a.own.held()).toEqual([]);
    expect(await b.publish(sample(7, 20))).toBe("acked");
    expect(b.counted.good).toBe(6);
    await b.own.stop();
    expect(leases.leases.size).toBe(0);
    await a.own.stop();
  });
});
