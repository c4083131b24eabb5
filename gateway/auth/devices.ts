import { readFile } from "node:fs/promises";
import { Type } from "@sinclair/typebox";
import {
  ConfigError,
  compile,
  ID_PATTERN,
  lineKey,
  type Problem,
  parseYaml,
  type Registry,
  registryLines,
} from "../../protocol/index.ts";
import { parsePasswordHash } from "./password.ts";

const DevicesSchema = Type.Object(
  {
    devices: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: ID_PATTERN }),
          passwordHash: Type.String({ pattern: "^scrypt\\$" }),
          lines: Type.Array(Type.String({ pattern: "^[a-z0-9][a-z0-9-]{0,31}/[a-z0-9][a-z0-9-]{0,31}$" }), {
            minItems: 1,
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const checker = compile(DevicesSchema);

export interface Device {
  id: string;
  passwordHash: string;
  /** "plant/line" keys the device may publish for. */
  lines: ReadonlySet<string>;
}

/** The devices file (CONTRACTS.md), indexed by device id. */
export type Devices = ReadonlyMap<string, Device>;

function crossCheck(
  doc: { devices: Array<{ id: string; passwordHash: string; lines: string[] }> },
  reg: Registry,
) {
  const known = new Set<string>(registryLines(reg).map(({ plant, line }) => lineKey(plant.id, line.id)));
  const seen = new Set<string>();
  const problems: Problem[] = [];
  doc.devices.forEach((d, i) => {
    if (seen.has(d.id)) problems.push({ path: `/devices/${i}/id`, message: `duplicate device id "${d.id}"` });
    seen.add(d.id);
    if (parsePasswordHash(d.passwordHash) === null) {
      problems.push({
        path: `/devices/${i}/passwordHash`,
        message: "not a valid scrypt hash (masktally hash-password)",
      });
    }
    d.lines.forEach((key, j) => {
      if (!known.has(key))
        problems.push({ path: `/devices/${i}/lines/${j}`, message: `unknown line "${key}"` });
    });
  });
  return problems;
}

/** Validates a parsed devices document against the registry; throws ConfigError listing every problem. */
export function validateDevices(doc: unknown, reg: Registry, file = "devices"): Devices {
  const checked = checker.check(doc);
  if (!checked.ok) throw new ConfigError(file, checked.problems);
  const problems = crossCheck(checked.value, reg);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return new Map(
    checked.value.devices.map((d) => [
      d.id,
      { id: d.id, passwordHash: d.passwordHash, lines: new Set(d.lines) },
    ]),
  );
}

export async function loadDevices(file: string, reg: Registry): Promise<Devices> {
  return validateDevices(parseYaml(await readFile(file, "utf8"), file), reg, file);
}
