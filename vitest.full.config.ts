import { defineConfig } from "vitest/config";
import { fullTests, sharedTestOptions } from "./vitest.config.ts";

/** `npm run test:full`: only the long end-to-end files (`*.full.test.ts`); `npm test` covers the rest. */
export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: fullTests,
    exclude: ["**/node_modules/**"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
