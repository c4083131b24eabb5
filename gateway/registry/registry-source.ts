import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { ConfigError, parseRegistry, type Registry, registryLines } from "../../protocol/index.ts";

export interface RegistryDiff {
  plantsAdded: string[];
  plantsRemoved: string[];
  linesAdded: string[];
  linesRemoved: string[];
  /** "plant/line" or plant ids whose settings changed (rated speed, shifts, targets, names…). */
  changed: string[];
}

/** What changed between two registries, for the audit log line of a reload. */
export function registryDiff(before: Registry, after: Registry): RegistryDiff {
  const plants = (r: Registry) => new Map(r.plants.map((p) => [p.id, p]));
  const lines = (r: Registry) =>
    new Map(registryLines(r).map(({ plant, line }) => [`${plant.id}/${line.id}`, line]));
  const [pb, pa, lb, la] = [plants(before), plants(after), lines(before), lines(after)];
  const changed: string[] = [];
  for (const [id, p] of pa) {
    const old = pb.get(id);
    if (old !== undefined && JSON.stringify({ ...old, lines: 0 }) !== JSON.stringify({ ...p, lines: 0 }))
      changed.push(id);
  }
  for (const [key, l] of la) {
    const old = lb.get(key);
    if (old !== undefined && JSON.stringify(old) !== JSON.stringify(l)) changed.push(key);
  }
  if (JSON.stringify({ ...before, plants: [] }) !== JSON.stringify({ ...after, plants: [] }))
    changed.push("(registry)");
  return {
    plantsAdded: [...pa.keys()].filter((k) => !pb.has(k)),
    plantsRemoved: [...pb.keys()].filter((k) => !pa.has(k)),
    linesAdded: [...la.keys()].filter((k) => !lb.has(k)),
    linesRemoved: [...lb.keys()].filter((k) => !la.has(k)),
    changed,
  };
}

export type RegistryListener = (registry: Registry) => void;

/**
 * The registry the gateway runs on, reloadable without a restart (SIGHUP or POST /api/registry/reload).
 * A reload validates the whole file first (every problem with its path) and changes nothing when it is
 * invalid; a successful one is audited in the log with who asked and what changed.
 */
export class RegistrySource {
  #registry: Registry;
  readonly #listeners: RegistryListener[] = [];
  readonly #log: Logger;

  constructor(
    initial: Registry,
    private readonly file: string | null,
    log: Logger,
  ) {
    this.#registry = initial;
    this.#log = log.child({ module: "registry" });
  }

  current(): Registry {
    return this.#registry;
  }

  onChange(listener: RegistryListener): void {
    this.#listeners.push(listener);
  }

  /** Throws ConfigError (invalid or unreadable file) and leaves the running registry as it was. */
  async reload(source: "sighup" | "api", by: string | null = null): Promise<RegistryDiff> {
    try {
      if (this.file === null) {
        throw new ConfigError("registry", [
          { path: "/", message: "the gateway was not started from a registry file" },
        ]);
      }
      let text: string;
      try {
        text = await readFile(this.file, "utf8");
      } catch (err) {
        throw new ConfigError(this.file, [{ path: "/", message: `cannot read: ${(err as Error).message}` }]);
      }
      const next = parseRegistry(text, this.file);
      const diff = registryDiff(this.#registry, next);
      this.#registry = next;
      for (const l of this.#listeners) l(next);
      this.#log.info({ audit: true, source, by, file: this.file, ...diff }, "registry reloaded");
      return diff;
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [{ path: "/", message: String(err) }];
      this.#log.error({ audit: true, source, by, file: this.file, problems }, "registry reload refused");
      throw err;
    }
  }
}
