// DiT text-encoder prompt. Ports acestep/constants.py `SFT_GEN_PROMPT` and acestep/handler.py
// `_build_metadata_dict`, `_dict_to_meta_string`, `_create_default_meta`, `extract_caption_from_sft_format`,
// `_format_instruction`, `prepare_batch_data` (duration for the metas) — ace-step/ACE-Step-1.5 @ f30aee4.

import { formatInstruction } from "../tasks/instructions";

/** `SFT_GEN_PROMPT` with its three `{}` placeholders (instruction, caption, metas). */
export const SFT_GEN_PROMPT = "# Instruction\n{}\n\n# Caption\n{}\n\n# Metas\n{}<|endoftext|>\n";

/** Qwen3 end-of-text token; also the tokenizer's pad token (id 151643). */
export const ENDOFTEXT = "<|endoftext|>";
export const PAD_TOKEN_ID = 151643;
/** Tokenizer `max_length` (truncation) of the caption prompt and of the lyric prompt. */
export const TEXT_MAX_TOKENS = 256;
export const LYRIC_MAX_TOKENS = 2048;

/**
 * Whether the Qwen3-Embedding tokenizer appends its own `<|endoftext|>` (TemplateProcessing post-processor) when
 * encoding these prompts. UNCONFIRMED for the copy shipped in the ACE-Step checkpoint; strong evidence says yes for the
 * public Qwen3-Embedding-0.6B tokenizer. The tokenizer module must check `post_processor` of the shipped
 * tokenizer.json; the prompt strings here never contain that extra EOS.
 */
export const TEXT_TOKENIZER_LIKELY_APPENDS_EOS = true;

/** Default metas block (`_create_default_meta`). */
export const DEFAULT_METAS = "- bpm: N/A\n- timesignature: N/A\n- keyscale: N/A\n- duration: 30 seconds\n";

export interface Metas {
  /** Beats per minute; falsy (null/undefined/0/"") → "N/A". Inserted as Python would print it. */
  bpm?: number | string | null;
  /** e.g. "C major"; empty/whitespace → "N/A". Inserted unstripped, as upstream does. */
  keyscale?: string | null;
  /** Numerator as the LM writes it ("4"); empty/whitespace or "N/A" → "N/A". */
  timesignature?: string | number | null;
  /** Seconds; null/undefined/≤0 → "30 seconds". Truncated with int(): 30.9 → "30 seconds". */
  duration?: number | null;
}

/** Python `str()` of an int or float value (ints print without ".0"; floats with at least one decimal). */
function pyStr(v: number | string): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  return String(v);
}

/**
 * `_build_metadata_dict` + `_dict_to_meta_string`: the four `- key: value\n` lines in the order bpm,
 * timesignature, keyscale, duration.
 */
export function formatMetas(m: Metas = {}): string {
  const bpm = m.bpm ? pyStr(m.bpm) : "N/A";
  const key = m.keyscale && m.keyscale.trim() ? m.keyscale : "N/A";
  const tsRaw = m.timesignature === null || m.timesignature === undefined ? "" : pyStr(m.timesignature);
  const ts = tsRaw.trim() && tsRaw !== "N/A" ? tsRaw : "N/A";
  // generate_music turns duration <= 0 into None; None → no key → _dict_to_meta_string default 30.
  const dur =
    m.duration !== null && m.duration !== undefined && Number.isFinite(m.duration) && m.duration > 0
      ? Math.trunc(m.duration)
      : 30;
  return `- bpm: ${bpm}\n- timesignature: ${ts}\n- keyscale: ${key}\n- duration: ${dur} seconds\n`;
}

/**
 * `extract_caption_from_sft_format`: if the caption itself is an SFT prompt (contains both "# Instruction"
 * and "# Caption"), keep only the stripped text of its `# Caption` section; otherwise return it unchanged.
 * The regex `#\s*Caption\s*\n(.*?)(?:\n\s*#\s*Metas|$)` (DOTALL) is reproduced with Python's `$`
 * (end of string or before a final newline).
 */
export function extractCaptionFromSftFormat(caption: string): string {
  if (caption.includes("# Instruction") && caption.includes("# Caption")) {
    const m = /#\s*Caption\s*\n([\s\S]*?)(?:\n\s*#\s*Metas|(?=\n?$))/.exec(caption);
    if (m) return m[1].trim();
  }
  return caption;
}

export interface TextPromptInput {
  /** Task instruction (see tasks/instructions.ts); ":" is appended when missing. */
  instruction: string;
  caption: string;
  metas?: Metas;
}

/** `SFT_GEN_PROMPT.format(_format_instruction(instruction), caption, metas)`; caption first goes through
 *  `extract_caption_from_sft_format` as in `prepare_batch_data`. */
export function formatTextPrompt(input: TextPromptInput): string {
  const instruction = formatInstruction(input.instruction);
  const caption = extractCaptionFromSftFormat(input.caption);
  const metas = formatMetas(input.metas);
  return `# Instruction\n${instruction}\n\n# Caption\n${caption}\n\n# Metas\n${metas}<|endoftext|>\n`;
}

/** The text the tokenizer effectively encodes if it appends its own EOS. */
export function withTokenizerEos(prompt: string): string {
  return prompt + ENDOFTEXT;
}
