import { describe, expect, it } from "vitest";
import { isId, parseLineKey, parseTopic, topics } from "../../protocol/index.ts";

describe("topics", () => {
  it("builds the v1 topics of DESIGN.md", () => {
    expect(topics.telemetry("sr-01", "l1")).toBe("mt/v1/sr-01/l1/telemetry");
    expect(topics.status("sr-01", "l1")).toBe("mt/v1/sr-01/l1/status");
    expect(topics.command("sr-01", "l1", "reset")).toBe("mt/v1/sr-01/l1/cmd/reset");
    expect(topics.alert("sr-01", "l1")).toBe("mt/v1/alerts/sr-01/l1");
  });

  it("parses what it builds", () => {
    expect(parseTopic(topics.telemetry("sr-01", "l1"))).toEqual({
      kind: "telemetry",
      plant: "sr-01",
      line: "l1",
    });
    expect(parseTopic(topics.status("a", "b"))).toEqual({ kind: "status", plant: "a", line: "b" });
    expect(parseTopic(topics.command("a", "b", "ping"))).toEqual({
      kind: "command",
      plant: "a",
      line: "b",
      name: "ping",
    });
    expect(parseTopic(topics.alert("a", "b"))).toEqual({ kind: "alert", plant: "a", line: "b" });
  });

  it.each([
    "mt/v1/+/l1/telemetry",
    "mt/v1/sr-01/#",
    "mt/v2/sr-01/l1/telemetry",
    "mt/v1/SR-01/l1/telemetry",
    "mt/v1/sr-01/l1/telemetry/extra",
    "mt/v1/sr-01/l1/other",
    "mt/v1//l1/telemetry",
    "mt/v1/sr-01/l1/cmd/",
    "",
  ])("rejects %j", (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});

describe("ids", () => {
  it("accepts lowercase ids of 1–32 characters starting with a letter or digit", () => {
    expect(isId("a")).toBe(true);
    expect(isId("sr-01")).toBe(true);
    expect(isId("x".repeat(32))).toBe(true);
    expect(isId("x".repeat(33))).toBe(false);
    expect(isId("-a")).toBe(false);
    expect(isId("A")).toBe(false);
    expect(isId("a/b")).toBe(false);
    expect(isId(7)).toBe(false);
  });

  it("parses plant/line keys", () => {
    expect(parseLineKey("sr-01/l1")).toEqual({ plant: "sr-01", line: "l1" });
    expect(parseLineKey("sr-01")).toBeNull();
    expect(parseLineKey("sr-01/l1/x")).toBeNull();
    expect(parseLineKey("sr-01/L1")).toBeNull();
  });
});
