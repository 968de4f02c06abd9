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

/** Unit tests live next to their code; the integration suites (servers, CLI processes, browsers, whole runs) in test/. */
const unitRoots = ["server", "nodes", "app"];

export default defineConfig({
  test: {
    ...sharedTestOptions,
    exclude: ["**/node_modules/**", ...fullTests],
    projects: [
      {
        extends: true,
        // One process per worker runs many unit files (modules loaded once per worker, not once per file): about
        // 0.25 CPU-s saved per file. These files must leave no state behind that another file could see (env,
        // globals, process listeners); the integration files keep a fresh process each.
        test: { name: "unit", isolate: false, include: unitRoots.map((root) => `${root}/**/*.test.ts`) },
      },
      { extends: true, test: { name: "integration", include: ["test/**/*.test.ts"] } },
    ],
  },
});
