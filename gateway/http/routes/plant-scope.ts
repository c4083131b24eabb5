import { type Static, Type } from "@sinclair/typebox";
import type { FastifyRequest } from "fastify";
import { HttpError } from "../errors.ts";

/**
 * Which plants a request may see: undefined = all. Today every authenticated caller is an admin; issue 6
 * (roles) supplies a function that maps a manager's or technician's token to their plant.
 */
export type PlantScope = (request: FastifyRequest) => ReadonlySet<string> | undefined;
export const ALL_PLANTS: PlantScope = () => undefined;

export function assertInScope(scope: ReadonlySet<string> | undefined, plant: string): void {
  if (scope !== undefined && !scope.has(plant)) throw new HttpError(404, "not_found", `no plant ${plant}`);
}

export const DateString = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "YYYY-MM-DD" });
export const DateQuery = Type.Object({
  date: Type.Optional(DateString),
  token: Type.Optional(Type.String()),
});
export type DateQueryString = Static<typeof DateQuery>;

/** A YYYY-MM-DD that is a real calendar date (the pattern lets 2020-02-31 through). */
export function checkDate(date: string, name = "date"): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== date) {
    throw new HttpError(400, "bad_request", `${name} is not a calendar date: ${date}`);
  }
  return date;
}
