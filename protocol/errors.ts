import type { Problem } from "./validation.ts";

/** Base of masktally's errors: a stable machine-readable `code` beside the human message. */
export class MasktallyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration file (registry, devices, gateway or device config) that fails validation: every problem, each with its path. */
export class ConfigError extends MasktallyError {
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(
      "CONFIG_INVALID",
      `${file}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
    );
  }
}
