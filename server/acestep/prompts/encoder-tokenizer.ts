// The text encoder's tokenizer (the Qwen3-Embedding folder's tokenizer.json, as acestep/handler.py
// `_get_text_hidden_states` and `infer_lyric_embeddings` tokenize prompts with truncation): loaded once per folder.
// Loading it takes ~0.5 s (a 151k-token BPE), so the pipeline calls it in the LM worker thread
// (server/pipeline/text-encoder.ts encoderTokens → server/runtime/lm/lm-worker.ts), never on the main event loop.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

interface Loaded {
  tok: Tokenizer;
  /** Token ids the post-processor appends to every sequence (e.g. <|endoftext|>), measured once. */
  suffix: number[];
}
const tokenizers = new Map<string, Loaded>();

function loadTokenizer(dir: string): Loaded {
  const hit = tokenizers.get(dir);
  if (hit) return hit;
  const json = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(readFileSync(join(dir, "tokenizer_config.json"), "utf8"));
  } catch {
    // optional
  }
  const tok = new Tokenizer(json, config);
  const withSpecial = tok.encode("", { add_special_tokens: true }).ids;
  const loaded = { tok, suffix: withSpecial.map(Number) };
  tokenizers.set(dir, loaded);
  return loaded;
}

/** Tokenises like HF with truncation=True, max_length: content truncated, then the post-processor's tokens appended. */
export function tokenizeForEncoder(dir: string, text: string, maxLength: number): number[] {
  const { tok, suffix } = loadTokenizer(dir);
  const body = tok.encode(text, { add_special_tokens: false }).ids.map(Number);
  return [...body.slice(0, Math.max(0, maxLength - suffix.length)), ...suffix];
}
