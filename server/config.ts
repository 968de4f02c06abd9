// Process configuration from the environment, in one place.
import { resolve } from "node:path";
import { memoryBudgetBytes } from "./models/memory-budget";
import { ortThreads } from "./runtime/threads";

export interface AppConfig {
  dataDir: string;
  modelsDir: string | null;
  /** A prepared demo model set to share (ACESTEP_DEMO_MODELS), see ModelManagerOptions.demoModelsDir. */
  demoModelsDir: string | null;
  host: string;
  port: number;
  apiToken: string | null;
  concurrency: number;
  maxUploadBytes: number;
  threads: number;
  /** Extra Host names accepted without a token (ACESTEP_ALLOWED_HOSTS; see server/http/guard.ts). */
  allowedHosts: string[];
  /** Extra origins accepted for state-changing requests (ACESTEP_ALLOWED_ORIGINS). */
  allowedOrigins: string[];
  /** Most runs waiting in the queue, for every entry point (upstream ACESTEP_QUEUE_MAXSIZE). */
  queueMaxSize: number;
  /** Bytes of loaded model sessions kept resident (ACESTEP_MEMORY_BUDGET; server/models/memory-budget.ts). */
  memoryBudgetBytes: number;
  /** Seconds a non-streaming POST /v1/chat/completions waits for its generation (upstream ACESTEP_GENERATION_TIMEOUT). */
  generationTimeoutS: number;
  /**
   * ORT's optimized-model cache (ACESTEP_ORT_CACHE): a folder, "off", or undefined for `<dataDir>/ort-cache`
   * (ModelManagerOptions.ortCacheDir).
   */
  ortCacheDir?: string | null;
  /** Scale-out: the Redis of the BullMQ run queue (ACESTEP_REDIS_URL); `acestep serve` is then the coordinator. */
  redisUrl: string | null;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const int = (name: string, dflt: number) => {
    const v = env[name];
    if (v === undefined || v === "") return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`environment variable ${name} must be a whole number, got "${v}"`);
    return n;
  };
  return {
    dataDir: resolve(env.ACESTEP_DATA ?? "data"),
    modelsDir: env.ACESTEP_MODELS ? resolve(env.ACESTEP_MODELS) : null,
    demoModelsDir: env.ACESTEP_DEMO_MODELS ? resolve(env.ACESTEP_DEMO_MODELS) : null,
    host: env.ACESTEP_HOST ?? "127.0.0.1",
    port: int("PORT", 3000),
    apiToken: env.ACESTEP_API_TOKEN || null,
    concurrency: Math.max(1, int("ACESTEP_CONCURRENCY", 1)),
    maxUploadBytes: int("ACESTEP_MAX_UPLOAD_BYTES", 200 * 1024 * 1024),
    threads: ortThreads(env),
    allowedHosts: envList(env.ACESTEP_ALLOWED_HOSTS),
    allowedOrigins: envList(env.ACESTEP_ALLOWED_ORIGINS),
    queueMaxSize: Math.max(1, int("ACESTEP_QUEUE_MAXSIZE", 200)),
    memoryBudgetBytes: memoryBudgetBytes(env),
    generationTimeoutS: Math.max(1, int("ACESTEP_GENERATION_TIMEOUT", 600)),
    redisUrl: env.ACESTEP_REDIS_URL || null,
    ortCacheDir:
      env.ACESTEP_ORT_CACHE === "off" ? null : env.ACESTEP_ORT_CACHE ? resolve(env.ACESTEP_ORT_CACHE) : undefined,
  };
}

/** A comma-separated setting: trimmed, lower-case, empty entries dropped. */
export function envList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
