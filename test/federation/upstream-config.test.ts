import { describe, expect, it } from "vitest";
import { validateGatewayConfig } from "../../gateway/config.ts";
import { ConfigError } from "../../protocol/index.ts";

describe("gateway config: upstream and database", () => {
  it("accepts an upstream and resolves its password file against the config's folder", () => {
    const cfg = validateGatewayConfig(
      {
        database: "plant_sr01",
        upstream: {
          broker: "mqtts://bureau:8883",
          username: "gw-sr-01",
          passwordFile: "up.pw",
          plants: ["sr-01"],
        },
      },
      "/etc/masktally/plant.yaml",
    );
    expect(cfg.database).toBe("plant_sr01");
    expect(cfg.upstream).toEqual({
      broker: "mqtts://bureau:8883",
      username: "gw-sr-01",
      passwordFile: "/etc/masktally/up.pw",
      plants: ["sr-01"],
    });
  });

  it("lists every problem of a bad upstream at once", () => {
    let err: unknown;
    try {
      validateGatewayConfig(
        { upstream: { broker: "http://x", username: "GW", intervalMs: 5, extra: 1 } },
        "c.yaml",
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).problems.map((p) => p.path).sort();
    expect(paths).toEqual([
      "/upstream/broker",
      "/upstream/extra",
      "/upstream/intervalMs",
      "/upstream/username",
    ]);
  });
});
