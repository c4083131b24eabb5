import { describe, expect, it } from "vitest";
import { LineStateTracker } from "../../../gateway/lines/line-state.ts";
import { FakeClock } from "../support/fakes.ts";

function setup(ratedPerMin = 120) {
  const clock = new FakeClock();
  const t = new LineStateTracker([{ plant: "p", line: "l1", ratedPerMin }], clock);
  return { clock, t, snap: () => t.snapshot("p", "l1")! };
}

describe("LineStateTracker", () => {
  it("is unknown before the first message", () => {
    const { snap } = setup();
    expect(snap()).toEqual({ state: "unknown", since: null, lastSeen: null, ratePerMin: 0 });
  });

  it("is running while good counts advance, with the rate over the last minute", () => {
    const { clock, t, snap } = setup();
    const start = clock.now();
    for (let i = 0; i < 10; i++) {
      t.sampleAccepted("p", "l1", clock.now(), 2);
      clock.advance(1000);
    }
    expect(snap()).toEqual({ state: "running", since: start, lastSeen: start + 9000, ratePerMin: 20 });
  });

  it("becomes stopped 30 s after the last good count (fast line), then running again", () => {
    const { clock, t, snap } = setup(120);
    const last = clock.now();
    t.sampleAccepted("p", "l1", last, 5);
    for (let i = 0; i < 30; i++) {
      clock.advance(1000);
      t.sampleAccepted("p", "l1", clock.now(), 0);
    }
    expect(snap().state).toBe("running");
    clock.advance(1000);
    t.sampleAccepted("p", "l1", clock.now(), 0);
    expect(snap()).toMatchObject({ state: "stopped", since: last + 30_000 });
    clock.advance(1000);
    t.sampleAccepted("p", "l1", clock.now(), 1);
    expect(snap()).toMatchObject({ state: "running", since: clock.now() });
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

  it("is offline at once after an offline status (last will) and online again with the next message", () => {
    const { clock, t, snap } = setup();
    t.statusReceived("p", "l1", "online");
    expect(snap().state).toBe("stopped");
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
});
