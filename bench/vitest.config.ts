import { defineConfig } from "vitest/config";

// Tests of the benchmark harness itself (statistics, profile summaries, stream timing, nginx config), apart from
// the product's tests: `npx vitest run --config bench/vitest.config.ts`.
export default defineConfig({
  test: {
    include: ["bench/test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
