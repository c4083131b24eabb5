import { describe, expect, it } from "vitest";
import { validateDevices } from "../../gateway/auth/devices.ts";
import { validateGatewayConfig } from "../../gateway/config.ts";
import { ConfigError } from "../../protocol/index.ts";
import { REGISTRY } from "./support/gateway-harness.ts";

const HASH = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=";

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe("gateway config file", () => {
  it("accepts every setting and resolves file paths against the config file's folder", () => {
    const cfg = validateGatewayConfig(
      {
        registry: "reg.yaml",
        devices: "/etc/d.yaml",
        mqttPort: 0,
        httpPort: 8080,
        influx: "managed",
        dataDir: "data",
        allowAnonymous: false,
      },
      "/srv/masktally/gateway.yaml",
    );
    expect(cfg).toMatchObject({
      registry: "/srv/masktally/reg.yaml",
      devices: "/etc/d.yaml",
      dataDir: "/srv/masktally/data",
    });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it("lists every problem with its path", () => {
    expect(
      problems(() => validateGatewayConfig({ mqttPort: 70000, influx: "ftp://x", colour: "red" }, "g.yaml")),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/mqttPort:/),
        expect.stringMatching(/^\/influx:/),
        expect.stringMatching(/^\/colour:/),
      ]),
    );
  });
});

describe("devices file", () => {
  it("indexes devices by id with their lines", () => {
    const devices = validateDevices(
      { devices: [{ id: "pi-01", passwordHash: HASH, lines: ["sr-01/l1", "sr-01/l2"] }] },
      REGISTRY,
    );
    expect([...(devices.get("pi-01")?.lines ?? [])]).toEqual(["sr-01/l1", "sr-01/l2"]);
  });

  it("reports duplicate ids, unknown lines and unusable hashes, each with its path", () => {
    const doc = {
      devices: [
        { id: "pi-01", passwordHash: HASH, lines: ["sr-01/l1"] },
        { id: "pi-01", passwordHash: "scrypt$nope", lines: ["sr-01/l9"] },
      ],
    };
    expect(problems(() => validateDevices(doc, REGISTRY))).toEqual([
      '/devices/1/id: duplicate device id "pi-01"',
      "/devices/1/passwordHash: not a valid scrypt hash (masktally hash-password)",
      '/devices/1/lines/0: unknown line "sr-01/l9"',
    ]);
  });
});
