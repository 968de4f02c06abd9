// The official inference API's parameter and result objects (acestep/inference.py GenerationParams, GenerationConfig,
// GenerationResult, UnderstandResult, CreateSampleResult, FormatSampleResult), field by field with the upstream
// defaults and ranges (ace-step/ACE-Step-1.5 docs/ja/INFERENCE.md and the dataclasses of acestep/inference.py;
// docs/api-parity.md). TypeScript fields are camelCase; JSON input may use the upstream snake_case keys.
import { z } from "zod";
import { TASK_TYPES, DEFAULT_DIT_INSTRUCTION } from "../acestep/tasks/instructions";
import { REPAINT_MODES } from "../acestep/tasks/repaint";
import { INFER_METHODS, SAMPLER_MODES } from "../acestep/sampling/solvers";
import { VALID_LANGUAGES } from "../acestep/languages";
import { KEYSCALES } from "../lm/constrained/constants";
import { MAX_SEED } from "../../nodes/params";
import { pyFloat, type PyJson } from "../audio/result-key";

/** A value for an error message, cut to 80 characters (a megabyte string must not come back whole). */
function shortValue(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
}

// ---------------------------------------------------------------- value helpers

const KEYSCALE_SET = new Set(KEYSCALES);

/**
 * Upstream keyscale strings are free text ("C Major", "Am", "F# minor"); the DiT prompt and the LM FSM use
 * "<note><accidental> major|minor". Returns the normalised form, "" for empty, or null when unrecognisable.
 */
export function normalizeKeyscale(raw: string): string | null {
  const s = raw.trim();
  if (s === "") return "";
  if (KEYSCALE_SET.has(s)) return s;
  const m =
    /^([A-Ga-g])([#♯b♭]?)\s*(major|minor|maj|min|m|M)?$/i.exec(s) ??
    /^([A-Ga-g])([#♯b♭]?)\s+(major|minor|maj|min)$/i.exec(s);
  if (!m) return null;
  const note = m[1].toUpperCase();
  const acc = m[2];
  let mode = "major";
  if (m[3] !== undefined) {
    const q = m[3];
    if (q === "m" || /^min/i.test(q)) mode = "minor";
  }
  const out = `${note}${acc} ${mode}`;
  return KEYSCALE_SET.has(out) ? out : null;
}

const TIMESIGNATURE_ALIASES: Record<string, string> = {
  "2": "2",
  "3": "3",
  "4": "4",
  "6": "6",
  "2/4": "2",
  "3/4": "3",
  "4/4": "4",
  "6/8": "6",
};

/** "4" or "4/4" → "4"; "" → ""; null when not one of 2, 3, 4, 6 (2/4, 3/4, 4/4, 6/8). */
export function normalizeTimesignature(raw: string): string | null {
  const s = raw.trim();
  if (s === "") return "";
  return TIMESIGNATURE_ALIASES[s] ?? null;
}

/** Upstream treats lyrics "[inst]" / "[instrumental]" (any case) as instrumental (REST server). */
export function lyricsMeanInstrumental(lyrics: string): boolean {
  return /^\[(inst|instrumental)\]$/i.test(lyrics.trim());
}

// ---------------------------------------------------------------- GenerationParams

const fraction = (name: string) => z.number().min(0, `${name} must be 0.0–1.0`).max(1, `${name} must be 0.0–1.0`);

/** The camelCase object schema (defaults as upstream GenerationParams). */
export const zGenerationParamsObject = z
  .object({
    // task and instruction
    taskType: z
      .enum(TASK_TYPES)
      .default("text2music")
      .describe("text2music, cover, repaint, lego, extract or complete"),
    instruction: z
      .string()
      .max(1000)
      .default(DEFAULT_DIT_INSTRUCTION)
      .describe("Task instruction; the default is replaced by the task's own instruction"),
    // audio uploads (paths inside the data folder)
    referenceAudio: z.string().max(1000).nullable().default(null).describe("Reference audio for timbre/style"),
    srcAudio: z
      .string()
      .max(1000)
      .nullable()
      .default(null)
      .describe("Source audio for cover, repaint, lego, extract, complete"),
    // LM code hints
    audioCodes: z.string().max(200_000).default("").describe("Pre-extracted <|audio_code_N|> string"),
    // text
    caption: z.string().max(512, "caption must be under 512 characters").default(""),
    lyrics: z.string().max(4096, "lyrics must be under 4096 characters").default(""),
    instrumental: z.boolean().default(false),
    // metadata
    vocalLanguage: z
      .enum(VALID_LANGUAGES, {
        error: (i) =>
          `vocal_language must be one of the ${VALID_LANGUAGES.length} official codes (e.g. en, zh, ja, unknown), got ${shortValue(i.input)}`,
      })
      .default("unknown"),
    bpm: z
      .number()
      .int("bpm must be a whole number")
      .min(30, "bpm must be 30–300")
      .max(300, "bpm must be 30–300")
      .nullable()
      .default(null),
    keyscale: z.string().max(32).default(""),
    timesignature: z.string().max(8).default(""),
    duration: z
      .number()
      .max(600, "duration must be at most 600 seconds")
      .nullable()
      .default(-1)
      .describe("Seconds (10–600); ≤ 0 or null = automatic"),
    // advanced DiT
    inferenceSteps: z
      .number()
      .int()
      .min(1, "inference_steps must be 1–200 (turbo 1–20)")
      .max(200, "inference_steps must be 1–200 (turbo 1–20)")
      .default(8),
    seed: z
      .number()
      .int()
      .min(-1, "seed must be -1 (random) or 0–4294967295")
      .max(MAX_SEED, "seed must be -1 (random) or 0–4294967295")
      .default(-1),
    guidanceScale: z
      .number()
      .min(1, "guidance_scale must be 1.0–15.0")
      .max(15, "guidance_scale must be 1.0–15.0")
      .default(7.0),
    useAdg: z.boolean().default(false),
    cfgIntervalStart: fraction("cfg_interval_start").default(0.0),
    cfgIntervalEnd: fraction("cfg_interval_end").default(1.0),
    shift: z.number().min(1, "shift must be 1.0–5.0").max(5, "shift must be 1.0–5.0").default(1.0),
    inferMethod: z.enum(INFER_METHODS).default("ode"),
    // newer upstream GenerationParams field: Heun is an ODE option (with infer_method sde the SDE runs)
    samplerMode: z
      .enum(SAMPLER_MODES, {
        error: (i) => `sampler_mode must be "euler" or "heun", got ${shortValue(i.input)}`,
      })
      .default("euler"),
    timesteps: z.array(fraction("each timestep")).min(1).max(200).nullable().default(null),
    repaintingStart: z
      .number()
      .min(-600, "repainting_start must be at least -600 seconds")
      .max(600, "repainting_start must be at most 600 seconds")
      .default(0.0)
      .describe("Seconds; negative = out-paint before the song (the source is padded on the left, as upstream)"),
    repaintingEnd: z.number().nullable().default(-1).describe("Seconds; -1 or null = end of the audio"),
    audioCoverStrength: fraction("audio_cover_strength").default(1.0),
    // newer upstream GenerationParams field: 0 = from pure noise, 1 = closest to the source
    coverNoiseStrength: fraction("cover_noise_strength")
      .default(0.0)
      .describe("Start from the source latents re-noised to t ≈ 1 − strength (0 = from noise)"),
    // newer upstream (generate_music @ 01aeee3), not in the seed document: how much of the source a repaint keeps
    repaintMode: z
      .enum(REPAINT_MODES, {
        error: (i) => `repaint_mode must be "balanced", "conservative" or "aggressive", got ${shortValue(i.input)}`,
      })
      .default("balanced")
      .describe(
        "balanced/conservative keep the source outside the window (injection + crossfade + waveform splice); aggressive regenerates all",
      ),
    repaintStrength: fraction("repaint_strength")
      .default(0.5)
      .describe("balanced only: 0 keeps the most of the source, 1 the least"),
    // 5 Hz LM
    thinking: z.boolean().default(true),
    lmTemperature: z
      .number()
      .min(0, "lm_temperature must be 0.0–2.0")
      .max(2, "lm_temperature must be 0.0–2.0")
      .default(0.85),
    lmCfgScale: z.number().min(0, "lm_cfg_scale must be 0–100").max(100, "lm_cfg_scale must be 0–100").default(2.0),
    lmTopK: z.number().int().min(0, "lm_top_k must be ≥ 0 (0 disables)").nullable().default(0),
    lmTopP: z.number().min(0, "lm_top_p must be 0.0–1.0").max(1, "lm_top_p must be 0.0–1.0").nullable().default(0.9),
    lmNegativePrompt: z.string().max(2000).default("NO USER INPUT"),
    useCotMetas: z.boolean().default(true),
    useCotCaption: z.boolean().default(true),
    useCotLyrics: z.boolean().default(false),
    useCotLanguage: z.boolean().default(true),
    useConstrainedDecoding: z.boolean().default(true),
    // CoT values (filled by the LM; recorded in the result)
    cotBpm: z.number().int().nullable().default(null),
    cotKeyscale: z.string().default(""),
    cotTimesignature: z.string().default(""),
    cotDuration: z.number().nullable().default(null),
    cotVocalLanguage: z.string().default("unknown"),
    cotCaption: z.string().default(""),
    cotLyrics: z.string().default(""),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (normalizeKeyscale(p.keyscale) === null)
      ctx.addIssue({
        code: "custom",
        path: ["keyscale"],
        message: `keyscale ${shortValue(p.keyscale)} is not a key: use e.g. "C major", "F# minor", "Am" (or "" for automatic)`,
      });
    if (normalizeTimesignature(p.timesignature) === null)
      ctx.addIssue({
        code: "custom",
        path: ["timesignature"],
        message: `timesignature ${shortValue(p.timesignature)} must be 2, 3, 4 or 6 (2/4, 3/4, 4/4, 6/8), or "" for automatic`,
      });
    if (p.duration !== null && p.duration > 0 && p.duration < 10)
      ctx.addIssue({
        code: "custom",
        path: ["duration"],
        message: `duration must be 10–600 seconds (or ≤ 0 for automatic), got ${p.duration}`,
      });
    if (p.cfgIntervalStart > p.cfgIntervalEnd)
      ctx.addIssue({
        code: "custom",
        path: ["cfgIntervalEnd"],
        message: `cfg_interval_end (${p.cfgIntervalEnd}) must not be below cfg_interval_start (${p.cfgIntervalStart})`,
      });
    if (p.repaintingEnd !== null && p.repaintingEnd !== -1) {
      if (p.repaintingEnd < 0)
        ctx.addIssue({
          code: "custom",
          path: ["repaintingEnd"],
          message: `repainting_end must be -1 (end of audio) or a time in seconds, got ${p.repaintingEnd}`,
        });
      else if (p.repaintingEnd <= p.repaintingStart)
        ctx.addIssue({
          code: "custom",
          path: ["repaintingEnd"],
          message: `repainting_end (${p.repaintingEnd} s) must be after repainting_start (${p.repaintingStart} s)`,
        });
    }
    if (p.timesteps)
      for (let i = 1; i < p.timesteps.length; i++)
        if (p.timesteps[i] > p.timesteps[i - 1]) {
          ctx.addIssue({
            code: "custom",
            path: ["timesteps"],
            message: "timesteps must run from 1.0 down to 0.0 (non-increasing)",
          });
          break;
        }
  });

// ---------------------------------------------------------------- GenerationConfig

export const AUDIO_FORMATS = ["flac", "mp3", "wav"] as const;

/** At most one seed per batch item (batch_size is at most 8). */
const MAX_SEEDS = 8;
const SEED_RANGE = "seeds must be -1 or 0–4294967295";

function seedsError(issue: { input?: unknown }): string {
  const v = issue.input;
  if (Array.isArray(v) && v.length > MAX_SEEDS)
    return `seeds has ${v.length} entries; the limit is ${MAX_SEEDS} (one per batch item)`;
  return `seeds must be one seed or a list of at most ${MAX_SEEDS}, each -1 (random) or a whole number 0–${MAX_SEED}`;
}

export const zGenerationConfigObject = z
  .object({
    batchSize: z.number().int().min(1, "batch_size must be 1–8").max(8, "batch_size must be 1–8").default(2),
    allowLmBatch: z.boolean().default(false),
    useRandomSeed: z.boolean().default(true),
    seeds: z
      .union(
        [
          z.number().int().min(-1).max(MAX_SEED),
          z.array(z.number().int().min(-1, SEED_RANGE).max(MAX_SEED, SEED_RANGE)).max(MAX_SEEDS),
        ],
        { error: seedsError },
      )
      .nullable()
      .default(null),
    lmBatchChunkSize: z.number().int().min(1, "lm_batch_chunk_size must be ≥ 1").max(64).default(8),
    constrainedDecodingDebug: z.boolean().default(false),
    audioFormat: z
      .enum(AUDIO_FORMATS, { error: (i) => `audio_format must be "flac", "mp3" or "wav", got ${shortValue(i.input)}` })
      .default("flac"),
  })
  .strict();

// ---------------------------------------------------------------- snake_case ↔ camelCase

export const snakeToCamel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const camelToSnake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** Keys longer than any field name are refused without a suggestion; at most this many key issues are listed. */
const MAX_KEY_LENGTH = 64;
const MAX_KEY_ISSUES = 20;

/**
 * Maps upstream snake_case keys (and camelCase ones) onto the camelCase fields; names every unknown key
 * (with a suggestion) and every field given twice with different values.
 */
export function normalizeKeys(
  kind: string,
  known: readonly string[],
  input: unknown,
): { value: unknown; issues: ParamIssue[] } {
  if (input === undefined || input === null) return { value: {}, issues: [] };
  if (typeof input !== "object" || Array.isArray(input)) return { value: input, issues: [] };
  const fields = new Set(known);
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  const issues: ParamIssue[] = [];
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (key.length > MAX_KEY_LENGTH) {
      // No suggestion (edit distance is quadratic) and no echo of the whole key.
      if (issues.length < MAX_KEY_ISSUES)
        issues.push({
          field: `${key.slice(0, 40)}…`,
          message: `unknown ${kind} field "${key.slice(0, 40)}…" (${key.length} characters)`,
        });
      continue;
    }
    const camel = fields.has(key) ? key : snakeToCamel(key);
    if (!fields.has(camel)) {
      if (issues.length >= MAX_KEY_ISSUES) continue;
      const lower = camel.toLowerCase();
      const near = [...fields]
        .map((f) => [f, editDistance(f.toLowerCase(), lower)] as const)
        .sort((a, b) => a[1] - b[1])[0];
      const hint = near && near[1] <= 2 ? ` (did you mean "${camelToSnake(near[0])}"?)` : "";
      issues.push({ field: key, message: `unknown ${kind} field "${key}"${hint}` });
      continue;
    }
    if (camel in out) {
      if (JSON.stringify(out[camel]) !== JSON.stringify(value))
        issues.push({
          field: key,
          message: `${kind} field "${camelToSnake(camel)}" is given twice ("${from[camel]}" and "${key}") with different values`,
        });
      continue;
    }
    out[camel] = value;
    from[camel] = key;
  }
  return { value: out, issues };
}

function keysPreprocess(kind: string, known: readonly string[]) {
  return (input: unknown, ctx: z.RefinementCtx) => {
    const r = normalizeKeys(kind, known, input);
    for (const i of r.issues) ctx.addIssue({ code: "custom", path: [i.field], message: i.message });
    return r.value;
  };
}

/** GenerationParams: camelCase or upstream snake_case keys; unknown keys are refused by name. */
export const GenerationParams = z.preprocess(
  keysPreprocess("GenerationParams", Object.keys(zGenerationParamsObject.shape)),
  zGenerationParamsObject,
);
export type GenerationParams = z.output<typeof zGenerationParamsObject>;
/** What callers pass: any subset of the fields (camelCase), the rest take the upstream defaults. */
export type GenerationParamsInput = z.input<typeof zGenerationParamsObject>;

/** GenerationConfig: camelCase or upstream snake_case keys; unknown keys are refused by name. */
export const GenerationConfig = z.preprocess(
  keysPreprocess("GenerationConfig", Object.keys(zGenerationConfigObject.shape)),
  zGenerationConfigObject,
);
export type GenerationConfig = z.output<typeof zGenerationConfigObject>;
export type GenerationConfigInput = z.input<typeof zGenerationConfigObject>;

/** A parameter problem: the field (upstream snake_case name) and a readable message. */
export interface ParamIssue {
  field: string;
  message: string;
}

export class ParamsError extends Error {
  constructor(readonly issues: ParamIssue[]) {
    super(issues.map((i) => (i.message.includes(i.field) ? i.message : `${i.field}: ${i.message}`)).join("; "));
    this.name = "ParamsError";
  }
}

function issuesOf(kind: string, error: z.ZodError): ParamIssue[] {
  return error.issues.map((i) => {
    const field = i.path.length
      ? i.path.map((p) => (typeof p === "string" ? camelToSnake(p) : String(p))).join(".")
      : kind;
    let message = i.message;
    if (i.code === "invalid_type" && i.expected === "int") message = `${field} must be a whole number`;
    else if (i.code === "invalid_type")
      message = `${field} must be ${i.expected === "nonoptional" ? "given" : `a${/^[aeiou]/.test(i.expected) ? "n" : ""} ${i.expected}`}${"input" in i ? `, got ${shortValue(i.input)}` : ""}`;
    else if (i.code === "invalid_value" && !i.message.includes(field))
      message = `${field}: ${i.message.replace(/^Invalid input: /, "")}`;
    return { field, message };
  });
}

function parseWith<T>(kind: string, schema: z.ZodType, known: readonly string[], input: unknown): ParseResult<T> {
  const k = normalizeKeys(kind === "params" ? "GenerationParams" : "GenerationConfig", known, input);
  const r = schema.safeParse(k.value);
  const issues = [...k.issues, ...(r.success ? [] : issuesOf(kind, r.error))];
  return issues.length ? { ok: false, issues } : { ok: true, value: r.data as T };
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: ParamIssue[] };

export function safeParseGenerationParams(input: unknown): ParseResult<GenerationParams> {
  return parseWith<GenerationParams>(
    "params",
    zGenerationParamsObject,
    Object.keys(zGenerationParamsObject.shape),
    input,
  );
}

export function safeParseGenerationConfig(input: unknown): ParseResult<GenerationConfig> {
  return parseWith<GenerationConfig>(
    "config",
    zGenerationConfigObject,
    Object.keys(zGenerationConfigObject.shape),
    input,
  );
}

/** Parses GenerationParams (snake_case or camelCase); throws ParamsError naming each bad field. */
export function parseGenerationParams(input: unknown): GenerationParams {
  const r = safeParseGenerationParams(input);
  if (!r.ok) throw new ParamsError(r.issues);
  return r.value;
}

export function parseGenerationConfig(input: unknown): GenerationConfig {
  const r = safeParseGenerationConfig(input);
  if (!r.ok) throw new ParamsError(r.issues);
  return r.value;
}

/**
 * Float-annotated GenerationParams fields and the Python type of their dataclass default literal
 * (`repainting_end: float = -1` is an int object). json.dumps writes 1.0 for a float and 1 for an int.
 */
export const PY_FLOAT_FIELDS: Record<string, "float" | "int" | "none"> = {
  duration: "float",
  guidance_scale: "float",
  cfg_interval_start: "float",
  cfg_interval_end: "float",
  shift: "float",
  repainting_start: "float",
  repainting_end: "int",
  audio_cover_strength: "float",
  lm_temperature: "float",
  lm_cfg_scale: "float",
  lm_top_p: "float",
  cot_duration: "none",
  timesteps: "none",
};

/** Fields newer than the seed document's GenerationParams: left out of the hashed dict so keys stay as upstream's. */
export const NOT_IN_SEED_DICT = ["repaint_mode", "repaint_strength", "sampler_mode", "cover_noise_strength"] as const;

/**
 * The dict upstream hashes for the key, with Python's int/float distinction decided per field:
 * - "python" (library callers, like a Python script): a value equal to the dataclass default keeps the default's
 *   literal type; any other whole number is written as an int (as `duration=30` is), fractions as floats;
 * - "rest" (the REST server coerces with `_to_float`): float-annotated fields are always floats.
 */
export function keyDict(p: GenerationParams, mode: "python" | "rest" = "python"): PyJson {
  const dict = toUpstreamDict(p) as Record<string, PyJson>;
  for (const f of NOT_IN_SEED_DICT) delete dict[f];
  const defaults = toUpstreamDict(zGenerationParamsObject.parse({}) as GenerationParams);
  for (const [field, kind] of Object.entries(PY_FLOAT_FIELDS)) {
    const v = dict[field];
    const asFloat = (x: number) => (mode === "rest" || !Number.isInteger(x) ? pyFloat(x) : x);
    if (typeof v === "number") {
      if (mode === "python" && v === defaults[field]) dict[field] = kind === "float" ? pyFloat(v) : v;
      else dict[field] = asFloat(v);
    } else if (Array.isArray(v)) dict[field] = v.map((x) => (typeof x === "number" ? asFloat(x) : x));
  }
  return dict;
}

/** `GenerationParams.to_dict()`: the snake_case dict upstream records and hashes. */
export function toUpstreamDict(p: GenerationParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[camelToSnake(k)] = v;
  return out;
}

/** Snake-cases the keys of a config (for JSON consumers that expect upstream names). */
export function configToUpstreamDict(c: GenerationConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) out[camelToSnake(k)] = v;
  return out;
}

// ---------------------------------------------------------------- results

/**
 * The upstream `time_costs` keys (acestep/inference.py `generate_music`, `time_costs`); seconds. LM keys only when the
 * LM ran.
 */
export interface TimeCosts {
  lm_phase1_time?: number;
  lm_phase2_time?: number;
  lm_total_time?: number;
  dit_encoder_time_cost?: number;
  dit_diffusion_time_cost?: number;
  dit_diffusion_per_step_time_cost?: number;
  dit_total_time_cost?: number;
  dit_offload_time_cost?: number;
  dit_vae_decode_time_cost?: number;
  pipeline_total_time?: number;
}

export const TIME_COST_KEYS = [
  "lm_phase1_time",
  "lm_phase2_time",
  "lm_total_time",
  "dit_encoder_time_cost",
  "dit_diffusion_time_cost",
  "dit_diffusion_per_step_time_cost",
  "dit_total_time_cost",
  "dit_offload_time_cost",
  "dit_vae_decode_time_cost",
  "pipeline_total_time",
] as const satisfies readonly (keyof TimeCosts)[];

/** LM CoT output (upstream `lm_metadata`): bpm, caption, duration, genres, keyscale, language, timesignature. */
export type LmMetadata = Record<string, string | number>;

/** One generated audio (upstream audio dict; `samples` is the tensor, planar float32 per channel). */
export interface GeneratedAudio {
  /**
   * File path relative to the data folder (served at /api/files/<path> and /v1/audio?path=<path>); with the
   * library's `saveDir` option, the file `{saveDir}/{key}.{format}` as upstream. "" when nothing was saved.
   */
  path: string;
  /** Absolute path on this machine. */
  absolutePath: string;
  /** The deterministic key: a UUID from the item's upstream params dict (generate_uuid_from_params). */
  key: string;
  sampleRate: number;
  /** This item's params (its seed and its audio codes filled in). */
  params: GenerationParams;
  /** Planar float32 samples [channels][samples] (upstream `tensor`). Absent when the engine did not keep them. */
  samples?: Float32Array[];
  /** The silence flag of the official level handling. */
  silent: boolean;
}

export interface GenerationExtraOutputs {
  timeCosts: TimeCosts;
  lmMetadata: LmMetadata | null;
  /** "s1, s2, …" as upstream. */
  seedValue: string;
  /** The engine run that produced the result. */
  runId: string | null;
  /** The graph that ran (save it to open the job in the editor). */
  graph: unknown;
  /** Non-fatal notes (task fallbacks, ignored inputs). */
  warnings: string[];
}

export interface GenerationResult {
  audios: GeneratedAudio[];
  statusMessage: string;
  extraOutputs: GenerationExtraOutputs;
  success: boolean;
  error: string | null;
}

interface LmTextResult {
  caption: string;
  lyrics: string;
  bpm: number | null;
  duration: number | null;
  keyscale: string;
  language: string;
  timesignature: string;
  statusMessage: string;
  success: boolean;
  error: string | null;
}

export type UnderstandResult = LmTextResult;
export type FormatSampleResult = LmTextResult;
export interface CreateSampleResult extends LmTextResult {
  instrumental: boolean;
}

export function emptyLmTextResult(): LmTextResult {
  return {
    caption: "",
    lyrics: "",
    bpm: null,
    duration: null,
    keyscale: "",
    language: "",
    timesignature: "",
    statusMessage: "",
    success: true,
    error: null,
  };
}
