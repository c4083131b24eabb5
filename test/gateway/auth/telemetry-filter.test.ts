import { describe, expect, it } from "vitest";
import { mayMatchTelemetry } from "../../../gateway/auth/telemetry-filter.ts";

describe("mayMatchTelemetry", () => {
  it.each([
    "#",
    "mt/#",
    "mt/v1/#",
    "mt/v1/+/+/telemetry",
    "mt/v1/sr-01/+/telemetry",
    "mt/v1/sr-01/l1/telemetry",
    "mt/v1/sr-01/l1/#",
    "mt/v1/sr-01/l1/telemetry/#", // "a/#" matches "a" too (MQTT 3.1.1 §4.7.1.2)
    "+/+/+/+/+",
    "+/v1/+/+/#",
  ])("%s could match a line's telemetry", (filter) => {
    expect(mayMatchTelemetry(filter)).toBe(true);
  });

  it.each([
    "mt/v1/+/+/status",
    "mt/v1/sr-01/l1/cmd/#",
    "mt/v1/sr-01/l1/cmd/+",
    "mt/v2/#",
    "mt/v1/+/+",
    "mt/v1/+/+/telemetry/x",
    "+/+/+/+",
    "mt/v1/+/+/+/+",
    "mt/alerts/#",
    "mt/v1/alerts/#", // the alert topics: plant "alerts" has no telemetry topic
    "mt/v1/alerts/+/+",
    "mt/v1/Bad Plant/+/telemetry",
    "masktally/#",
  ])("%s cannot", (filter) => {
    expect(mayMatchTelemetry(filter)).toBe(false);
  });
});
