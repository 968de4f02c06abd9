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
import { ScaleOutQueue } from "./runs/scaleout/coordinator";
import { scaleOutTiming } from "./runs/scaleout/protocol";

export interface AppContext {
  config: AppConfig;
  registry: NodeRegistry;
  store: RunStore;
  runs: RunService;
  models: ModelManager;
  /** The scale-out queue when this process coordinates workers (serve with ACESTEP_REDIS_URL). */
  scaleOut: ScaleOutQueue | null;
  close(): Promise<void>;
}

export interface AppContextOptions extends Partial<AppConfig> {
  registry?: NodeRegistry;
  services?: NodeServices;
  progressIntervalMs?: number;
  /**
   * What this process is. "serve" adopts the queued runs of processes that died; "cli" and "library" (the
   * default) only execute the runs they queue themselves, so they never touch a server's runs.
   */
  role?: "serve" | "cli" | "library";
  /** Lease timing (tests shorten it). */
  lease?: { ttlMs?: number; heartbeatMs?: number };
}

export function createAppContext(overrides: AppContextOptions = {}): AppContext {
  const config = { ...loadConfig(), ...overrides };
  mkdirSync(config.dataDir, { recursive: true });
  const registry = overrides.registry ?? createDefaultRegistry();
  const store = new RunStore(join(config.dataDir, "acestep.sqlite"));
  const models = new ModelManager({
    modelsDir: config.modelsDir,
    dataDir: config.dataDir,
    demoModelsDir: config.demoModelsDir,
    threads: config.threads,
    budgetBytes: config.memoryBudgetBytes,
    ortCacheDir: config.ortCacheDir,
    logger: (m) => console.error(`[models] ${m}`),
  });
  let scaleOut: ScaleOutQueue | null = null;
  const redisUrl = overrides.role === "serve" ? config.redisUrl : null;
  const runs = new RunService({
    store,
    registry,
    dataDir: config.dataDir,
    services: { models, ...overrides.services },
    concurrency: config.concurrency,
    progressIntervalMs: overrides.progressIntervalMs,
    maxQueued: config.queueMaxSize,
    lease: { role: overrides.role ?? "library", adopt: overrides.role === "serve", ...overrides.lease },
    ...(redisUrl
      ? { queue: (svc, local) => (scaleOut = new ScaleOutQueue(svc, local, { redisUrl, timing: scaleOutTiming() })) }
      : {}),
  });
  return {
    config,
    registry,
    store,
    runs,
    models,
    scaleOut,
    /** Graceful: running runs are re-queued, queued runs stay queued (see RunService.shutdown). */
    async close() {
      await runs.shutdown();
      await runs.queue.close();
      await models.close();
      store.close();
    },
  };
}
