// system.info: what the status bar shows (execution provider, loaded models, demo weights).
import { router, publicProcedure } from "../init";
import type { QueueStats } from "../../runs/queue";
import { memoryTier, type MemoryTier } from "../../models/tiers";

export interface SystemInfo {
  version: string;
  executionProvider: string;
  threads: number;
  demoWeights: boolean;
  models: Array<{ name: string; kind: string; loaded: boolean; demo: boolean }>;
  queue: QueueStats;
  /** True while the models are still being prepared (demo conversion on first start). */
  preparingModels: boolean;
  /**
   * Bytes of loaded model sessions and the budget they are kept under (ACESTEP_MEMORY_BUDGET), and the memory tier
   * the budget picks (LM sizes, batch and duration limits, offload; server/models/tiers.ts).
   */
  memory: { usedBytes: number; budgetBytes: number; tier: MemoryTier };
}

export const systemRouter = router({
  info: publicProcedure.query(async ({ ctx }): Promise<SystemInfo> => {
    const info: SystemInfo = {
      version: "0.1.0",
      executionProvider: "cpu",
      threads: ctx.app.config.threads,
      demoWeights: ctx.app.config.modelsDir === null,
      models: [],
      queue: ctx.app.runs.queueStats(),
      preparingModels: false,
      memory: {
        usedBytes: 0,
        budgetBytes: ctx.app.config.memoryBudgetBytes,
        tier: memoryTier(ctx.app.config.memoryBudgetBytes),
      },
    };
    const m = ctx.app.models;
    info.demoWeights = m.demo;
    try {
      const host = await m.host().info();
      info.executionProvider = host.provider;
      info.threads = host.threads;
      // Answer at once while the models are being prepared (the status bar polls again).
      const manifest = m.loadedManifest();
      if (!manifest) void m.ready().catch(() => {});
      info.preparingModels = !manifest;
      const entries = manifest ? Object.values(manifest.entries) : [];
      const status = m.registry().status();
      info.models = entries.map((e) => ({
        name: e.name,
        kind: e.component,
        loaded: status.loaded.some((l) => l.id.startsWith(`${e.name}/`)),
        demo: m.demo,
      }));
      info.memory = { usedBytes: status.usedBytes, budgetBytes: status.budgetBytes, tier: m.tier() };
    } catch {
      // models not ready yet: the status bar shows what is known
    }
    return info;
  }),
});
