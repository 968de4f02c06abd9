// The process-wide application context: store, registry and run service, shared by the
// HTTP server, tRPC routers, CLI and library API.
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import type { NodeRegistry } from "../nodes/registry";
import type { NodeServices } from "../nodes/services";
import { createDefaultRegistry } from "../nodes/index";
import { RunStore } from "./runs/store";
import { RunService } from "./runs/service";
import { loadConfig, type AppConfig } from "./config";
import { ModelManager } from "./models/manager";

export interface AppContext {
  config: AppConfig;
  registry: NodeRegistry;
  store: RunStore;
  runs: RunService;
  models: ModelManager;
  close(): Promise<void>;
}

export function createAppContext(overrides: Partial<AppConfig> & { registry?: NodeRegistry; services?: NodeServices; progressIntervalMs?: number } = {}): AppContext {
  const config = { ...loadConfig(), ...overrides };
  mkdirSync(config.dataDir, { recursive: true });
  const registry = overrides.registry ?? createDefaultRegistry();
  const store = new RunStore(join(config.dataDir, "acestep.sqlite"));
  const models = new ModelManager({
    modelsDir: config.modelsDir,
    dataDir: config.dataDir,
    demoModelsDir: config.demoModelsDir,
    threads: config.threads,
    logger: (m) => console.error(`[models] ${m}`),
  });
  const runs = new RunService({
    store,
    registry,
    dataDir: config.dataDir,
    services: { models, ...overrides.services },
    concurrency: config.concurrency,
    progressIntervalMs: overrides.progressIntervalMs,
  });
  return {
    config,
    registry,
    store,
    runs,
    models,
    async close() {
      for (const r of store.listRuns({ status: "running" })) runs.cancel(r.id);
      for (const r of store.listRuns({ status: "queued" })) runs.cancel(r.id);
      await runs.queue.idle();
      await models.close();
      store.close();
    },
  };
}
