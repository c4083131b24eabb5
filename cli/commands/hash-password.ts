import type { Command } from "commander";
import { hashPassword } from "../../gateway/auth/password.ts";
import { UsageError } from "../errors.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `masktally hash-password`: reads a password on stdin (one line; the newline is not part of it), prints its hash. */
async function run(): Promise<void> {
  if (process.stdin.isTTY) process.stderr.write("password (then Enter and Ctrl-D): ");
  const password = (await readStdin()).replace(/\r?\n$/, "");
  if (password.length === 0)
    throw new UsageError("no password on stdin (e.g. `printf %s 'secret' | masktally hash-password`)");
  process.stdout.write(`${await hashPassword(password)}\n`);
}

export function register(program: Command): void {
  program
    .command("hash-password")
    .description("Read a device password on stdin and print its scrypt hash for the devices file")
    .action(() => run());
}
