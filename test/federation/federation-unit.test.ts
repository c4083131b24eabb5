import { describe, expect, it } from "vitest";
import { MemoryOutbox } from "../../firmware/outbox.ts";
import type { Identity } from "../../gateway/auth/acl.ts";
import { DirtyMinutes, markingWrites } from "../../gateway/federation/dirty-minutes.ts";
import { type ForwardedLine, Forwarder } from "../../gateway/federation/forwarder.ts";
import { FreshnessBoard } from "../../gateway/federation/freshness.ts";
import { StoreMinuteSums } from "../../gateway/federation/minute-sums.ts";
import { ROLLUP_EPOCH, RollupReceiver } from "../../gateway/federation/receiver.ts";
import { DropCounter } from "../../gateway/ingest/drop-counter.ts";
import type { OutputPoint } from "../../gateway/store/sample-store.ts";
import {
  decodeRollup,
  parseRegistry,
  parseRollupTopic,
  type Rollup,
  rollupTopic,
} from "../../protocol/index.ts";
import { FakeClock, silentLogger } from "../gateway/support/fakes.ts";
import { MemoryStore } from "../gateway/support/memory-store.ts";

const REGISTRY = parseRegistry(`
timezone: Asia/Shanghai
regions: [ { id: shangrao, name: 上饶市 } ]
plants:
  - id: sr-01
    name: 示例
    region: shangrao
    lines:
      - { id: l1, name: 1号线, type: flat, ratedPerMin: 120 }
      - { id: l2, name: 2号线, type: kn95, ratedPerMin: 45 }
`);
const LINES: ForwardedLine[] = ["l1", "l2"].map((line) => ({
  plant: "sr-01",
  line,
  entry: { name: line, type: "flat", ratedPerMin: 120 },
}));
const gw: Identity = { kind: "device", id: "gw-sr-01", lines: new Set(["sr-01/l1", "sr-01/l2"]) };

function point(line: string, ts: number, good: number, reject = 0, epoch = "e1"): OutputPoint {
  return { plant: "sr-01", line, epoch, device: "pi", seq: ts, ts, good, reject, goodOdo: 0, rejectOdo: 0 };
}

function setup() {
  const clock = new FakeClock();
  const plant = new MemoryStore();
  const dirty = new DirtyMinutes();
  const writes = markingWrites(plant, dirty);
  const outbox = new MemoryOutbox();
  const forwarder = new Forwarder({
    ...{ dirty, outbox, gateway: "gw-sr-01", everyMs: 1000, clock },
    sums: new StoreMinuteSums(plant),
    lines: () => LINES,
    live: () => ({ state: { state: "running", since: clock.now() - 5000 } }),
  });
  const bureau = new MemoryStore();
  const freshness = new FreshnessBoard(clock);
  const drops = new DropCounter(silentLogger(), clock);
  const receiver = new RollupReceiver({
    registry: () => REGISTRY,
    writer: { enqueue: (p) => bureau.write([p]), barrier: async () => {} },
    ...{ drops, freshness, clock },
  });
  /** Delivers (and acknowledges) everything in the outbox to the bureau. */
  const deliver = async () => {
    for (const e of await outbox.peek(1000)) {
      expect(await receiver.handle(gw, "gw-sr-01", e.topic, Buffer.from(e.payload))).toEqual({
        kind: "accept",
      });
      await outbox.remove(e.id);
    }
  };
  const day = { from: new Date(clock.now() - 86_400_000), to: new Date(clock.now() + 86_400_000) };
  return { clock, plant, writes, dirty, outbox, forwarder, bureau, freshness, drops, receiver, deliver, day };
}

describe("roll-up protocol", () => {
  it("has its own four-level topic and rejects minutes that are not minute-aligned", () => {
    expect(rollupTopic("sr-01")).toBe("mt/v1/sr-01/rollup");
    expect(parseRollupTopic("mt/v1/sr-01/rollup")).toBe("sr-01");
    expect(parseRollupTopic("mt/v1/sr-01/l1/telemetry")).toBeNull();
    const bad = decodeRollup(
      JSON.stringify({
        v: 1,
        gateway: "g",
        sent: 0,
        every: 1000,
        lines: [{ line: "l1", minutes: [{ t: 61_000, g: 1, r: 0 }] }],
      }),
    );
    expect(bad).toMatchObject({ ok: false, reason: "bad-schema" });
    expect(bad.ok === false && bad.message).toContain("/lines/0/minutes/0/t");
  });
});

describe("federation: forwarder → receiver", () => {
  it("forwards absolute minute sums; a minute re-sent with late counts replaces, never adds", async () => {
    const s = setup();
    const t = Math.floor(s.clock.now() / 60_000) * 60_000 - 120_000;
    await s.writes.write([
      point("l1", t + 1000, 10, 1),
      point("l1", t + 2000, 5),
      point("l2", t + 61_000, 7),
    ]);
    expect(await s.forwarder.tick()).toBe(1);
    await s.deliver();
    expect(await s.bureau.sumOutput(s.day)).toEqual(await s.plant.sumOutput(s.day));
    expect(s.bureau.points.get(`sr-01/l1/${ROLLUP_EPOCH}/${t}`)).toMatchObject({ good: 15, reject: 1 });

    // A device replays late samples into the same minute (and a new epoch): the minute is sent again, whole.
    await s.writes.write([point("l1", t + 30_000, 4, 2), point("l1", t + 40_000, 3, 0, "e2")]);
    expect(await s.forwarder.tick()).toBe(1);
    await s.deliver();
    expect(await s.bureau.sumOutput(s.day)).toEqual([
      { plant: "sr-01", line: "l1", good: 22, reject: 3 },
      { plant: "sr-01", line: "l2", good: 7, reject: 0 },
    ]);
    expect(await s.bureau.sumOutput(s.day)).toEqual(await s.plant.sumOutput(s.day));
  });

  it("a redelivered roll-up changes nothing", async () => {
    const s = setup();
    const t = Math.floor(s.clock.now() / 60_000) * 60_000;
    await s.writes.write([point("l1", t + 1000, 9)]);
    await s.forwarder.tick();
    const [e] = await s.outbox.peek(1);
    for (let i = 0; i < 3; i++) await s.receiver.handle(gw, "gw-sr-01", e!.topic, Buffer.from(e!.payload));
    expect(await s.bureau.sumOutput(s.day)).toEqual([{ plant: "sr-01", line: "l1", good: 9, reject: 0 }]);
  });

  it("sends a heartbeat with states and registry entries when nothing is dirty or waiting", async () => {
    const s = setup();
    expect(await s.forwarder.tick()).toBe(1);
    const [e] = await s.outbox.peek(1);
    const body = JSON.parse(e!.payload) as Rollup;
    expect(body.lines.map((l) => [l.line, l.minutes.length, l.entry?.ratedPerMin, l.state?.state])).toEqual([
      ["l1", 0, 120, "running"],
      ["l2", 0, 120, "running"],
    ]);
    // Something waiting: no heartbeat piles up behind it.
    expect(await s.forwarder.tick()).toBe(0);
  });

  it("keeps the minutes dirty when the store cannot be read", async () => {
    const s = setup();
    await s.writes.write([point("l1", s.clock.now() - 1000, 1)]);
    s.plant.sumOutput = async () => {
      throw new Error("influx down");
    };
    await expect(s.forwarder.tick()).rejects.toThrow("influx down");
    expect(s.dirty.size).toBe(1);
    expect(s.outbox.depth).toBe(0);
  });

  it("resync marks every stored minute of the window for sending again", async () => {
    const s = setup();
    const t = Math.floor(s.clock.now() / 60_000) * 60_000;
    await s.plant.write([
      point("l1", t - 3 * 60_000, 2),
      point("l2", t - 60_000, 3),
      point("l1", t - 7_200_000, 4),
    ]);
    expect(await s.forwarder.resync(t - 10 * 60_000)).toBe(2);
    expect(s.dirty.size).toBe(2);
  });
});

describe("federation: receiver checks", () => {
  const payload = (over: Partial<Rollup> = {}) =>
    Buffer.from(
      JSON.stringify({
        v: 1,
        gateway: "gw-sr-01",
        sent: Date.parse("2020-02-10T10:00:00+08:00"),
        every: 1000,
        lines: [
          { line: "l1", minutes: [{ t: Date.parse("2020-02-10T09:59:00+08:00"), g: 5, r: 0 }] },
          { line: "l2", minutes: [{ t: Date.parse("2020-02-10T09:59:00+08:00"), g: 6, r: 1 }] },
          { line: "l9", minutes: [{ t: Date.parse("2020-02-10T09:59:00+08:00"), g: 7, r: 0 }] },
        ],
        ...over,
      }),
    );

  it("stores only the lines the sender may speak for and the bureau knows, counting each drop", async () => {
    const s = setup();
    const onlyL1: Identity = { kind: "device", id: "gw-sr-01", lines: new Set(["sr-01/l1"]) };
    expect(await s.receiver.handle(onlyL1, "c", rollupTopic("sr-01"), payload())).toEqual({ kind: "accept" });
    expect(await s.bureau.sumOutput(s.day)).toEqual([{ plant: "sr-01", line: "l1", good: 5, reject: 0 }]);
    expect(s.drops.totals()).toMatchObject({ "unknown-line": 1, "not-allowed": 1 });
  });

  it("refuses another plant, and drops bad JSON, bad schema and a gateway id that is not the sender's", async () => {
    const s = setup();
    const other: Identity = { kind: "device", id: "gw-x", lines: new Set(["nc-01/l1"]) };
    expect((await s.receiver.handle(other, "c", rollupTopic("sr-01"), payload())).kind).toBe("deny");
    expect(await s.receiver.handle(gw, "c", rollupTopic("sr-01"), Buffer.from("{"))).toEqual({
      kind: "drop",
      reason: "bad-json",
    });
    expect(await s.receiver.handle(gw, "c", rollupTopic("sr-01"), Buffer.from('{"v":2}'))).toMatchObject({
      reason: "bad-schema",
    });
    expect(
      await s.receiver.handle(gw, "c", rollupTopic("sr-01"), payload({ gateway: "gw-nc-01" })),
    ).toMatchObject({
      reason: "not-allowed",
    });
    expect(await s.receiver.handle(gw, "c", rollupTopic("zz-99"), payload())).toMatchObject({
      reason: "unknown-line",
    });
    expect(s.bureau.points.size).toBe(0);
  });
});

describe("federation: freshness at the bureau", () => {
  it("says reported HH:MM, backfilling N h, and no data since HH:MM", () => {
    const clock = new FakeClock();
    const board = new FreshnessBoard(clock);
    const body = (sent: number): Rollup => ({ v: 1, gateway: "gw-sr-01", sent, every: 10_000, lines: [] });
    expect(board.view("sr-01", "Asia/Shanghai")).toBeUndefined();
    board.record("sr-01", body(clock.now() - 3 * 3_600_000));
    expect(board.view("sr-01", "Asia/Shanghai")).toMatchObject({
      state: "backfilling",
      label: "backfilling 3 h",
    });
    board.record("sr-01", body(clock.now() - 500));
    expect(board.view("sr-01", "Asia/Shanghai")).toMatchObject({
      state: "current",
      label: "reported 10:00",
      lagMs: 0,
    });
    clock.advance(61_000);
    expect(board.view("sr-01", "Asia/Shanghai")).toMatchObject({
      state: "silent",
      label: "no data since 10:00",
    });
  });
});
