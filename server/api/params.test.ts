// GenerationParams / GenerationConfig: upstream defaults field by field, snake_case = camelCase input,
// unknown keys and out-of-range values refused with the field named.
import { describe, expect, it } from "vitest";
import {
  camelToSnake,
  normalizeKeyscale,
  normalizeTimesignature,
  parseGenerationParams,
  safeParseGenerationConfig,
  safeParseGenerationParams,
  snakeToCamel,
  toUpstreamDict,
  zGenerationConfigObject,
  zGenerationParamsObject,
} from "./params";

/**
 * The upstream dataclass defaults (ace-step/ACE-Step-1.5 docs/ja/INFERENCE.md "GenerationParams" / "GenerationConfig").
 */
/** Newer upstream fields (generate_music @ 01aeee3 defaults) that the seed document does not have. */
const NEWER_UPSTREAM_PARAMS: Record<string, unknown> = {
  repaint_mode: "balanced",
  repaint_strength: 0.5,
  sampler_mode: "euler",
  cover_noise_strength: 0.0,
};

const UPSTREAM_PARAMS: Record<string, unknown> = {
  task_type: "text2music",
  instruction: "Fill the audio semantic mask based on the given conditions:",
  reference_audio: null,
  src_audio: null,
  audio_codes: "",
  caption: "",
  lyrics: "",
  instrumental: false,
  vocal_language: "unknown",
  bpm: null,
  keyscale: "",
  timesignature: "",
  duration: -1.0,
  inference_steps: 8,
  seed: -1,
  guidance_scale: 7.0,
  use_adg: false,
  cfg_interval_start: 0.0,
  cfg_interval_end: 1.0,
  shift: 1.0,
  infer_method: "ode",
  timesteps: null,
  repainting_start: 0.0,
  repainting_end: -1,
  audio_cover_strength: 1.0,
  thinking: true,
  lm_temperature: 0.85,
  lm_cfg_scale: 2.0,
  lm_top_k: 0,
  lm_top_p: 0.9,
  lm_negative_prompt: "NO USER INPUT",
  use_cot_metas: true,
  use_cot_caption: true,
  use_cot_lyrics: false,
  use_cot_language: true,
  use_constrained_decoding: true,
  cot_bpm: null,
  cot_keyscale: "",
  cot_timesignature: "",
  cot_duration: null,
  cot_vocal_language: "unknown",
  cot_caption: "",
  cot_lyrics: "",
};

const UPSTREAM_CONFIG: Record<string, unknown> = {
  batch_size: 2,
  allow_lm_batch: false,
  use_random_seed: true,
  seeds: null,
  lm_batch_chunk_size: 8,
  constrained_decoding_debug: false,
  audio_format: "flac",
};

describe("GenerationParams defaults", () => {
  const defaults = toUpstreamDict(parseGenerationParams({}));
  it("has exactly the upstream fields", () => {
    expect(Object.keys(defaults).sort()).toEqual(Object.keys({ ...UPSTREAM_PARAMS, ...NEWER_UPSTREAM_PARAMS }).sort());
  });
  it.each(Object.entries({ ...UPSTREAM_PARAMS, ...NEWER_UPSTREAM_PARAMS }))(
    "%s defaults to the upstream value",
    (field, value) => {
      expect(defaults[field]).toEqual(value);
    },
  );
});

describe("GenerationConfig defaults", () => {
  const r = safeParseGenerationConfig({});
  const defaults = r.ok ? Object.fromEntries(Object.entries(r.value).map(([k, v]) => [camelToSnake(k), v])) : {};
  it("has exactly the upstream fields", () => {
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(UPSTREAM_CONFIG).sort());
  });
  it.each(Object.entries(UPSTREAM_CONFIG))("%s defaults to the upstream value", (field, value) => {
    expect(defaults[field]).toEqual(value);
  });
});

describe("snake_case and camelCase input", () => {
  const sample: Record<string, unknown> = {
    task_type: "repaint",
    src_audio: "uploads/a.flac",
    caption: "lofi",
    bpm: 90,
    keyscale: "A minor",
    timesignature: "4",
    duration: 30,
    inference_steps: 16,
    seed: 7,
    guidance_scale: 5,
    use_adg: true,
    cfg_interval_start: 0.1,
    cfg_interval_end: 0.9,
    shift: 3,
    infer_method: "sde",
    timesteps: [1, 0.5, 0],
    repainting_start: 2,
    repainting_end: 5,
    audio_cover_strength: 0.5,
    thinking: false,
    lm_temperature: 1,
    lm_cfg_scale: 3,
    lm_top_k: 40,
    lm_top_p: 0.95,
    lm_negative_prompt: "x",
    use_cot_metas: false,
    use_cot_caption: false,
    use_cot_lyrics: true,
    use_cot_language: false,
    use_constrained_decoding: false,
    vocal_language: "ja",
    instrumental: true,
  };
  it("give the same params", () => {
    const camel = Object.fromEntries(Object.entries(sample).map(([k, v]) => [snakeToCamel(k), v]));
    expect(parseGenerationParams(sample)).toEqual(parseGenerationParams(camel));
  });
  it("accept a mix, and the same field twice with the same value", () => {
    expect(parseGenerationParams({ taskType: "cover", inference_steps: 4, inferenceSteps: 4 }).inferenceSteps).toBe(4);
  });
  it("refuse the same field twice with different values", () => {
    const r = safeParseGenerationParams({ inference_steps: 4, inferenceSteps: 5 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0].message).toMatch(/inference_steps.*twice/);
  });
  it("config: snake and camel agree", () => {
    const a = safeParseGenerationConfig({
      batch_size: 3,
      use_random_seed: false,
      seeds: [1, 2],
      audio_format: "wav",
      lm_batch_chunk_size: 4,
    });
    const b = safeParseGenerationConfig({
      batchSize: 3,
      useRandomSeed: false,
      seeds: [1, 2],
      audioFormat: "wav",
      lmBatchChunkSize: 4,
    });
    expect(a).toEqual(b);
    expect(a.ok).toBe(true);
  });
});

describe("unknown keys", () => {
  it("are refused by name, with a suggestion", () => {
    const r = safeParseGenerationParams({ caption: "x", inference_step: 3, foo: 1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field)).toEqual(["inference_step", "foo"]);
    expect(r.issues[0].message).toBe(
      'unknown GenerationParams field "inference_step" (did you mean "inference_steps"?)',
    );
    expect(r.issues[1].message).toBe('unknown GenerationParams field "foo"');
  });
  it("in the config too", () => {
    const r = safeParseGenerationConfig({ batchsize: 2 });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues[0].message).toMatch(/unknown GenerationConfig field "batchsize" \(did you mean "batch_size"\?\)/);
  });
  it("are reported together with bad values", () => {
    const r = safeParseGenerationParams({ foo: 1, bpm: 500 });
    expect(r.ok ? [] : r.issues.map((i) => i.field)).toEqual(["foo", "bpm"]);
  });
});

describe("out-of-range values name the field", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["bpm", { bpm: 500 }, /bpm must be 30–300/],
    ["bpm", { bpm: 12.5 }, /bpm must be a whole number/],
    ["duration", { duration: 700 }, /duration must be at most 600/],
    ["duration", { duration: 5 }, /duration must be 10–600/],
    ["inference_steps", { inference_steps: 0 }, /inference_steps must be 1–200/],
    ["inference_steps", { inference_steps: 500 }, /inference_steps must be 1–200/],
    ["seed", { seed: -2 }, /seed must be -1/],
    ["guidance_scale", { guidance_scale: 20 }, /guidance_scale must be 1.0–15.0/],
    ["cfg_interval_start", { cfg_interval_start: 1.5 }, /cfg_interval_start must be 0.0–1.0/],
    ["cfg_interval_end", { cfg_interval_start: 0.8, cfg_interval_end: 0.2 }, /cfg_interval_end.*must not be below/],
    ["shift", { shift: 6 }, /shift must be 1.0–5.0/],
    ["infer_method", { infer_method: "heun" }, /infer_method/],
    ["timesteps", { timesteps: [0.2, 0.5] }, /timesteps must run from 1.0 down/],
    ["timesteps.0", { timesteps: [1.5, 0] }, /each timestep must be 0.0–1.0/],
    [
      "repainting_end",
      { repainting_start: 10, repainting_end: 5 },
      /repainting_end \(5 s\) must be after repainting_start/,
    ],
    ["audio_cover_strength", { audio_cover_strength: 2 }, /audio_cover_strength must be 0.0–1.0/],
    ["lm_temperature", { lm_temperature: 3 }, /lm_temperature must be 0.0–2.0/],
    ["lm_top_p", { lm_top_p: 1.5 }, /lm_top_p must be 0.0–1.0/],
    ["lm_top_k", { lm_top_k: -1 }, /lm_top_k must be ≥ 0/],
    ["keyscale", { keyscale: "H major" }, /keyscale "H major" is not a key/],
    ["timesignature", { timesignature: "5/4" }, /timesignature "5\/4" must be 2, 3, 4 or 6/],
    ["vocal_language", { vocal_language: "xx" }, /vocal_language must be one of the 51/],
    ["task_type", { task_type: "remix" }, /task_type/],
    ["caption", { caption: "x".repeat(513) }, /caption must be under 512/],
    ["lyrics", { lyrics: "x".repeat(4097) }, /lyrics must be under 4096/],
    ["thinking", { thinking: "yes" }, /thinking must be a boolean/],
  ];
  it.each(cases)("%s: %j", (field, input, message) => {
    const r = safeParseGenerationParams(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0].field).toBe(field);
    expect(r.issues[0].message).toMatch(message);
  });

  const configCases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["batch_size", { batch_size: 9 }, /batch_size must be 1–8/],
    ["batch_size", { batch_size: 0 }, /batch_size must be 1–8/],
    ["audio_format", { audio_format: "ogg" }, /audio_format must be "flac", "mp3" or "wav"/],
    ["lm_batch_chunk_size", { lm_batch_chunk_size: 0 }, /lm_batch_chunk_size must be ≥ 1/],
    ["seeds.0", { seeds: [-5] }, /seeds must be -1 or/],
  ];
  it.each(configCases)("config %s: %j", (field, input, message) => {
    const r = safeParseGenerationConfig(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0].field).toBe(field);
    expect(r.issues[0].message).toMatch(message);
  });
});

describe("value normalisation", () => {
  it.each([
    ["C Major", "C major"],
    ["Am", "A minor"],
    ["F# minor", "F# minor"],
    ["Bb", "Bb major"],
    ["c#m", "C# minor"],
    ["", ""],
    ["H", null],
  ])("keyscale %j → %j", (raw, out) => expect(normalizeKeyscale(raw)).toBe(out));
  it.each([
    ["4", "4"],
    ["4/4", "4"],
    ["6/8", "6"],
    ["3/4", "3"],
    ["", ""],
    ["5", null],
  ])("timesignature %j → %j", (raw, out) => expect(normalizeTimesignature(raw)).toBe(out));
  it("keeps the raw user value in the params (the key hashes what the user gave)", () => {
    expect(parseGenerationParams({ keyscale: "Am" }).keyscale).toBe("Am");
  });
  it("null duration and repainting_end mean automatic / end of audio", () => {
    const p = parseGenerationParams({ duration: null, repainting_end: null });
    expect(p.duration).toBeNull();
    expect(p.repaintingEnd).toBeNull();
  });
  it("config seeds take a single int or a list", () => {
    expect(safeParseGenerationConfig({ seeds: 42 })).toMatchObject({ ok: true, value: { seeds: 42 } });
    expect(safeParseGenerationConfig({ seeds: [1, 2, 3] })).toMatchObject({ ok: true, value: { seeds: [1, 2, 3] } });
  });
});

it("the object schemas and the upstream tables list the same fields", () => {
  expect(Object.keys(zGenerationParamsObject.shape).map(camelToSnake).sort()).toEqual(
    Object.keys({ ...UPSTREAM_PARAMS, ...NEWER_UPSTREAM_PARAMS }).sort(),
  );
  expect(Object.keys(zGenerationConfigObject.shape).map(camelToSnake).sort()).toEqual(
    Object.keys(UPSTREAM_CONFIG).sort(),
  );
});
