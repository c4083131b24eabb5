import { describe, expect, it } from "vitest";
import { RegistryCalendar } from "../../../gateway/lines/line-calendar.ts";
import {
  type DowntimeRecord,
  type LineStateOptions,
  LineStateTracker,
  type StateTransition,
} from "../../../gateway/lines/line-state.ts";
import { parseRegistry } from "../../../protocol/index.ts";
import { LUNCH_SHIFT_REGISTRY_YAML } from "../../support/registry.ts";
import { FakeClock } from "../support/fakes.ts";

function setup(ratedPerMin = 120, opts: LineStateOptions = {}, calendar?: RegistryCalendar) {
  const clock = new FakeClock();
  const transitions: StateTransition[] = [];
  const downtime: DowntimeRecord[] = [];
  const t = new LineStateTracker([{ plant: "p", line: "l1", ratedPerMin }], clock, opts, calendar, {
    transition: (x) => transitions.push(x),
    downtime: (d) => downtime.push(d),
  });
  /** One sample a second for `seconds`, `good` masks each. */
  const run = (seconds: number, good: number, run?: boolean) => {
    for (let i = 0; i < seconds; i++) {
      clock.advance(1000);
      t.sampleAccepted("p", "l1", clock.now(), good, { run });
    }
  };
  return { clock, t, run, transitions, downtime, snap: () => t.snapshot("p", "l1")! };
}

describe("LineStateTracker", () => {
  it("is unknown before the first message", () => {
    const { snap } = setup();
    expect(snap()).toMatchObject({
      state: "unknown",
      since: null,
      lastSeen: null,
      ratePerMin: 0,
      microStops: 0,
    });
  });

  it("is running while good counts advance, with the rate over the last minute", () => {
    const { clock, t, snap } = setup();
    const start = clock.now();
    for (let i = 0; i < 10; i++) {
      t.sampleAccepted("p", "l1", clock.now(), 2);
      clock.advance(1000);
    }
    expect(snap()).toMatchObject({ state: "running", since: start, lastSeen: start + 9000, ratePerMin: 20 });
  });

  it("decides stopped after 30 s without a good count (fast line); the stop began at the last count", () => {
    const { clock, t, run, snap, transitions } = setup(120);
    const last = clock.now();
    t.sampleAccepted("p", "l1", last, 5);
    run(30, 0);
    expect(snap().state).toBe("running");
    run(1, 0);
    expect(snap()).toMatchObject({ state: "stopped", since: last });
    expect(transitions.map((x) => `${x.from}>${x.to}@${x.at - last}`)).toEqual([
      "unknown>running@0",
      "running>stopped@0",
    ]);
  });

  it("waits 10 ideal cycles before calling a slow line stopped", () => {
    const { clock, t, snap } = setup(10); // 6 s a mask → 60 s
    t.sampleAccepted("p", "l1", clock.now(), 1);
    for (let i = 0; i < 59; i++) {
      clock.advance(1000);
      t.messageSeen("p", "l1");
    }
    expect(snap().state).toBe("running");
    clock.advance(2000);
    t.messageSeen("p", "l1");
    expect(snap().state).toBe("stopped");
  });

  it("stops at once when the run signal goes off, from that sample's time", () => {
    const { clock, run, snap } = setup(120);
    run(5, 2, true);
    run(1, 0, false);
    expect(snap()).toMatchObject({ state: "stopped", since: clock.now() });
  });

  it("needs counts over the resume window (hysteresis) before a stopped line runs again", () => {
    const { clock, run, snap, downtime } = setup(120, { resumeMs: 2000 });
    run(3, 2, true);
    run(1, 0, false);
    const stoppedAt = clock.now();
    run(200, 0, false);
    run(1, 1, true); // one stray count: still stopped
    const resumedAt = clock.now();
    expect(snap().state).toBe("stopped");
    run(1, 2, true);
    expect(snap().state).toBe("stopped");
    run(1, 2, true);
    expect(snap()).toMatchObject({ state: "running", since: resumedAt });
    expect(downtime).toEqual([
      {
        plant: "p",
        line: "l1",
        start: stoppedAt,
        end: resumedAt,
        durationMs: resumedAt - stoppedAt,
        micro: false,
      },
    ]);
  });

  it("records no downtime for the instant between a line's first message and its first counted sample", () => {
    const { clock, t, snap, downtime, transitions } = setup();
    t.messageSeen("p", "l1");
    t.sampleAccepted("p", "l1", clock.now(), 3);
    expect(snap()).toMatchObject({ state: "running", since: clock.now() });
    expect(transitions.map((x) => x.to)).toEqual(["stopped", "running"]);
    expect(downtime).toEqual([]);
  });

  it("counts a short stop as a micro-stop (recorded, flagged)", () => {
    const { run, snap, downtime } = setup(120, { resumeMs: 0, microStopMs: 60_000 });
    run(3, 2, true);
    run(10, 0, false);
    run(3, 2, true);
    expect(snap()).toMatchObject({ state: "running", microStops: 1 });
    expect(downtime).toHaveLength(1);
    expect(downtime[0]).toMatchObject({ micro: true, durationMs: 10_000 });
  });

  it("is offline at once after an offline status (last will) and online again with the next message", () => {
    const { clock, t, snap } = setup();
    t.statusReceived("p", "l1", "online");
    expect(snap()).toMatchObject({ state: "stopped", since: clock.now() });
    clock.advance(500);
    t.statusReceived("p", "l1", "offline");
    expect(snap()).toMatchObject({ state: "offline", since: clock.now() });
    clock.advance(500);
    t.sampleAccepted("p", "l1", clock.now(), 3);
    expect(snap().state).toBe("running");
  });

  it("is offline after 15 s without any message", () => {
    const { clock, t, snap } = setup();
    const seen = clock.now();
    t.sampleAccepted("p", "l1", seen, 3);
    clock.advance(15_000);
    expect(snap().state).toBe("running");
    clock.advance(1);
    expect(snap()).toMatchObject({ state: "offline", since: seen + 15_000, lastSeen: seen });
  });

  it("does not call a line running for replayed samples from long ago", () => {
    const { clock, t, snap } = setup();
    t.sampleAccepted("p", "l1", clock.now() - 3_600_000, 50);
    expect(snap()).toMatchObject({ state: "stopped", ratePerMin: 0 });
  });

  it("ignores lines it does not know", () => {
    const { t } = setup();
    t.sampleAccepted("p", "nope", 0, 1);
    expect(t.snapshot("p", "nope")).toBeUndefined();
  });

  it("is idle outside the shift calendar and in planned downtime, stopped inside, running whenever it produces", () => {
    // FakeClock starts 2020-02-10 10:00 +08:00; one shift 08:00-18:00, lunch 12:00-12:30 planned downtime.
    const reg = parseRegistry(LUNCH_SHIFT_REGISTRY_YAML);
    const { clock, t, snap, transitions } = setup(120, {}, new RegistryCalendar(reg));
    t.statusReceived("p", "l1", "online");
    expect(snap().state).toBe("stopped");
    clock.t = Date.parse("2020-02-10T12:00:00+08:00");
    t.statusReceived("p", "l1", "online");
    expect(snap()).toMatchObject({ state: "idle", since: clock.now() });
    clock.t = Date.parse("2020-02-10T12:30:00+08:00");
    t.messageSeen("p", "l1");
    expect(snap().state).toBe("stopped");
    for (const at of ["17:59:58", "17:59:59", "18:00:01"]) {
      clock.t = Date.parse(`2020-02-10T${at}+08:00`);
      t.sampleAccepted("p", "l1", clock.now(), 5); // into overtime: it produces, so it runs
    }
    expect(snap()).toMatchObject({ state: "running", since: Date.parse("2020-02-10T17:59:58+08:00") });
    clock.t = Date.parse("2020-02-10T18:00:40+08:00");
    t.messageSeen("p", "l1");
    expect(snap().state).toBe("idle");
    // The device was silent between the jumps of the fake clock: offline until its next message.
    expect(transitions.map((x) => x.to)).toEqual([
      "stopped",
      "idle",
      "offline",
      "stopped",
      "offline",
      "running",
      "idle",
    ]);
  });
  it("gives the same states through sampleCounted as through sampleAccepted after the same publish's messageSeen", () => {
    const a = setup();
    const b = setup();
    /** One message a second for `seconds`; every `every`-th advances by `good`; `gap`: silence first. */
    const drive = (
      seconds: number,
      good: number,
      opts: { every?: number; run?: boolean; gap?: number } = {},
    ) => {
      for (const x of [a, b]) x.clock.advance(opts.gap ?? 0);
      for (let i = 0; i < seconds; i++) {
        const g = i % (opts.every ?? 1) === 0 ? good : 0;
        a.clock.advance(1000);
        b.clock.advance(1000);
        a.t.messageSeen("p", "l1");
        a.t.sampleAccepted("p", "l1", a.clock.now(), g, { run: opts.run });
        b.t.messageSeen("p", "l1");
        b.t.sampleCounted("p", "l1", b.clock.now(), g, { run: opts.run });
      }
    };
    drive(20, 2); // unknown → running
    drive(45, 0); // stopped (30 s without a count), heard from all along
    drive(10, 3, { run: true }); // running again
    drive(5, 0, { run: false }); // run signal off: stopped at once
    drive(10, 1, { gap: 20_000, run: true }); // silent 20 s (offline), back and running
    drive(60, 4, { every: 40, run: true }); // a stop of 39 s between two counts
    expect(b.transitions).toEqual(a.transitions);
    expect(b.downtime).toEqual(a.downtime);
    expect(b.snap()).toEqual(a.snap());
    // The first message turns unknown → stopped for 0 ms (no downtime) before its sample is applied.
    const states = [
      "stopped",
      "running",
      "stopped",
      "running",
      "stopped",
      "offline",
      "stopped",
      "running",
      "stopped",
    ];
    expect(a.transitions.map((x) => x.to)).toEqual(states);
    expect(a.downtime.map((d) => d.durationMs)).toEqual([46_000, 19_000]);
  });
});
