import { readdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UsageError } from "../errors.ts";

interface BenchFlags {
  quick?: boolean;
  json?: string;
}

/** A benchmark scenario: bench/<name>.ts exporting `run(opts)`, and optionally `report(result)` for a table. */
interface Scenario {
  run(opts: { quick: boolean }): Promise<unknown>;
  report?(result: unknown): string;
}

const BENCH_DIR = fileURLToPath(new URL("../../bench/", import.meta.url));

/** Scenario names: every bench/*.ts file (helpers live in subfolders). */
export async function scenarios(): Promise<string[]> {
  const files = await readdir(BENCH_DIR).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function bench(name: string | undefined, flags: BenchFlags): Promise<void> {
  const known = await scenarios();
  const selected = name === undefined ? known : [name];
  for (const s of selected)
    if (!known.includes(s)) throw new UsageError(`unknown scenario "${s}"; known: ${known.join(", ")}`);
  const results: Record<string, unknown> = {};
  for (const s of selected) {
    const mod = (await import(`${BENCH_DIR}${s}.ts`)) as Partial<Scenario>;
    if (typeof mod.run !== "function") throw new UsageError(`bench/${s}.ts does not export run(opts)`);
    const result = await mod.run({ quick: flags.quick ?? false });
    results[s] = result;
    process.stdout.write(
      mod.report ? `${mod.report(result)}\n` : `${JSON.stringify({ [s]: result }, null, 2)}\n`,
    );
  }
  if (flags.json) await writeFile(flags.json, `${JSON.stringify(results, null, 2)}\n`);
}

export function register(program: Command): void {
  program
    .command("bench")
    .description("Run benchmarks: every scenario, or the one named (a file in bench/, e.g. firmware)")
    .argument("[scenario]", "scenario name (default: all)")
    .option("--quick", "a reduced run of each scenario")
    .option("--json <file>", "also write the figures as JSON")
    .action(async (scenario: string | undefined, flags: BenchFlags) => {
      await bench(scenario, flags);
      process.exitCode = 0;
    });
}
