// Apps under a fake memory budget, and runs that record what was resident as each node started
// (server/models/memory-plan.ts through ModelManager.prepareStage). Shared by test/memory-plan*.test.ts.
import { vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../../server/app-context";
import type { NodeStage } from "../../server/engine/stages";

export interface BudgetApps {
  /** A fresh app on its own data folder with `budget` bytes of memory. */
  open(budget: number): AppContext;
  /** Runs `graph`; `seen` lists, per node in start order, the sessions resident before its stage (sorted ids). */
  run(
    app: AppContext,
    graph: unknown,
  ): Promise<{
    run: NonNullable<ReturnType<AppContext["store"]["getRun"]>>;
    seen: Array<{ before: string; resident: string[] }>;
    outcome: Awaited<ReturnType<AppContext["runs"]["waitFor"]>>;
    outputs: ReturnType<AppContext["store"]["listOutputs"]>;
  }>;
  /** Closes every app and removes its folder. */
  closeAll(): Promise<void>;
}

export function budgetApps(): BudgetApps {
  const dirs: string[] = [];
  const apps: AppContext[] = [];
  return {
    open(budget) {
      const dir = mkdtempSync(join(tmpdir(), "acestep-plan-"));
      dirs.push(dir);
      const app = createAppContext({ dataDir: dir, threads: 1, memoryBudgetBytes: budget });
      apps.push(app);
      return app;
    },
    async run(app, graph) {
      const seen: Array<{ before: string; resident: string[] }> = [];
      const prepare = app.models.prepareStage.bind(app.models);
      const spy = vi.spyOn(app.models, "prepareStage").mockImplementation(async (stage: NodeStage) => {
        seen.push({
          before: stage.nodeId,
          resident: app.models
            .registry()
            .status()
            .loaded.map((l) => l.id)
            .sort(),
        });
        return prepare(stage);
      });
      try {
        const { runId } = app.runs.start({ graph });
        const outcome = await app.runs.waitFor(runId);
        return { run: app.store.getRun(runId)!, seen, outcome, outputs: app.store.listOutputs(runId) };
      } finally {
        spy.mockRestore();
      }
    },
    async closeAll() {
      for (const a of apps) await a.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
