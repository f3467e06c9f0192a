import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Child-process tests run the built CLI: build it when the sources changed.
    globalSetup: ["test/globalSetup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Multi-peer tests start real relays and child processes; two cores are shared.
    fileParallelism: true,
    maxWorkers: 2,
  },
})
