// REST request fields (acestep/api_server.py, ace-step/ACE-Step-1.5 docs/en/API.md): the upstream names and aliases of
// /release_task mapped onto GenerationParams / GenerationConfig, with the REST defaults and coercions.
import { HttpError } from "../../http/body";
import type { GenerationConfigInput, GenerationParamsInput } from "../params";

/**
 * REST field → GenerationParams / GenerationConfig field, with the upstream aliases (PARAM_ALIASES and the
 * documented camelCase forms) and the REST defaults where they differ from the Python API.
 */
type Coerce = "str" | "int" | "float" | "bool" | "floatList" | "seed";
interface RestField {
  names: string[];
  to: { params: keyof GenerationParamsInput } | { config: keyof GenerationConfigInput } | { request: string };
  type: Coerce;
  /** REST default when it differs from the Python API default. */
  restDefault?: unknown;
}

export const REST_FIELDS: RestField[] = [
  { names: ["prompt", "caption"], to: { params: "caption" }, type: "str" },
  { names: ["lyrics"], to: { params: "lyrics" }, type: "str" },
  { names: ["thinking"], to: { params: "thinking" }, type: "bool", restDefault: false },
  {
    names: ["vocal_language", "vocalLanguage", "language"],
    to: { params: "vocalLanguage" },
    type: "str",
    restDefault: "en",
  },
  { names: ["audio_format", "audioFormat"], to: { config: "audioFormat" }, type: "str", restDefault: "mp3" },
  { names: ["bpm"], to: { params: "bpm" }, type: "int" },
  { names: ["key_scale", "keyscale", "keyScale", "key"], to: { params: "keyscale" }, type: "str" },
  { names: ["time_signature", "timesignature", "timeSignature"], to: { params: "timesignature" }, type: "str" },
  {
    names: ["audio_duration", "duration", "audioDuration", "target_duration", "targetDuration"],
    to: { params: "duration" },
    type: "float",
  },
  {
    names: ["audio_code_string", "audioCodeString", "audio_codes", "audioCodes"],
    to: { params: "audioCodes" },
    type: "str",
  },
  { names: ["inference_steps", "inferenceSteps"], to: { params: "inferenceSteps" }, type: "int" },
  { names: ["guidance_scale", "guidanceScale"], to: { params: "guidanceScale" }, type: "float" },
  { names: ["use_random_seed", "useRandomSeed"], to: { config: "useRandomSeed" }, type: "bool" },
  { names: ["seed"], to: { request: "seed" }, type: "seed" },
  { names: ["batch_size", "batchSize"], to: { config: "batchSize" }, type: "int" },
  { names: ["shift"], to: { params: "shift" }, type: "float", restDefault: 3.0 },
  { names: ["infer_method", "inferMethod"], to: { params: "inferMethod" }, type: "str" },
  { names: ["sampler_mode", "samplerMode"], to: { params: "samplerMode" }, type: "str" },
  { names: ["timesteps"], to: { params: "timesteps" }, type: "floatList" },
  { names: ["use_adg", "useAdg"], to: { params: "useAdg" }, type: "bool" },
  { names: ["cfg_interval_start", "cfgIntervalStart"], to: { params: "cfgIntervalStart" }, type: "float" },
  { names: ["cfg_interval_end", "cfgIntervalEnd"], to: { params: "cfgIntervalEnd" }, type: "float" },
  { names: ["task_type", "taskType"], to: { params: "taskType" }, type: "str" },
  { names: ["instruction"], to: { params: "instruction" }, type: "str" },
  {
    names: ["reference_audio_path", "ref_audio_path", "referenceAudioPath", "refAudioPath"],
    to: { params: "referenceAudio" },
    type: "str",
  },
  {
    names: ["src_audio_path", "ctx_audio_path", "srcAudioPath", "ctxAudioPath"],
    to: { params: "srcAudio" },
    type: "str",
  },
  { names: ["repainting_start", "repaintingStart"], to: { params: "repaintingStart" }, type: "float" },
  { names: ["repainting_end", "repaintingEnd"], to: { params: "repaintingEnd" }, type: "float" },
  { names: ["audio_cover_strength", "audioCoverStrength"], to: { params: "audioCoverStrength" }, type: "float" },
  { names: ["cover_noise_strength", "coverNoiseStrength"], to: { params: "coverNoiseStrength" }, type: "float" },
  { names: ["lm_temperature", "lmTemperature"], to: { params: "lmTemperature" }, type: "float" },
  { names: ["lm_cfg_scale", "lmCfgScale"], to: { params: "lmCfgScale" }, type: "float", restDefault: 2.5 },
  { names: ["lm_negative_prompt", "lmNegativePrompt"], to: { params: "lmNegativePrompt" }, type: "str" },
  { names: ["lm_top_k", "lmTopK"], to: { params: "lmTopK" }, type: "int" },
  { names: ["lm_top_p", "lmTopP"], to: { params: "lmTopP" }, type: "float" },
  {
    names: ["use_cot_caption", "useCotCaption", "cot_caption", "cot-caption"],
    to: { params: "useCotCaption" },
    type: "bool",
  },
  {
    names: ["use_cot_language", "useCotLanguage", "cot_language", "cot-language"],
    to: { params: "useCotLanguage" },
    type: "bool",
  },
  { names: ["use_cot_metas", "useCotMetas"], to: { params: "useCotMetas" }, type: "bool" },
  {
    names: ["constrained_decoding", "constrainedDecoding", "constrained", "use_constrained_decoding"],
    to: { params: "useConstrainedDecoding" },
    type: "bool",
  },
  {
    names: ["constrained_decoding_debug", "constrainedDecodingDebug"],
    to: { config: "constrainedDecodingDebug" },
    type: "bool",
  },
  {
    names: ["allow_lm_batch", "allowLmBatch", "parallel_thinking", "parallelThinking"],
    to: { config: "allowLmBatch" },
    type: "bool",
    restDefault: true,
  },
  { names: ["lm_batch_chunk_size", "lmBatchChunkSize"], to: { config: "lmBatchChunkSize" }, type: "int" },
  // modes and values handled by the facade itself
  { names: ["sample_mode", "sampleMode"], to: { request: "sampleMode" }, type: "bool" },
  { names: ["sample_query", "sampleQuery", "description", "desc"], to: { request: "sampleQuery" }, type: "str" },
  { names: ["use_format", "useFormat", "format"], to: { request: "useFormat" }, type: "bool" },
  { names: ["lm_repetition_penalty", "lmRepetitionPenalty"], to: { request: "lmRepetitionPenalty" }, type: "float" },
  { names: ["model", "model_name", "modelName", "dit_model", "ditModel"], to: { request: "model" }, type: "str" },
  { names: ["lm_model_path", "lmModelPath"], to: { request: "lmModelPath" }, type: "str" },
];

const NESTED = ["metas", "meta", "metadata", "user_metadata", "userMetadata"];

function toBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (["true", "1", "yes", "y", "on"].includes(s)) return true;
    if (["false", "0", "no", "n", "off", ""].includes(s)) return false;
  }
  return undefined;
}

function coerce(name: string, v: unknown, type: Coerce): unknown {
  if (v === null || v === undefined) return undefined;
  const bad = (what: string) => new HttpError(400, `${name} must be ${what}, got ${JSON.stringify(v)}`);
  switch (type) {
    case "str":
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      throw bad("a string");
    case "bool": {
      const b = toBool(v);
      if (b === undefined) throw bad("true or false");
      return b;
    }
    case "int":
    case "float": {
      if (typeof v === "string" && v.trim() === "") return undefined;
      const n = typeof v === "number" ? v : Number(String(v).trim());
      if (!Number.isFinite(n)) throw bad("a number");
      return type === "int" ? Math.trunc(n) : n;
    }
    case "floatList": {
      if (Array.isArray(v)) return v.map((x) => Number(x));
      const s = String(v).trim();
      if (s === "") return undefined;
      const list = s
        .replace(/^\[|\]$/g, "")
        .split(",")
        .map((x) => Number(x.trim()));
      if (list.some((x) => !Number.isFinite(x))) throw bad('a comma-separated list of numbers like "0.97,0.76,0.5,0"');
      return list;
    }
    case "seed": {
      if (typeof v === "number") return Math.trunc(v);
      const s = String(v).trim();
      if (s === "") return undefined;
      const list = s.split(",").map((x) => Number(x.trim()));
      if (list.some((x) => !Number.isInteger(x))) throw bad("an integer or a comma-separated list of integers");
      return list.length === 1 ? list[0] : list;
    }
  }
}

export interface ParsedRelease {
  params: Record<string, unknown>;
  config: Record<string, unknown>;
  request: Record<string, unknown>;
}

/** Maps a /release_task body onto GenerationParams / GenerationConfig (top level, then param_obj, then metas). */
export function parseReleaseBody(body: Record<string, unknown>): ParsedRelease {
  let paramObj: Record<string, unknown> = {};
  const po = body.param_obj ?? body.paramObj;
  if (typeof po === "string" && po.trim() !== "") {
    try {
      const x = JSON.parse(po);
      if (x && typeof x === "object" && !Array.isArray(x)) paramObj = x as Record<string, unknown>;
    } catch {
      throw new HttpError(400, "param_obj is not valid JSON");
    }
  } else if (po && typeof po === "object" && !Array.isArray(po)) paramObj = po as Record<string, unknown>;
  const layers: Record<string, unknown>[] = [body, paramObj];
  for (const src of [body, paramObj])
    for (const k of NESTED) {
      let v = src[k];
      if (typeof v === "string") {
        try {
          v = JSON.parse(v);
        } catch {
          v = undefined;
        }
      }
      if (v && typeof v === "object" && !Array.isArray(v)) layers.push(v as Record<string, unknown>);
    }
  const lookup = (names: string[]): [string, unknown] | undefined => {
    for (const layer of layers)
      for (const n of names) if (layer[n] !== undefined && layer[n] !== null) return [n, layer[n]];
    return undefined;
  };
  const out: ParsedRelease = { params: {}, config: {}, request: {} };
  for (const f of REST_FIELDS) {
    const hit = lookup(f.names);
    const value = hit ? coerce(hit[0], hit[1], f.type) : undefined;
    const v = value === undefined ? f.restDefault : value;
    if (v === undefined) continue;
    if ("params" in f.to) out.params[f.to.params] = v;
    else if ("config" in f.to) out.config[f.to.config] = v;
    else out.request[f.to.request] = v;
  }
  // REST specifics: "-1"/null repainting_end = end; lm_top_k null or 0 disables; seeds; lyrics "[inst]".
  if (out.params.duration === undefined) out.params.duration = -1;
  const seed = out.request.seed;
  if (Array.isArray(seed)) out.config.seeds = seed;
  else if (typeof seed === "number") out.params.seed = seed;
  if (typeof out.config.batchSize === "number") out.config.batchSize = Math.max(1, Math.min(8, out.config.batchSize)); // clamped (max 8)
  if (typeof out.params.lyrics === "string" && /^\[(inst|instrumental)\]$/i.test(out.params.lyrics.trim()))
    out.params.instrumental = true;
  return out;
}
