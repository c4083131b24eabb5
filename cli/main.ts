import { Command, CommanderError, InvalidArgumentError } from "commander";
import { exitCodeFor, UsageError } from "./errors.ts";

/** Each command module registers its subcommand; the action returns the exit code when it ends. */
export type CommandModule = { register(program: Command): void };

const modules: Array<() => Promise<CommandModule>> = [
  () => import("./commands/gateway.ts"),
  () => import("./commands/sim.ts"),
  () => import("./commands/firmware.ts"),
  () => import("./commands/demo.ts"),
  () => import("./commands/hash-password.ts"),
];

/** Parses an integer flag; commander reports the InvalidArgumentError as a usage error (exit 2). */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function numberArg(min: number, max = Number.MAX_VALUE) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    }
    return n;
  };
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("masktally")
    .description("Counts what face-mask production lines make and raises alerts when a line stops.")
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const load of modules) (await load()).register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (!(err instanceof UsageError)) process.stderr.write(`masktally: ${(err as Error).message}\n`);
    else process.stderr.write(`masktally: ${err.message}\n`);
    return exitCodeFor(err);
  }
}

process.exitCode = await main(process.argv);
