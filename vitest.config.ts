import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".pulse/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share one PostgreSQL and one Redis; each test file uses its own schema / prefix.
    fileParallelism: true,
    pool: "forks",
    // Two files at once even on two cores (vitest's default is one fewer than the cores): many integration
    // tests wait on PostgreSQL, Redis, timers or a slow test server rather than on the CPU.
    maxWorkers: 2,
  },
});
