import { Command, CommanderError } from "commander";
import { exitCodeFor } from "./errors.ts";

/** Each command module registers its subcommand; the action returns the exit code when it ends. */
export type CommandModule = { register(program: Command): void };

const modules: Record<string, () => Promise<CommandModule>> = {
  gateway: () => import("./commands/gateway.ts"),
  sim: () => import("./commands/sim.ts"),
  firmware: () => import("./commands/firmware.ts"),
  demo: () => import("./commands/demo.ts"),
  "hash-password": () => import("./commands/hash-password.ts"),
  bench: () => import("./commands/bench.ts"),
};

/**
 * Only the invoked command's module when argv names one, every module otherwise (help, unknown command).
 * A gateway must not load the firmware's johnny-five: it pulls in node:repl and with it node:domain, which
 * wraps every EventEmitter.emit in the process (measured: ~2 µs more gateway CPU per sample, bench/README.md).
 */
function commandsFor(argv: string[]): Array<() => Promise<CommandModule>> {
  const named = argv[2];
  const one = named !== undefined && Object.hasOwn(modules, named) ? modules[named] : undefined;
  return one !== undefined ? [one] : Object.values(modules);
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("masktally")
    .description("Counts what face-mask production lines make and raises alerts when a line stops.")
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const load of commandsFor(argv)) (await load()).register(program);
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
