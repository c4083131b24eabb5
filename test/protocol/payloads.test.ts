import { describe, expect, it } from "vitest";
import { decodeSample, decodeStatus, MAX_PAYLOAD_BYTES } from "../../protocol/index.ts";

const valid = {
  v: 1,
  device: "pi-07",
  epoch: "k3j2f0",
  seq: 1042,
  ts: 1700000000000,
  good: 123456,
  reject: 321,
  run: true,
  sensors: { weld_temp_c: 182.5 },
};
const json = (o: unknown) => JSON.stringify(o);

describe("decodeSample", () => {
  it("accepts the sample of DESIGN.md", () => {
    expect(decodeSample(json(valid))).toEqual({ ok: true, value: valid });
    expect(decodeSample(Buffer.from(json(valid)))).toEqual({ ok: true, value: valid });
  });

  it("accepts a sample without the optional run and sensors, and tolerates unknown extra fields", () => {
    const { run: _r, sensors: _s, ...minimal } = valid;
    expect(decodeSample(json(minimal))).toEqual({ ok: true, value: minimal });
    expect(decodeSample(json({ ...minimal, newField: 1 })).ok).toBe(true);
  });

  it("reports malformed JSON as bad-json", () => {
    const r = decodeSample("{not json");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe("bad-json");
  });

  it("reports an oversized payload as too-large before parsing it", () => {
    const r = decodeSample(json({ ...valid, pad: "x".repeat(MAX_PAYLOAD_BYTES) }));
    expect(!r.ok && r.reason).toBe("too-large");
  });

  it.each([
    ["a negative odometer", { good: -1 }, "/good"],
    ["a fractional odometer", { reject: 1.5 }, "/reject"],
    ["an unsafe integer odometer", { good: 2 ** 53 }, "/good"],
    ["a string odometer", { good: "12" }, "/good"],
    ["a wrong version", { v: 2 }, "/v"],
    ["a bad device id", { device: "Pi 07" }, "/device"],
    ["a negative seq", { seq: -3 }, "/seq"],
    ["a string ts", { ts: "2026-11-29" }, "/ts"],
    ["a non-boolean run", { run: 1 }, "/run"],
    ["a non-numeric sensor", { sensors: { weld_temp_c: "hot" } }, "/sensors/weld_temp_c"],
    ["an empty epoch", { epoch: "" }, "/epoch"],
  ])("rejects %s as bad-schema naming its path", (_what, patch, path) => {
    const r = decodeSample(json({ ...valid, ...patch }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe("bad-schema");
    expect(!r.ok && r.message).toContain(`${path}:`);
  });

  it("rejects a sample missing its odometers", () => {
    const { good: _g, ...rest } = valid;
    const r = decodeSample(json(rest));
    expect(!r.ok && r.message).toContain("/good:");
  });

  it.each(["null", "[]", "42", '"sample"'])("rejects the JSON value %s", (text) => {
    expect(decodeSample(text).ok).toBe(false);
  });
});

describe("decodeStatus", () => {
  it("accepts online and offline status, rejects other states", () => {
    expect(
      decodeStatus(json({ v: 1, state: "online", device: "pi-07", epoch: "e1", ts: 1, outbox: 0 })).ok,
    ).toBe(true);
    expect(decodeStatus(json({ v: 1, state: "offline", device: "pi-07" })).ok).toBe(true);
    const r = decodeStatus(json({ v: 1, state: "sleeping", device: "pi-07" }));
    expect(!r.ok && r.message).toContain('/state: expected one of "online", "offline", got "sleeping"');
  });
});
