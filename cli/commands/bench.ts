import { readdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { intArg } from "../args.ts";
import { UsageError } from "../errors.ts";

interface BenchFlags {
  quick?: boolean;
  json?: string;
  repeat: number;
}

/** A benchmark scenario: bench/<name>.ts exporting `run(opts)`, and optionally `report(result)` for a table. */
interface Scenario {
  run(opts: { quick: boolean }): Promise<unknown>;
  report?(result: unknown): string;
}

const BENCH_DIR = fileURLToPath(new URL("../../bench/", import.meta.url));
export const MAX_REPEAT = 100;

/** Scenario names: every bench/*.ts file (helpers live in subfolders). */
export async function scenarios(): Promise<string[]> {
  const files = await readdir(BENCH_DIR).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(names: readonly string[]): Promise<Map<string, Scenario>> {
  const known = await scenarios();
  for (const s of names)
    if (!known.includes(s)) throw new UsageError(`unknown scenario "${s}"; known: ${known.join(", ")}`);
  const out = new Map<string, Scenario>();
  for (const s of names) {
    const mod = (await import(`${BENCH_DIR}${s}.ts`)) as Partial<Scenario>;
    if (typeof mod.run !== "function") throw new UsageError(`bench/${s}.ts does not export run(opts)`);
    out.set(s, mod as Scenario);
  }
  return out;
}

const table = (name: string, mod: Scenario, result: unknown) =>
  mod.report ? `${mod.report(result)}\n` : `${JSON.stringify({ [name]: result }, null, 2)}\n`;

/**
 * Runs the scenarios `flags.repeat` times, round by round (every scenario once per round, so noise that
 * comes and goes hits them all), then prints and writes each scenario's medians and ranges (bench/support/repeat.ts).
 */
async function bench(name: string | undefined, flags: BenchFlags): Promise<void> {
  const start = Date.now();
  const mods = await load(name === undefined ? await scenarios() : [name]);
  // Loaded only here: `masktally gateway` need not import the bench's helpers.
  const { resetComparisons } = await import("../../bench/support/compare.ts");
  const { figureRanges, rangeTable, summarize } = await import("../../bench/support/repeat.ts");
  const runs = new Map<string, unknown[]>([...mods.keys()].map((s) => [s, []]));
  for (let round = 1; round <= flags.repeat; round++) {
    resetComparisons(); // ingest, baseline, latency and memory share one run per round
    for (const [s, mod] of mods) {
      const t0 = Date.now();
      const result = await mod.run({ quick: flags.quick ?? false });
      const took = ((Date.now() - t0) / 1000).toFixed(1);
      process.stderr.write(
        `bench ${s}${flags.repeat > 1 ? ` (run ${round}/${flags.repeat})` : ""}: ${took} s\n`,
      );
      runs.get(s)?.push(result);
      process.stdout.write(
        `${flags.repeat > 1 ? `— ${s}, run ${round}/${flags.repeat}\n` : ""}${table(s, mod, result)}`,
      );
    }
  }
  const results: Record<string, unknown> = {};
  for (const [s, mod] of mods) {
    const all = runs.get(s) ?? [];
    results[s] = summarize(all);
    if (all.length > 1) {
      const ranges = rangeTable(s, figureRanges(all), all.length);
      process.stdout.write(`— ${s}, medians\n${table(s, mod, results[s])}${ranges}\n`);
    }
  }
  if (flags.json) await writeFile(flags.json, `${JSON.stringify(results, null, 2)}\n`);
  process.stderr.write(`bench total: ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
}

export function register(program: Command): void {
  program
    .command("bench")
    .description("Run benchmarks: every scenario, or the one named (a file in bench/, e.g. firmware)")
    .argument("[scenario]", "scenario name (default: all)")
    .option("--quick", "a reduced run of each scenario")
    .option("--json <file>", "also write the figures as JSON")
    .option(
      "--repeat <n>",
      `run each scenario n times (1–${MAX_REPEAT}); report medians and min–max ranges`,
      intArg(1, MAX_REPEAT),
      1,
    )
    .action(async (scenario: string | undefined, flags: BenchFlags) => {
      await bench(scenario, flags);
      process.exitCode = 0;
    });
}
