// Ports: the prompt builders and output parser of acestep/llm_inference.py @ f30aee4:
// build_formatted_prompt (L1396), build_formatted_prompt_with_cot (L1444; + the training-aligned layout of
// upstream #1126/#1127/#1128), build_formatted_prompt_for_understanding (L1506), _for_inspiration (L1692),
// _for_format (L1868), _format_metadata_as_cot (L1003), parse_lm_output (L2444),
// _extract_lyrics_from_output (L1654). Instruction texts from acestep/constants.py. The Qwen3 chat
// template is rendered by hand (byte-exact to what the upstream builders get from the
// tokenizer's `apply_chat_template`); no tokenizer is needed here.
import { dumpYamlMapping, type YamlScalar } from "./yaml";

export const DEFAULT_LM_INSTRUCTION = "Generate audio semantic tokens based on the given conditions:";
export const DEFAULT_LM_UNDERSTAND_INSTRUCTION =
  "Understand the given musical conditions and describe the audio semantics accordingly:";
export const DEFAULT_LM_INSPIRED_INSTRUCTION =
  "Expand the user's input into a more detailed and specific musical description:";
export const DEFAULT_LM_REWRITE_INSTRUCTION =
  "Format the user's input into a more detailed and specific musical description:";
/** Default `lm_negative_prompt`; also the user turn of the unconditional prompt (training CFG dropout). */
export const NO_USER_INPUT = "NO USER INPUT";

/** `<|im_start|>system\n# Instruction\n{x}\n\n<|im_end|>\n` */
export const sys = (instruction: string) => `<|im_start|>system\n# Instruction\n${instruction}\n\n<|im_end|>\n`;
export const user = (content: string) => `<|im_start|>user\n${content}<|im_end|>\n`;
/** `add_generation_prompt=True`: the open assistant turn (no empty think block). */
export const GEN = "<|im_start|>assistant\n";

/** True when a negative prompt should replace the caption (not empty, not "NO USER INPUT"). */
export function isMeaningfulNegative(negative: string | undefined | null): negative is string {
  return !!negative && negative.trim() !== "" && negative.trim() !== NO_USER_INPUT;
}

const captionLyricUser = (caption: string, lyrics: string) => `# Caption\n${caption}\n\n# Lyric\n${lyrics}\n`;

// ---------------------------------------------------------------------------------------------------------
// generate_music, phase 1 (CoT metadata)

/** Phase-1 conditional prompt: SYS + user(`# Caption\n…\n\n# Lyric\n…\n`) + GEN. */
export function buildCotPrompt(caption: string, lyrics: string): string {
  return sys(DEFAULT_LM_INSTRUCTION) + user(captionLyricUser(caption, lyrics)) + GEN;
}

/**
 * Phase-1 unconditional prompt (used only when phase-1 CFG is on: f30aee4 did, later upstream forces
 * cfg 1.0 in phase 1). Default negative → user content `# Lyric\n{lyrics}\n`; else caption := negative.
 */
export function buildCotUncondPrompt(lyrics: string, negative: string = NO_USER_INPUT): string {
  const content = isMeaningfulNegative(negative) ? captionLyricUser(negative, lyrics) : `# Lyric\n${lyrics}\n`;
  return sys(DEFAULT_LM_INSTRUCTION) + user(content) + GEN;
}

// ---------------------------------------------------------------------------------------------------------
// CoT re-serialisation between the passes

export const COT_KEYS = ["bpm", "caption", "duration", "keyscale", "language", "timesignature"] as const;
export type CotKey = (typeof COT_KEYS)[number];
export type CotMetadata = Partial<Record<CotKey | "genres", string | number | null | undefined>>;

/**
 * `_format_metadata_as_cot`: keep the six CoT keys whose value is not null/undefined (no genres);
 * timesignature "N/4" → N; all-digit strings → int; PyYAML dump, sorted keys, stripped.
 * Returns the YAML body (no <think> wrapper); "" when nothing is kept.
 */
export function formatMetadataYaml(meta: CotMetadata): string {
  const items: Record<string, YamlScalar> = {};
  for (const k of COT_KEYS) {
    let v = meta[k];
    if (v === null || v === undefined) continue;
    if (k === "timesignature" && typeof v === "string" && v.endsWith("/4")) v = v.split("/")[0];
    if (typeof v === "string" && /^[0-9]+$/.test(v)) v = parseInt(v, 10); // Python str.isdigit() (ASCII subset)
    items[k] = v;
  }
  if (!Object.keys(items).length) return "";
  return dumpYamlMapping(items).trim();
}

/** `<think>\n{yaml}\n</think>` (empty metadata → `<think>\n\n</think>`). */
export function formatMetadataAsCot(meta: CotMetadata): string {
  return `<think>\n${formatMetadataYaml(meta)}\n</think>`;
}

// ---------------------------------------------------------------------------------------------------------
// generate_music, phase 2 (audio codes)

export type CodesPromptLayout = "open" | "closed";

export interface CodesPromptInput {
  caption: string;
  lyrics: string;
  /** Merged metadata for the CoT (user values + phase-1 output). */
  metadata: CotMetadata;
  negative?: string;
  /**
   * "open" (default): training-aligned layout of upstream #1126/#1127/#1128 (2026-04-22): the assistant turn
   * stays open after `</think>\n\n`. "closed": the f30aee4 layout (`…</think>\n\n<|im_end|>\n`).
   */
  layout?: CodesPromptLayout;
  /** Open layout only: upstream's `use_legacy_cfg_prompt` — uncond user turn keeps `# Caption`/`# Lyric`. */
  legacyUncond?: boolean;
}

/** Assistant turn with a CoT, as the Qwen3 template renders it with add_generation_prompt=False. */
const closedAssistant = (yaml: string) => `<|im_start|>assistant\n<think>\n${yaml}\n</think>\n\n<|im_end|>\n`;

/** Phase-2 prompts {cond, uncond}. */
export function buildCodesPrompts(p: CodesPromptInput): { cond: string; uncond: string } {
  const yaml = formatMetadataYaml(p.metadata);
  const s = sys(DEFAULT_LM_INSTRUCTION);
  const condUser = user(captionLyricUser(p.caption, p.lyrics));
  const neg = isMeaningfulNegative(p.negative) ? p.negative : undefined;
  const legacyUser = user(captionLyricUser(neg ?? p.caption, p.lyrics));
  if ((p.layout ?? "open") === "closed") {
    return { cond: s + condUser + closedAssistant(yaml), uncond: s + legacyUser + closedAssistant("") };
  }
  const uncondUser = p.legacyUncond ? legacyUser : user(neg ?? NO_USER_INPUT);
  return {
    cond: s + condUser + GEN + `<think>\n${yaml}\n</think>\n\n`,
    uncond: s + uncondUser + GEN + "<think>\n\n</think>\n\n",
  };
}

// ---------------------------------------------------------------------------------------------------------
// understand_music, create_sample, format_sample (no CFG)

/** Audio codes → metadata + lyrics. `codes` = concatenated `<|audio_code_n|>`; empty → "NO USER INPUT". */
export function buildUnderstandPrompt(codes: string): string {
  return sys(DEFAULT_LM_UNDERSTAND_INSTRUCTION) + user(codes.trim() ? codes : NO_USER_INPUT) + GEN;
}

/** Simple mode / inspiration: query → caption + lyrics + metas. Empty query → "NO USER INPUT". */
export function buildCreateSamplePrompt(query: string, instrumental: boolean): string {
  const q = query.trim() ? query : NO_USER_INPUT;
  return sys(DEFAULT_LM_INSPIRED_INSTRUCTION) + user(`${q}\n\ninstrumental: ${instrumental ? "true" : "false"}`) + GEN;
}

/** Caption + lyrics → enhanced caption + metas + lyrics. No trailing `\n` after the lyrics. */
export function buildFormatSamplePrompt(caption: string, lyrics: string): string {
  const c = caption.trim() ? caption : NO_USER_INPUT;
  const l = lyrics.trim() ? lyrics : "[Instrumental]";
  return sys(DEFAULT_LM_REWRITE_INSTRUCTION) + user(`# Caption\n${c}\n\n# Lyric\n${l}`) + GEN;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing LM output

export interface ParsedLmMetadata {
  bpm?: number | string;
  caption?: string;
  duration?: number | string;
  genres?: string;
  keyscale?: string;
  language?: string;
  timesignature?: string;
}

// Python str.strip() also strips the separators \x1c–\x1f, matched on purpose.
// eslint-disable-next-line no-control-regex
const pyStrip = (s: string) => s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, "");
/** Python `int(str)` for the cases that matter (ASCII digits, sign, underscores between digits). */
function pyInt(s: string): number | null {
  const t = pyStrip(s);
  if (!/^[+-]?[0-9]+(?:_[0-9]+)*$/.test(t)) return null;
  return parseInt(t.replace(/_/g, ""), 10);
}

/** `postprocess_caption`: every line stripped, empty lines dropped, joined with one space. */
export function postprocessCaption(caption: string): string {
  return caption
    .split("\n")
    .map(pyStrip)
    .filter((l) => l)
    .join(" ");
}

/**
 * `parse_lm_output`: metadata from the CoT plus the concatenated audio-code string. YAML quotes are NOT
 * removed (upstream behaviour: a quoted `'no'` stays `'no'`).
 */
export function parseLmOutput(text: string): { metadata: ParsedLmMetadata; audioCodes: string } {
  const codes = text.match(/<\|audio_code_\d+\|>/g);
  const audioCodes = codes ? codes.join("") : "";
  let reasoning = "";
  for (const re of [/<think>([\s\S]*?)<\/think>/, /<reasoning>([\s\S]*?)<\/reasoning>/]) {
    const m = re.exec(text);
    if (m) {
      reasoning = pyStrip(m[1]);
      break;
    }
  }
  if (!reasoning) reasoning = pyStrip(text.includes("<|audio_code_") ? text.split("<|audio_code_")[0] : text);

  const metadata: ParsedLmMetadata = {};
  let key: string | null = null;
  let lines: string[] = [];
  const save = () => {
    if (key && lines.length) {
      const value = lines.join("\n");
      switch (key) {
        case "bpm":
        case "duration": {
          const n = pyInt(value);
          metadata[key] = n ?? pyStrip(value);
          break;
        }
        case "caption":
          metadata.caption = postprocessCaption(value);
          break;
        case "genres":
        case "keyscale":
        case "language":
        case "timesignature":
          metadata[key] = pyStrip(value);
          break;
      }
    }
    key = null;
    lines = [];
  };
  for (const line of reasoning.split("\n")) {
    if (pyStrip(line).startsWith("<")) continue;
    if (line && !/^\s/u.test(line) && line.includes(":")) {
      save();
      const i = line.indexOf(":");
      key = pyStrip(line.slice(0, i)).toLowerCase();
      const first = line.slice(i + 1);
      if (pyStrip(first)) lines.push(first);
    } else if (line.startsWith(" ") || line.startsWith("\t")) {
      if (key) lines.push(line);
    }
  }
  save();
  return { metadata, audioCodes };
}

/**
 * `_extract_lyrics_from_output` (understand / create_sample / format_sample): text after the first
 * `</think>`, trimmed, a leading `# Lyric`/`# Lyrics` header line removed, a trailing `<|im_end|>` removed.
 * Returns "" when there is no `</think>`.
 */
export function extractLyrics(text: string): string {
  const i = text.indexOf("</think>");
  if (i < 0) return "";
  let s = pyStrip(text.slice(i + "</think>".length));
  s = s.replace(/^#\s*Lyri[c|cs]?\s*\n/i, "");
  if (s.endsWith("<|im_end|>")) s = s.slice(0, -"<|im_end|>".length);
  return pyStrip(s);
}
