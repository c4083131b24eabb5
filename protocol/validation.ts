import type { Static, TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

/** One problem found in a value, with the JSON path where it was found (e.g. `/plants/0/lines/1/id`). */
export interface Problem {
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/**
 * A schema compiled once into a checker that reports every problem at once with its path.
 * TypeBox schemas are the single source for the JSON Schema and the TypeScript type.
 */
export function compile<S extends TSchema>(schema: S) {
  const checker = TypeCompiler.Compile(schema);
  return {
    schema,
    check(value: unknown): Checked<Static<S>> {
      if (checker.Check(value)) return { ok: true, value };
      const problems: Problem[] = [];
      const seen = new Set<string>();
      for (const e of checker.Errors(value)) {
        // One problem per path: a missing property also fails its type check, which says nothing more.
        if (seen.has(e.path)) continue;
        seen.add(e.path);
        problems.push({ path: e.path || "/", message: describe(e.schema, e.value, e.message) });
      }
      return { ok: false, problems };
    },
  };
}

/** A union of literals reads better as its allowed values than as TypeBox's "Expected union value". */
function describe(schema: TSchema, value: unknown, message: string): string {
  const options = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (options?.length && options.every((o) => o.const !== undefined)) {
    return `expected one of ${options.map((o) => JSON.stringify(o.const)).join(", ")}, got ${JSON.stringify(value)}`;
  }
  return message;
}

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join("; ");
}
