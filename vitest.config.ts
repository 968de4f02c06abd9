import { defineConfig } from "vitest/config";

/** Test files named `*.full.test.ts` are the long end-to-end checks: `npm run test:full` runs them, `npm test` does not. */
const testRoots = ["test", "server", "nodes", "app"];
export const fullTests = testRoots.map((root) => `${root}/**/*.full.test.ts`);

export const sharedTestOptions = {
  environment: "node",
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks",
  globalSetup: ["./test/setup/demo-models.ts", "./test/setup/threads.ts"],
  reporters: ["default", "./test/summary-reporter.ts"],
} as const;

/**
 * Unit tests: next to their code, plus the test/ files that start no server, process or app context (reference
 * parity, validation, schema, engine, source checks). The rest of test/ (servers, CLI processes, browsers, whole
 * runs) are the integration suites.
 */
const unitTests = [
  ...["server", "nodes", "app"].map((root) => `${root}/**/*.test.ts`),
  "test/parity/**/*.test.ts",
  ...["validate", "validate-holes", "graph-schema", "engine", "cycles", "citations", "node-docs", "api-parity"].map(
    (name) => `test/${name}.test.ts`,
  ),
];
const excluded = ["**/node_modules/**", ...fullTests];

export default defineConfig({
  test: {
    ...sharedTestOptions,
    exclude: excluded,
    projects: [
      {
        extends: true,
        // One process per worker runs many unit files (modules loaded once per worker, not once per file): about
        // 0.25 CPU-s saved per file. These files must leave no state behind that another file could see (env,
        // globals, process listeners); the integration files keep a fresh process each.
        test: { name: "unit", isolate: false, include: unitTests },
      },
      {
        extends: true,
        test: { name: "integration", include: ["test/**/*.test.ts"], exclude: [...excluded, ...unitTests] },
      },
    ],
  },
});
