import { defineConfig } from "vitest/config";

// `npm run test:faults`: fault-injection scenarios on real devnets (issue "Reliability and security").
// One file at a time: each scenario runs its own anvil, RelayMiners and load, and 2 cores are all CI has.
export default defineConfig({
  test: {
    include: ["faults/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
