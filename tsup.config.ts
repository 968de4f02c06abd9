// `npm run build:lib`: the library API (and the REST facade) as ESM JavaScript with bundled type declarations in
// dist/, so plain Node can import the package. Dependencies stay external; the ORT worker script (and the
// optimized-model cache it imports) is copied next to the bundle (server/runtime/session-host.ts resolves it beside
// itself); the LM worker thread is its own entry
// (dist/lm-worker.js, which server/runtime/lm/lm-worker-client.ts resolves beside itself).
import { copyFileSync } from "node:fs";
import { defineConfig } from "tsup";

export default defineConfig({
  entry: {
    index: "server/api/library.ts",
    rest: "server/api/rest/index.ts",
    "lm-worker": "server/runtime/lm/lm-worker.ts",
  },
  outDir: "dist",
  format: ["esm"],
  platform: "node",
  target: "node20",
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  tsconfig: "tsconfig.build.json",
  onSuccess: async () => {
    copyFileSync("server/runtime/ort-worker.mjs", "dist/ort-worker.mjs");
    copyFileSync("server/runtime/ort-cache.mjs", "dist/ort-cache.mjs"); // imported by the ORT worker
  },
});
