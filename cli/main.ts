import { Command, CommanderError } from "commander";
import { exitCodeFor } from "./errors.ts";

/** Each command module registers its subcommand; the action returns the exit code when it ends. */
export type CommandModule = { register(program: Command): void };

const modules: Array<() => Promise<CommandModule>> = [
  () => import("./commands/gateway.ts"),
  () => import("./commands/sim.ts"),
  () => import("./commands/firmware.ts"),
  () => import("./commands/demo.ts"),
  () => import("./commands/hash-password.ts"),
  () => import("./commands/bench.ts"),
];

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
    process.stderr.write(`masktally: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  }
}

process.exitCode = await main(process.argv);
// A command that has returned has stopped everything it started; a handle still open after that (a socket
// a library forgot) must not keep the process alive under systemd or in CI.
setTimeout(() => {
  process.stderr.write("masktally: open handles remained after shutdown; exiting\n");
  process.exit(process.exitCode);
}, 5000).unref();
