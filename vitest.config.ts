import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const k6Stub = fileURLToPath(new URL("./scenarios/test/k6-stub.ts", import.meta.url));

export default defineConfig({
  resolve: {
    // k6 built-ins exist only inside k6; the scenario tests import the scripts for their options.
    alias: [
      { find: /^k6(\/http)?$/, replacement: k6Stub },
      { find: "https://jslib.k6.io/k6-summary/0.0.2/index.js", replacement: k6Stub },
    ],
  },
  test: {
    include: ["gates/test/**/*.test.ts", "dagger/test/**/*.test.ts", "scenarios/test/**/*.test.ts"],
    setupFiles: ["gates/test/fast-check-seed.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
