// Scale-out: what the coordinator (`acestep serve` with a Redis URL) and its workers (`acestep worker`) say to
// each other. Jobs travel through one BullMQ queue in Redis and carry only the run id and what the run needs;
// the run itself (graph, status, events, outputs) stays in the coordinator's SQLite store, and workers read and
// report it over the coordinator's HTTP API (/api/workers/…, always behind the API token).
import type { EngineEvent } from "../../engine/events";
import type { RunRecord } from "../store";

/** The BullMQ queue every run of the scale-out queue goes through. */
export const RUN_QUEUE = "acestep-runs";

/**
 * Run kinds that workers execute: graph runs and REST tasks ("generate", server/api/rest/tasks.ts; their uploads
 * are fetched from the coordinator). Kinds registered by other modules run in the coordinator.
 */
export const REMOTE_KINDS = new Set(["graph", "generate"]);

/** A model a run loads: a loader node's component and folder name (null = the default model of its kind). */
export interface ModelNeed {
  nodeId: string;
  component: "dit" | "vae" | "text-encoder" | "lm";
  name: string | null;
}

export interface RunJobData {
  runId: string;
  kind: string;
  needs: ModelNeed[];
}

/** What a worker says about itself with every heartbeat. */
export interface WorkerHello {
  id: string;
  host: string;
  pid: number;
  /** ORT execution provider of its sessions ("cpu", "cuda"). */
  provider: string;
  /** Model folder names it holds (its manifest). */
  models: string[];
  /** Whether its models are the demo weights. */
  demo: boolean;
  concurrency: number;
  /** Run kinds it executes. */
  kinds: string[];
  /** Runs it executes now. */
  jobs: string[];
}

/** The coordinator's answer to a heartbeat: runs the worker should abort (cancelled by a user). */
export interface HeartbeatAnswer {
  cancel: string[];
}

/** The coordinator's answer to a start request. */
export type StartAnswer =
  | { start: true; run: Pick<RunRecord, "id" | "kind" | "graph" | "payload" | "createdAt">; attempt: number }
  /** The run must not be executed (cancelled while queued, already finished, running on a live worker). */
  | { start: false; reason: string; retry: boolean };

export interface EventsBody {
  workerId: string;
  events: EngineEvent[];
  /** What a REST task does now (its `progress_text` and progress). */
  stage?: { stage: string; progress: number };
}

/** A file a run recorded outside node events (e.g. a REST result under its upstream name). */
export interface ReportedOutput {
  nodeId: string;
  path: string;
  kind: string;
  meta: Record<string, unknown>;
}

export interface EventsAnswer {
  /** The run was cancelled: abort it. */
  cancel: boolean;
}

export interface FinishBody {
  workerId: string;
  status: "finished" | "failed" | "cancelled";
  error: RunRecord["error"];
  ms: number;
  timings?: RunRecord["timings"];
  resolvedSeeds?: RunRecord["resolvedSeeds"];
  graph?: unknown;
  demo?: boolean;
  result?: unknown;
  outputs?: ReportedOutput[];
}

/** Loader node types and the model component each loads (nodes/models/loaders.ts). */
const LOADERS: Record<string, ModelNeed["component"]> = {
  "models.dit": "dit",
  "models.vae": "vae",
  "models.textEncoder": "text-encoder",
  "models.lm": "lm",
};

/** The models a graph loads, from its loader nodes. */
export function graphNeeds(graph: unknown): ModelNeed[] {
  const nodes = (graph as { nodes?: Record<string, { type?: unknown; params?: Record<string, unknown> }> } | null)
    ?.nodes;
  const needs: ModelNeed[] = [];
  for (const [nodeId, n] of Object.entries(nodes ?? {})) {
    const component = typeof n?.type === "string" ? LOADERS[n.type] : undefined;
    if (!component) continue;
    const name = n.params?.name;
    needs.push({ nodeId, component, name: typeof name === "string" && name !== "" ? name : null });
  }
  return needs;
}

/**
 * Why a worker cannot run a job (null when it can): a named model it does not hold, or a kind of model of which it
 * holds none. `held` lists the worker's models by component.
 */
export function missingModel(needs: ModelNeed[], held: Map<string, string[]>): string | null {
  for (const n of needs) {
    const names = held.get(n.component) ?? [];
    if (n.name !== null ? !names.includes(n.name) : names.length === 0)
      return `node "${n.nodeId}" needs the ${n.component} model ${n.name !== null ? `"${n.name}"` : "(default)"}`;
  }
  return null;
}

/** A Redis URL fit for logs: its password replaced by "***". */
export function shownRedisUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/** The HTTP paths of the worker API on the coordinator. */
export const WORKER_API = {
  heartbeat: "/api/workers/heartbeat",
  start: (runId: string) => `/api/workers/runs/${runId}/start`,
  events: (runId: string) => `/api/workers/runs/${runId}/events`,
  file: (runId: string, rel: string) => `/api/workers/runs/${runId}/files?path=${encodeURIComponent(rel)}`,
  finish: (runId: string) => `/api/workers/runs/${runId}/finish`,
};

/** Scale-out timing (tests shorten it through the environment). */
export interface ScaleOutTiming {
  /** BullMQ job lock; a worker that stops renewing it (killed) is found stalled after this (default 30 s). */
  lockMs: number;
  /** How often workers look for stalled jobs (default 15 s). */
  stalledCheckMs: number;
  /** How many times a run may start (the first start included) before a stall fails it (default 2). */
  attempts: number;
  /** A worker not heard of for this long is gone (default 20 s). */
  workerTtlMs: number;
}

export function scaleOutTiming(env: NodeJS.ProcessEnv = process.env): ScaleOutTiming {
  const int = (name: string, dflt: number, min: number) => {
    const v = env[name];
    if (v === undefined || v === "") return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`environment variable ${name} must be a whole number ≥ ${min}, got "${v}"`);
    return n;
  };
  return {
    lockMs: int("ACESTEP_WORKER_LOCK_MS", 30_000, 1000),
    stalledCheckMs: int("ACESTEP_WORKER_STALLED_CHECK_MS", 15_000, 500),
    attempts: int("ACESTEP_RUN_ATTEMPTS", 2, 1),
    workerTtlMs: int("ACESTEP_WORKER_TTL_MS", 20_000, 1000),
  };
}
