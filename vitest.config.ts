import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["gates/test/**/*.test.ts", "dagger/test/**/*.test.ts", "scenarios/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
