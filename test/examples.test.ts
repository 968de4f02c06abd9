import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../server/app-context";
import { listExamples } from "../server/graph/examples";
import { validateGraph } from "../server/graph/validate";
import { createDefaultRegistry } from "../nodes/index";

let app: AppContext;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "acestep-examples-"));
  app = createAppContext({ dataDir: dir });
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("example graphs in graphs/", () => {
  const examples = listExamples();
  it("exist and all validate", () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const ex of examples) {
      const r = validateGraph(ex.graph, createDefaultRegistry());
      expect(r.ok ? [] : r.issues, ex.id).toEqual([]);
      expect(ex.name, ex.id).not.toBe(`${ex.id}.json`);
    }
  });

  for (const ex of examples)
    it(`runs ${ex.id} headless and writes its outputs`, async () => {
      const { runId } = app.runs.start({ graph: ex.graph });
      await app.runs.waitFor(runId);
      const run = app.store.getRun(runId)!;
      expect(run.error, ex.id).toBeNull();
      expect(run.status).toBe("finished");
      for (const o of app.store.listOutputs(runId)) expect(statSync(join(dir, o.path)).size).toBeGreaterThan(0);
    });
});
