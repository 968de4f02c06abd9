// Ports: the use_cot_* decisions of acestep/inference.py `generate_music` (L298) and llm_inference.py `has_all_metas`
// (L995) / `generate_with_stop_condition` (phase-1 flags, phase-2 target), plus `_update_metadata_from_lm` (the cot_*
// record) — as pure functions. Fix applied on purpose: the CoT `language` is mapped to the DiT `vocal_language`
// (upstream reads the never-produced key `vocal_language`, so the CoT language is dropped there).
import type { ParsedLmMetadata } from "./prompts";
import type { UserValues } from "./constrained/fsm";

export interface LmGenerationParams {
  caption: string;
  lyrics: string;
  bpm?: number | null;
  keyscale?: string;
  timesignature?: string;
  duration?: number | null;
  vocalLanguage?: string;
  /** Generate audio codes with the LM (phase 2). */
  thinking: boolean;
  useCotMetas: boolean;
  useCotCaption: boolean;
  useCotLanguage: boolean;
  /** Declared "TODO: not used yet" upstream; lyric writing goes through create_sample. Ignored here. */
  useCotLyrics?: boolean;
  /** User-supplied code string (skips phase 2). */
  audioCodes?: string;
  taskType?: string;
}

/** The four metas injected into phase 1 (values as upstream passes them: ints / stripped strings). */
export type UserMetadata = Partial<{ bpm: number; keyscale: string; timesignature: string; duration: number }>;

/** `user_metadata`: bpm int > 0; keyscale / timesignature non-empty and not "n/a"; duration int(d) > 0. */
export function buildUserMetadata(
  p: Pick<LmGenerationParams, "bpm" | "keyscale" | "timesignature" | "duration">,
): UserMetadata {
  const m: UserMetadata = {};
  if (p.bpm != null && Number(p.bpm) > 0) m.bpm = Math.trunc(Number(p.bpm));
  const str = (s?: string) => {
    const t = (s ?? "").trim();
    return t && t.toLowerCase() !== "n/a" ? t : undefined;
  };
  const k = str(p.keyscale);
  if (k) m.keyscale = k;
  const ts = str(p.timesignature);
  if (ts) m.timesignature = ts;
  if (p.duration != null && Number(p.duration) > 0) m.duration = Math.trunc(Number(p.duration));
  return m;
}

/** `has_all_metas`: bpm, keyscale, timesignature and duration all given. */
export function hasAllMetas(m: UserMetadata): boolean {
  return m.bpm !== undefined && m.keyscale !== undefined && m.timesignature !== undefined && m.duration !== undefined;
}

export interface LmPlan {
  /** Whether the LM runs at all. */
  useLm: boolean;
  /** "llm_dit": CoT + codes; "dit": CoT only (or nothing); "none": LM unused. */
  inferType: "llm_dit" | "dit" | "none";
  /** Phase 1 (metadata CoT) runs. */
  runCot: boolean;
  /** Phase-1 FSM options. */
  cot: { skipCaption: boolean; skipLanguage: boolean; skipGenres: true; userValues: UserValues };
  /** Metadata used as-is when phase 1 does not run (the user metadata). */
  userMetadata: UserMetadata;
  /** Phase 2 (codes) runs. */
  runCodes: boolean;
}

const SKIP_LM_TASKS = new Set(["cover", "repaint"]);

/** What the LM does for a generate request (inference.generate_music + generate_with_stop_condition). */
export function planLm(p: LmGenerationParams, lmLoaded = true): LmPlan {
  const userMetadata = buildUserMetadata(p);
  const needCot = p.useCotCaption || p.useCotLanguage || p.useCotMetas;
  const useLm = (p.thinking || needCot) && lmLoaded && !SKIP_LM_TASKS.has(p.taskType ?? "text2music");
  const userCodes = !!p.audioCodes && p.audioCodes.trim() !== "";
  const inferType = !useLm ? "none" : p.thinking && !userCodes ? "llm_dit" : "dit";
  const userValues: UserValues = {};
  for (const [k, v] of Object.entries(userMetadata)) (userValues as Record<string, string | number>)[k] = v;
  return {
    useLm,
    inferType,
    runCot: useLm && p.useCotMetas && !hasAllMetas(userMetadata),
    cot: { skipCaption: !p.useCotCaption, skipLanguage: !p.useCotLanguage, skipGenres: true, userValues },
    userMetadata,
    runCodes: inferType === "llm_dit",
  };
}

/**
 * Metadata for the phase-2 CoT: the phase-1 output (user values were injected into it) or, without
 * phase 1, the user metadata. Keys other than the six CoT keys are dropped by `formatMetadataYaml`.
 */
export function cotMetadataForCodes(plan: LmPlan, phase1?: ParsedLmMetadata): Record<string, string | number> {
  const base: Record<string, string | number> = { ...plan.userMetadata };
  if (plan.runCot && phase1) {
    for (const [k, v] of Object.entries(phase1)) if (v !== undefined && v !== "") base[k] = v as string | number;
    for (const [k, v] of Object.entries(plan.userMetadata)) base[k] = v; // user values win
  }
  return base;
}

/**
 * Phase-2 code target in seconds: the user's duration (f30aee4), else — later upstream ("Using CoT-generated
 * duration … as Phase 2 target_duration") — the CoT duration; undefined → no length constraint.
 */
export function codesTargetDuration(
  userDuration: number | null | undefined,
  cotDuration: unknown,
  useCotDuration = true,
): number | undefined {
  if (userDuration != null && userDuration > 0) return userDuration;
  if (!useCotDuration) return undefined;
  const d = typeof cotDuration === "number" ? cotDuration : Number.parseInt(String(cotDuration ?? ""), 10);
  return Number.isFinite(d) && d > 0 ? d : undefined;
}

/** Strip one pair of YAML single/double quotes (the CoT may hold `language: 'no'`). */
export function unquoteYaml(v: string): string {
  if (v.length >= 2 && v[0] === "'" && v[v.length - 1] === "'") return v.slice(1, -1).replace(/''/g, "'");
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') return v.slice(1, -1);
  return v;
}

export interface DitTextInputs {
  caption: string;
  lyrics: string;
  bpm?: number;
  keyscale: string;
  timesignature: string;
  duration?: number;
  vocalLanguage: string;
}

export interface CotFields {
  cot_bpm?: number;
  cot_keyscale: string;
  cot_timesignature: string;
  cot_duration?: number;
  cot_vocal_language: string;
  cot_caption: string;
  cot_lyrics: string;
}

/**
 * How LM outputs reach the DiT text/lyric prompts and the cot_* record (`_update_metadata_from_lm` +
 * the use_cot_caption / use_cot_language overrides in generate_music):
 * - bpm / keyscale / timesignature / duration: user value, else the LM value (never "N/A");
 * - caption: the LM caption when use_cot_caption (and one exists), else the user caption;
 * - vocal language: the LM `language` (unquoted; mapped to vocal_language — upstream bug fixed) when
 *   use_cot_language and present, else the user's (default "unknown");
 * - lyrics: the user's; the LM's only if the user's were empty;
 * - cot_*: the merged values for fields the user left empty (defaults as GenerationParams).
 */
export function mergeLmOutputs(
  p: LmGenerationParams,
  lm: (ParsedLmMetadata & { lyrics?: string }) | null | undefined,
): {
  dit: DitTextInputs;
  cot: CotFields;
} {
  const toInt = (v: unknown) => {
    const n = typeof v === "number" ? v : Number.parseInt(String(v ?? ""), 10);
    return Number.isFinite(n) ? n : undefined;
  };
  const good = (v: unknown) => v !== undefined && v !== null && v !== "" && v !== "N/A";
  let bpm = p.bpm != null && p.bpm > 0 ? p.bpm : undefined;
  let keyscale = p.keyscale ?? "";
  let timesignature = p.timesignature ?? "";
  let duration = p.duration != null && p.duration > 0 ? p.duration : undefined;
  let vocalLanguage = p.vocalLanguage ?? "";
  let caption = p.caption;
  let lyrics = p.lyrics;
  const lmLanguage = lm?.language ? unquoteYaml(lm.language) : "";
  if (lm) {
    if (bpm === undefined && good(lm.bpm)) bpm = toInt(lm.bpm);
    if (!keyscale && good(lm.keyscale)) keyscale = lm.keyscale!;
    if (!timesignature && good(lm.timesignature)) timesignature = lm.timesignature!;
    if (duration === undefined && good(lm.duration)) duration = toInt(lm.duration);
    if (!vocalLanguage && lmLanguage) vocalLanguage = lmLanguage;
    if (!caption && lm.caption) caption = lm.caption;
    if (!lyrics && lm.lyrics) lyrics = lm.lyrics;
  }
  const cot: CotFields = {
    cot_bpm: !p.bpm ? bpm : undefined,
    cot_keyscale: !p.keyscale ? keyscale : "",
    cot_timesignature: !p.timesignature ? timesignature : "",
    cot_duration: !p.duration ? duration : undefined,
    cot_vocal_language: !p.vocalLanguage ? vocalLanguage || "unknown" : "unknown",
    cot_caption: !p.caption ? caption : "",
    cot_lyrics: !p.lyrics ? lyrics : "",
  };
  const dit: DitTextInputs = {
    caption: p.useCotCaption && lm?.caption ? lm.caption : p.caption,
    lyrics: p.lyrics || lyrics,
    bpm,
    keyscale,
    timesignature,
    duration,
    vocalLanguage: p.useCotLanguage && lmLanguage ? lmLanguage : p.vocalLanguage || "unknown",
  };
  return { dit, cot };
}

/**
 * Phase-1 CFG scale. f30aee4 applied `lm_cfg_scale` to the CoT pass too; later upstream forces 1.0
 * ("CFG on text causes premature newlines and truncated captions"). Default: later upstream.
 */
export function cotCfgScale(lmCfgScale: number, behaviour: "later" | "f30aee4" = "later"): number {
  return behaviour === "f30aee4" ? lmCfgScale : 1;
}

/**
 * max_new_tokens per pass, phase-aware as in upstream PR #493 (2026-02-12): codes `target + 10`, CoT
 * `target + 500`, no target → 600·5 + 500 = 3500; optionally capped at `maxModelLen − 64` (f30aee4 cap).
 */
export function maxNewTokensFor(phase: "cot" | "codes", targetCodes?: number, maxModelLen?: number): number {
  const n = targetCodes === undefined ? 3500 : targetCodes + (phase === "codes" ? 10 : 500);
  return maxModelLen ? Math.min(n, maxModelLen - 64) : n;
}

/** FSM options of understand_music (codes → CoT incl. caption, genres, language; then free lyrics). */
export function understandFsmOptions() {
  return {
    mode: "understand" as const,
    skipCaption: false,
    skipLanguage: false,
    skipGenres: false,
    userValues: {} as UserValues,
  };
}

/** FSM options of create_sample: a given vocal language (≠ "unknown") is injected as `language`. */
export function createSampleFsmOptions(vocalLanguage?: string) {
  const lang = vocalLanguage?.trim();
  return { ...understandFsmOptions(), userValues: lang && lang.toLowerCase() !== "unknown" ? { language: lang } : {} };
}

/**
 * FSM options of format_sample: user bpm / duration (ints > 0), keyscale, timesignature and language are
 * injected; a given language also skips the language line (upstream skip_language=True).
 */
export function formatSampleFsmOptions(u: {
  bpm?: number | null;
  duration?: number | null;
  keyscale?: string;
  timesignature?: string;
  language?: string;
}) {
  const userValues: UserValues = {};
  if (u.bpm != null && u.bpm > 0) userValues.bpm = Math.trunc(u.bpm);
  if (u.duration != null && u.duration > 0) userValues.duration = Math.trunc(u.duration);
  if (u.keyscale?.trim()) userValues.keyscale = u.keyscale.trim();
  if (u.timesignature?.trim()) userValues.timesignature = u.timesignature.trim();
  const lang = u.language?.trim();
  if (lang) userValues.language = lang;
  return { ...understandFsmOptions(), skipLanguage: !!lang, userValues };
}
