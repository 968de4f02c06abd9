// Messages between LmService (main thread, server/pipeline/lm.ts) and the LM worker (lm-worker.ts).
// The LM session, its in-place KV cache and the whole decode loop live in the worker: onnxruntime-node
// 1.30 refuses SharedArrayBuffer feeds, so the cache cannot be shared across threads (kv-session.ts).
import type { MetadataFsmOptions, SamplingParams } from "../../lm";
import type { LmHead, LmStepConfig } from "./kv-session";

export type LmProvider = "cpu" | "cuda";

export interface LmOpenRequest {
  op: "open";
  key: string;
  onnxPath: string;
  /** the checkpoint's config.json (server/models/lm readLmConfig, read by the caller) */
  config: LmStepConfig;
  /** the code-head rows the file was built with (server/models/lm defaultCodeRows) */
  codeRows: [number, number] | null;
  tokenizerPath: string;
  threads: number;
  /** the session host's provider choice (server/runtime/session-host.ts); cuda falls back to cpu */
  provider: LmProvider;
  /** ORT's optimized-model cache for this file (server/runtime/ort-cache.mjs); absent = off */
  optimizedCache?: { dir: string; key: string };
}

export interface LmPassRequest {
  op: "pass";
  key: string;
  prompt: number[];
  uncondPrompt?: number[];
  cfgScale: number;
  /** FSM options without the tokenizer (the worker holds its own); absent = unconstrained */
  fsm?: Omit<MetadataFsmOptions, "tokenizer">;
  head: Exclude<LmHead, "none">;
  maxNewTokens: number;
  sampling: SamplingParams;
  seed: number;
  /** progress messages at most this often (ms); the last token is always reported by the result */
  progressIntervalMs: number;
}

/** Token ids of each text (the worker's tokenizer: the main thread never loads the 217k-token tokenizer) */
export interface LmEncodeRequest {
  op: "encode";
  key: string;
  texts: string[];
}

/**
 * The text encoder's token ids of `text` (server/acestep/prompts/encoder-tokenizer.ts tokenizeForEncoder on the
 * tokenizer.json in `dir`): that tokenizer's ~0.5 s load would block the main thread too, so it lives here as well.
 */
export interface EncoderTokensRequest {
  op: "encoderTokens";
  dir: string;
  text: string;
  maxLength: number;
}

export interface LmLogitsRequest {
  op: "logits";
  key: string;
  ids: number[];
  head: Exclude<LmHead, "none">;
}

export type LmWorkerRequest =
  | LmOpenRequest
  | LmPassRequest
  | LmEncodeRequest
  | EncoderTokensRequest
  | LmLogitsRequest
  | { op: "stats"; key: string }
  /** dispose one model after its running passes (the memory budget released it) */
  | { op: "close"; key: string }
  | { op: "cancel"; target: number }
  | { op: "release" };

export interface LmOpenResult {
  provider: LmProvider;
  fallback?: string;
  /** whether the session came from the optimized-model cache, wrote it, or did not use it */
  optimizedCache?: "hit" | "saved" | "off";
  /** milliseconds the session creation took in the worker */
  createMs: number;
}
export interface LmPassResult {
  tokens: number[];
  /** the generated tokens decoded (special tokens kept) */
  text: string;
  stopReason: string;
}
export interface LmStats {
  calls: number;
  pairCalls: number;
  slots: number;
}

/** worker → main: a reply to request `id`, or a progress event of pass `id` */
export type LmWorkerMessage =
  | { id: number; kind: "ok"; value: unknown }
  | { id: number; kind: "error"; name: string; message: string }
  | { id: number; kind: "progress"; step: number };

/** KV-cache slots a pass allocates up front (the prompt, the new tokens capped at 4096, a margin). */
export function passCapacity(promptTokens: number, maxNewTokens: number): number {
  return promptTokens + Math.min(maxNewTokens, 4096) + 8;
}

/**
 * Bytes of a pass's KV cache (K and V, float32, every layer and lane; kv-session.ts LmKvCache). A
 * config without head_dim uses hidden_size / num_attention_heads (Qwen3's default); 0 when the config says too little.
 */
export function kvCacheBytes(
  config: {
    num_hidden_layers?: number;
    num_key_value_heads?: number;
    head_dim?: number;
    hidden_size?: number;
    num_attention_heads?: number;
  },
  lanes: number,
  capacity: number,
): number {
  const headDim = config.head_dim ?? (config.hidden_size ?? NaN) / (config.num_attention_heads ?? NaN);
  const bytes =
    2 * (config.num_hidden_layers ?? NaN) * capacity * lanes * (config.num_key_value_heads ?? NaN) * headDim * 4;
  return Number.isFinite(bytes) && bytes > 0 ? bytes : 0;
}
