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
    /** Sensor limits (issue 5): a reading outside [min, max] for a while raises a `sensor-limit` alert. */
    sensorLimits: Type.Optional(
      Type.Record(
        Type.String({ pattern: "^[a-z][a-z0-9_]{0,31}$" }),
        Type.Object(
          { min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

/** A shift starts at `start` (plant local time) and ends at `end`, or else at the next shift's start. */
const ShiftSchema = Type.Object(
  { name: Type.String({ minLength: 1 }), start: HHMM, end: Type.Optional(HHMM) },
  { additionalProperties: false },
);

/**
 * Planned downtime (idle, not stopped): every day from `start` to `end` local time (an end at or before the
 * start means the next day), or only on `dates`; for every line of the plant or only `lines`.
 */
const PlannedDowntimeSchema = Type.Object(
  {
    start: HHMM,
    end: HHMM,
    dates: Type.Optional(Type.Array(Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" }), { minItems: 1 })),
    lines: Type.Optional(Type.Array(Id, { minItems: 1 })),
    reason: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

const PlantSchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    region: Id,
    timezone: Type.Optional(Type.String()),
    shifts: Type.Optional(Type.Array(ShiftSchema, { minItems: 1 })),
    plannedDowntime: Type.Optional(Type.Array(PlannedDowntimeSchema)),
    /** The plant's own daily target, masks/day (capacity view). */
    target: Type.Optional(Target),
    /** Per-plant overrides of the gateway's alert settings. */
    alerts: Type.Optional(
      Type.Object(
        { stopDelaySeconds: Type.Optional(Type.Integer({ minimum: 1 })) },
        { additionalProperties: false },
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
export type Shift = Static<typeof ShiftSchema>;
export type PlannedDowntime = Static<typeof PlannedDowntimeSchema>;
/** A plant as the rest of the program sees it: time zone, shifts and planned downtime resolved. */
export type Plant = Omit<Static<typeof PlantSchema>, "timezone" | "shifts" | "plannedDowntime"> & {
  timezone: string;
  shifts: Shift[];
  plannedDowntime: PlannedDowntime[];
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
    const lineIds = new Set(plant.lines.map((l) => l.id));
    (plant.plannedDowntime ?? []).forEach((d, j) => {
      (d.lines ?? []).forEach((l, k) => {
        if (!lineIds.has(l))
          problems.push({
            path: `/plants/${i}/plannedDowntime/${j}/lines/${k}`,
            message: `unknown line "${l}"`,
          });
      });
      if (d.start === d.end)
        problems.push({ path: `/plants/${i}/plannedDowntime/${j}/end`, message: "must differ from start" });
    });
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
      plannedDowntime: p.plannedDowntime ?? [],
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
