import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.ts";

describe("masktally logs", () => {
  it("are JSON lines on stdout when stdout is not a terminal, and never show the MQTT password", async () => {
    // A broker that is not there: the sim logs its connection attempts, gives up draining after 1 s, exits 0.
    const res = await runCli([
      "sim",
      "--registry",
      "examples/demo-registry.yaml",
      "--lines",
      "sr-01/l1",
      "--broker",
      "mqtt://127.0.0.1:9",
      "--username",
      "pi-07",
      "--password",
      "s3cret-pass",
      "--duration",
      "1",
      "--drain-timeout",
      "1",
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.logs.length).toBeGreaterThan(2);
    expect(res.logs.filter((l) => l.unparsed === true)).toEqual([]);
    expect(res.logs.every((l) => typeof l.level === "number" && typeof l.msg === "string")).toBe(true);
    expect(JSON.stringify(res.logs) + res.stderr).not.toContain("s3cret-pass");
  }, 30_000);
});
