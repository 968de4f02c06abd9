import { defineConfig } from "vitest/config";

/** Test files named `*.full.test.ts` are the long end-to-end checks: `npm run test:full` runs them, `npm test` does not. */
const testRoots = ["test", "server", "nodes", "app"];
export const fullTests = testRoots.map((root) => `${root}/**/*.full.test.ts`);

export const sharedTestOptions = {
  environment: "node",
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks",
  globalSetup: ["./test/setup/demo-models.ts"],
  reporters: ["default", "./test/summary-reporter.ts"],
} as const;

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: testRoots.map((root) => `${root}/**/*.test.ts`),
    exclude: ["**/node_modules/**", ...fullTests],
  },
});
