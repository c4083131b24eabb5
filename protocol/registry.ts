import { type Static, Type } from "@sinclair/typebox";
import { parseDocument } from "yaml";
import { ConfigError } from "./errors.ts";
import { ID_PATTERN } from "./ids.ts";
import { compile, type Problem } from "./validation.ts";

const Id = Type.String({ pattern: ID_PATTERN });
const Target = Type.Object({ daily: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
const HHMM = Type.String({ pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$" });

export const LINE_TYPES = ["flat", "surgical", "kn95", "n95", "other"] as const;

const LineSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.Union(LINE_TYPES.map((t) => Type.Literal(t))),
    /** Rated speed in masks per minute. */
    ratedPerMin: Type.Number({ exclusiveMinimum: 0, maximum: 10_000 }),
  },
  { additionalProperties: false },
);

const PlantSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    region: Id,
    timezone: Type.Optional(Type.String()),
    shifts: Type.Optional(
      Type.Array(
        Type.Object({ name: Type.String({ minLength: 1 }), start: HHMM }, { additionalProperties: false }),
        {
          minItems: 1,
        },
      ),
    ),
    lines: Type.Array(LineSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const RegistrySchema = Type.Object(
  {
    timezone: Type.Optional(Type.String()),
    target: Type.Optional(Target),
    /** First day of the ramp, for cumulative output ("since the ramp began"). */
    startDate: Type.Optional(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" })),
    regions: Type.Array(
      Type.Object(
        { id: Id, name: Type.String({ minLength: 1 }), target: Type.Optional(Target) },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    plants: Type.Array(PlantSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type RegistryFile = Static<typeof RegistrySchema>;
export type LineDef = Static<typeof LineSchema>;
export type Shift = { name: string; start: string };
/** A plant as the rest of the program sees it: time zone and shifts resolved. */
export type Plant = Omit<Static<typeof PlantSchema>, "timezone" | "shifts"> & {
  timezone: string;
  shifts: Shift[];
};
export interface Registry {
  timezone: string;
  target: { daily: number };
  startDate?: string;
  regions: RegistryFile["regions"];
  plants: Plant[];
}

export const DEFAULT_TIMEZONE = "Asia/Shanghai";
const DEFAULT_SHIFTS: Shift[] = [{ name: "day", start: "00:00" }];
const checker = compile(RegistrySchema);

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function duplicates(ids: string[], path: (i: number) => string, what: string): Problem[] {
  const seen = new Set<string>();
  return ids.flatMap((id, i) => {
    if (seen.has(id)) return [{ path: path(i), message: `duplicate ${what} id "${id}"` }];
    seen.add(id);
    return [];
  });
}

/** Rules a JSON Schema cannot say: unique ids, references, real time zones. */
function crossCheck(reg: RegistryFile): Problem[] {
  const problems: Problem[] = [];
  const regionIds = new Set(reg.regions.map((r) => r.id));
  if (reg.timezone !== undefined && !isTimeZone(reg.timezone)) {
    problems.push({ path: "/timezone", message: `unknown time zone "${reg.timezone}"` });
  }
  problems.push(
    ...duplicates(
      reg.regions.map((r) => r.id),
      (i) => `/regions/${i}/id`,
      "region",
    ),
  );
  problems.push(
    ...duplicates(
      reg.plants.map((p) => p.id),
      (i) => `/plants/${i}/id`,
      "plant",
    ),
  );
  reg.plants.forEach((plant, i) => {
    if (!regionIds.has(plant.region)) {
      problems.push({ path: `/plants/${i}/region`, message: `unknown region "${plant.region}"` });
    }
    if (plant.timezone !== undefined && !isTimeZone(plant.timezone)) {
      problems.push({ path: `/plants/${i}/timezone`, message: `unknown time zone "${plant.timezone}"` });
    }
    problems.push(
      ...duplicates(
        plant.lines.map((l) => l.id),
        (j) => `/plants/${i}/lines/${j}/id`,
        "line",
      ),
    );
    problems.push(
      ...duplicates(
        (plant.shifts ?? []).map((s) => s.start),
        (j) => `/plants/${i}/shifts/${j}/start`,
        "shift start",
      ),
    );
  });
  return problems;
}

/** Validates a parsed registry document; throws ConfigError listing every problem with its path. */
export function validateRegistry(doc: unknown, file = "registry"): Registry {
  const checked = checker.check(doc);
  if (!checked.ok) throw new ConfigError(file, checked.problems);
  const reg = checked.value;
  const problems = crossCheck(reg);
  if (problems.length > 0) throw new ConfigError(file, problems);
  const timezone = reg.timezone ?? DEFAULT_TIMEZONE;
  return {
    timezone,
    target: reg.target ?? { daily: 0 },
    ...(reg.startDate !== undefined ? { startDate: reg.startDate } : {}),
    regions: reg.regions,
    plants: reg.plants.map((p) => ({
      ...p,
      timezone: p.timezone ?? timezone,
      shifts: p.shifts ?? DEFAULT_SHIFTS,
    })),
  };
}

/** Parses YAML text; YAML syntax errors are reported as problems too, with line and column. */
export function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0]?.line ?? "?"}`,
        message: e.message.split("\n")[0] ?? e.code,
      })),
    );
  }
  return doc.toJS();
}

export function parseRegistry(text: string, file = "registry"): Registry {
  return validateRegistry(parseYaml(text, file), file);
}

/** Every line of the registry with its plant, in file order. */
export function registryLines(reg: Registry): Array<{ plant: Plant; line: LineDef }> {
  return reg.plants.flatMap((plant) => plant.lines.map((line) => ({ plant, line })));
}
