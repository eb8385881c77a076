import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "packages/*/src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that start anvil or child processes are heavy on 2 cores; keep parallelism modest.
    maxWorkers: 2,
  },
});
