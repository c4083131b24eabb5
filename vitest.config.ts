import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The long tests (fault injection, 60 s serial runs, outages) mostly wait on wall-clock time, not CPU:
    // with the default of one worker per spare core (1 here) they would run one after another.
    maxWorkers: 3,
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
