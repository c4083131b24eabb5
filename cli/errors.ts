import { ConfigError, MasktallyError } from "../protocol/index.ts";

/** Wrong flags or arguments: exit code 2. */
export class UsageError extends MasktallyError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** CONTRACTS.md: 0 success, 2 bad usage or invalid config (every problem listed), 1 runtime failure. */
export function exitCodeFor(err: unknown): number {
  return err instanceof UsageError || err instanceof ConfigError ? 2 : 1;
}
