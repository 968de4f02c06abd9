// Shared pieces of the LM nodes: the service for a LM handle, sampling params, progress, SONG building.
import type { NodeContext, FieldIssue } from "../define-node";
import { param } from "../params";
import type { ModelHandle, SongValue } from "../values";
import { modelsOf } from "../models/loaders";
import { LANGUAGE_OPTIONS } from "../ace/song-params";
import { LmService, type LmProgress, type LmRunOptions } from "../../server/pipeline/lm";
import { DURATION_MAX, DURATION_MIN, CAPTION_MAX_TOKENS } from "../../server/lm/constrained/constants";

export async function lmServiceFor(lm: ModelHandle, ctx: NodeContext): Promise<LmService> {
  const mm = modelsOf(ctx.services);
  const entry = await mm.find("lm", lm.id);
  ctx.progress({ fraction: 0, message: "loading the LM" });
  return LmService.open(mm, entry);
}

const PHASE_TEXT: Record<LmProgress["phase"], string> = {
  cot: "LM: writing the metadata",
  codes: "LM: audio codes",
  understand: "LM: understanding the codes",
  create: "LM: writing a sample",
  format: "LM: formatting the sample",
};

/** Per-token progress → ctx.progress (the service throttles it). */
export const lmProgress = (ctx: NodeContext) => (p: LmProgress) =>
  ctx.progress({
    step: p.step,
    total: p.total,
    message: `${PHASE_TEXT[p.phase]} (${p.step}${p.total ? `/${p.total}` : ""} tokens)`,
  });

/** Vocal language with "unknown" first choice (the LM fills it). */
export const lmLanguageParam = (dflt: string, description: string) =>
  param.enum(LANGUAGE_OPTIONS, { default: dflt, description });
/** Language or "" = not set. */
export const optionalLanguageParam = (description: string) =>
  param.enum(["", ...LANGUAGE_OPTIONS] as [string, ...string[]], { default: "", description });

/** Sampling params of the LM nodes (upstream GenerationParams names in camelCase). */
export const samplingParams = (topPDefault: number) => ({
  temperature: param.float({
    default: 0.85,
    min: 0,
    max: 2,
    step: 0.05,
    ui: "slider",
    description: "lm_temperature (0 = greedy)",
  }),
  topK: param.int({ default: 0, min: 0, max: 1000, description: "lm_top_k (0 = off)", advanced: true }),
  topP: param.float({
    default: topPDefault,
    min: 0,
    max: 1,
    step: 0.01,
    description: "lm_top_p (1 = off)",
    advanced: true,
  }),
  repetitionPenalty: param.float({
    default: 1,
    min: 0.1,
    max: 10,
    step: 0.05,
    description: "Repetition penalty (1 = off)",
    advanced: true,
  }),
  useConstrainedDecoding: param.boolean({
    default: true,
    description: "use_constrained_decoding: the metadata FSM (values in their allowed sets; exactly duration·5 codes)",
  }),
  seed: param.seed({ description: "LM sampling seed (-1 = random every run)" }),
});

export const captionMaxTokensParam = () =>
  param.int({
    default: CAPTION_MAX_TOKENS,
    min: 1,
    max: CAPTION_MAX_TOKENS,
    description: "Caption token cap before the line is ended (upstream 512)",
    advanced: true,
  });
export const maxDurationParam = () =>
  param.int({
    default: DURATION_MAX,
    min: DURATION_MIN,
    max: DURATION_MAX,
    description: "Longest duration the LM may plan (the memory tier's max_duration_with_lm; 600 on ≥ 24 GB)",
    advanced: true,
  });
export const genresMaxTokensParam = () =>
  param.int({
    default: 64,
    min: 1,
    max: 512,
    description: "Genres token cap (understand / create / format; upstream has none without its genres vocabulary)",
    advanced: true,
  });
export const maxNewTokensParam = () =>
  param.int({
    default: 3500,
    min: 16,
    max: 8192,
    description: "Cap on the generated tokens (metadata + lyrics)",
    advanced: true,
  });
export const debugParam = () =>
  param.boolean({
    default: false,
    description: "constrained_decoding_debug: log the raw LM output of every pass",
    advanced: true,
  });

export interface SamplingValues {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  useConstrainedDecoding: boolean;
  seed: number;
}

export function runOptions(
  p: SamplingValues & {
    captionMaxTokens?: number;
    genresMaxTokens?: number;
    maxNewTokens?: number;
    maxDuration?: number;
  },
  ctx: NodeContext,
): LmRunOptions {
  return {
    temperature: p.temperature,
    topK: p.topK,
    topP: p.topP,
    repetitionPenalty: p.repetitionPenalty,
    constrained: p.useConstrainedDecoding,
    seed: p.seed,
    captionMaxTokens: p.captionMaxTokens,
    genresMaxTokens: p.genresMaxTokens,
    maxNewTokens: p.maxNewTokens,
    maxDuration: p.maxDuration,
    signal: ctx.signal,
    onProgress: lmProgress(ctx),
  };
}

/** bpm / duration ranges of song-params, with the duration capped at maxDuration. */
export function lmMetaIssues(p: { bpm: number; duration: number; maxDuration?: number }): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const max = p.maxDuration ?? DURATION_MAX;
  if (p.bpm !== 0 && (p.bpm < 30 || p.bpm > 300))
    issues.push({ field: "bpm", message: `bpm must be 30–300 (or 0 for not set), got ${p.bpm}`, received: p.bpm });
  if (p.duration !== -1 && (p.duration < DURATION_MIN || p.duration > max))
    issues.push({
      field: "duration",
      message: `duration must be ${DURATION_MIN}–${max} seconds (or -1 for not set), got ${p.duration}`,
      received: p.duration,
    });
  return issues;
}

const orNull = <T>(v: T | null | undefined | ""): T | null =>
  v === undefined || v === null || v === "" ? null : (v as T);

/** A SONG from LM values ("" / NaN → null). */
export function songOf(v: SongValue): SongValue {
  return {
    caption: v.caption,
    lyrics: v.lyrics,
    bpm: orNull(v.bpm),
    keyscale: orNull(v.keyscale),
    timesignature: orNull(v.timesignature),
    duration: orNull(v.duration),
    language: orNull(v.language),
    instrumental: v.instrumental ?? /^\s*\[instrumental\]\s*$/i.test(v.lyrics),
  };
}
