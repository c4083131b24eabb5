export * from "./api.ts";
export * from "./errors.ts";
export * from "./ids.ts";
export * from "./payloads.ts";
export * from "./registry.ts";
export * from "./rollup.ts";
export * from "./topics.ts";
export * from "./validation.ts";
