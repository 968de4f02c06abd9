// The field-by-field table: each GenerationParams / GenerationConfig field changes the built graph as
// FIELD_MAP says (or, for the recorded-only fields, leaves it alone and shows up in the result — see
// library.test.ts), plus the upstream task routing.
import { describe, expect, it } from "vitest";
import type { Graph } from "../graph/format";
import { validateGraph } from "../graph/validate";
import { createDefaultRegistry } from "../../nodes/index";
import {
  CONFIG_FIELD_MAP,
  FIELD_MAP,
  GenerationUnsupportedError,
  buildGeneration,
  tracksFromInstruction,
} from "./build-graph";
import {
  camelToSnake,
  parseGenerationConfig,
  parseGenerationParams,
  type GenerationConfig,
  type GenerationParams,
} from "./params";
import { fakeRegistry } from "./testing";

const registry = fakeRegistry();
const NO_LM = { thinking: false, use_cot_metas: false, use_cot_caption: false, use_cot_language: false };
const FIXED = { batch_size: 2, use_random_seed: false, seeds: [11, 22] };

function build(params: Record<string, unknown>, config: Record<string, unknown> = FIXED, reg = registry) {
  let n = 1000;
  return buildGeneration(parseGenerationParams(params), parseGenerationConfig(config), {
    registry: reg,
    rand: () => n++,
  });
}

type Check = (after: Graph, before: Graph) => void;
interface Case {
  /** Params both graphs share (the task context the field matters in). */
  context?: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** The field's new value. */
  value: unknown;
  /** [node id, param, expected value] — or a custom check. */
  expect: [string, string, unknown] | Check;
}

const param = (g: Graph, node: string, name: string) => g.nodes[node]?.params?.[name];
const unchanged: Check = (after, before) => expect(after).toEqual(before);
const SRC = "uploads/src.flac";
const REF = "uploads/ref.flac";
const CODES = "<|audio_code_10|><|audio_code_20|><|audio_code_30|>";
const LEGO = "Generate the BASS track based on the audio context:";
const EXTRACT = "Extract the DRUMS track from the audio:";
const COMPLETE = "Complete the input track with STRINGS:";

const PARAM_CASES: Record<keyof GenerationParams, Case[]> = {
  taskType: [
    {
      context: { ...NO_LM, src_audio: SRC },
      value: "cover",
      expect: (a, b) => (
        expect(b.nodes.latent.type).toBe("ace.emptyLatent"),
        expect(a.nodes.latent.type).toBe("ace.cover"),
        expect(a.nodes.latent.inputs?.audio).toEqual({ node: "src", output: "audio" })
      ),
    },
    {
      context: { ...NO_LM, src_audio: SRC },
      value: "repaint",
      expect: (a) => expect(a.nodes.latent.type).toBe("ace.repaint"),
    },
    {
      context: { ...NO_LM, src_audio: SRC, instruction: LEGO },
      value: "lego",
      expect: (a) => expect(a.nodes.latent.type).toBe("ace.lego"),
    },
    {
      context: { ...NO_LM, src_audio: SRC, instruction: EXTRACT },
      value: "extract",
      expect: (a) => expect(a.nodes.latent.type).toBe("ace.extract"),
    },
    {
      context: { ...NO_LM, src_audio: SRC, instruction: COMPLETE },
      value: "complete",
      expect: (a) => expect(a.nodes.latent.type).toBe("ace.complete"),
    },
  ],
  instruction: [
    {
      context: NO_LM,
      value: "Make it sound like a 1970s vinyl record:",
      expect: ["text", "instruction", "Make it sound like a 1970s vinyl record:"],
    },
    {
      context: { ...NO_LM, task_type: "lego", src_audio: SRC, instruction: LEGO },
      value: "Generate the GUITAR track based on the audio context:",
      expect: ["latent", "track", "guitar"],
    },
    {
      context: { ...NO_LM, task_type: "extract", src_audio: SRC, instruction: EXTRACT },
      value: "Extract the vocals track from the audio:",
      expect: ["latent", "track", "vocals"],
    },
    {
      context: { ...NO_LM, task_type: "complete", src_audio: SRC, instruction: COMPLETE },
      value: "Complete the input track with drums, bass, guitar:",
      expect: ["latent", "tracks", "drums, bass, guitar"],
    },
  ],
  referenceAudio: [
    {
      context: NO_LM,
      value: REF,
      expect: (a) => (
        expect(param(a, "ref", "file")).toBe(REF),
        expect(a.nodes.sampler.inputs?.timbre).toEqual({ node: "timbre", output: "timbre" })
      ),
    },
  ],
  srcAudio: [
    {
      context: { ...NO_LM, task_type: "cover", reference_audio: REF },
      value: SRC,
      expect: (a, b) => (
        expect(b.nodes.src).toBeUndefined(),
        expect(param(a, "src", "file")).toBe(SRC),
        expect(a.nodes.latent.inputs?.audio).toEqual({ node: "src", output: "audio" })
      ),
    },
  ],
  audioCodes: [
    {
      context: NO_LM,
      value: CODES,
      expect: (a) => (
        expect(param(a, "codes", "codes")).toBe(CODES),
        expect(a.nodes.latent.type).toBe("ace.cover"),
        expect(a.nodes.latent.inputs?.codes).toEqual({ node: "codes", output: "codes" })
      ),
    },
  ],
  caption: [{ context: NO_LM, value: "dreamy synthwave", expect: ["song", "caption", "dreamy synthwave"] }],
  lyrics: [{ context: NO_LM, value: "[verse]\nhello", expect: ["song", "lyrics", "[verse]\nhello"] }],
  instrumental: [{ context: NO_LM, value: true, expect: ["song", "instrumental", true] }],
  vocalLanguage: [{ context: NO_LM, value: "ja", expect: ["song", "language", "ja"] }],
  bpm: [{ context: NO_LM, value: 128, expect: ["song", "bpm", 128] }],
  keyscale: [
    { context: NO_LM, value: "F# minor", expect: ["song", "keyscale", "F# minor"] },
    { context: NO_LM, value: "Am", expect: ["song", "keyscale", "A minor"] },
  ],
  timesignature: [
    { context: NO_LM, value: "3", expect: ["song", "timesignature", "3"] },
    { context: NO_LM, value: "6/8", expect: ["song", "timesignature", "6"] },
  ],
  duration: [
    {
      context: NO_LM,
      value: 45,
      expect: (a) => (expect(param(a, "song", "duration")).toBe(45), expect(param(a, "latent", "duration")).toBe(45)),
    },
  ],
  inferenceSteps: [{ context: NO_LM, value: 20, expect: ["sampler", "steps", 20] }],
  seed: [
    {
      context: NO_LM,
      config: { batch_size: 1, use_random_seed: false, seeds: null },
      value: 1234,
      expect: ["sampler", "seeds", "1234"],
    },
  ],
  guidanceScale: [{ context: NO_LM, value: 9, expect: ["sampler", "guidanceScale", 9] }],
  useAdg: [{ context: NO_LM, value: true, expect: ["sampler", "useAdg", true] }],
  cfgIntervalStart: [{ context: NO_LM, value: 0.2, expect: ["sampler", "cfgIntervalStart", 0.2] }],
  cfgIntervalEnd: [{ context: NO_LM, value: 0.8, expect: ["sampler", "cfgIntervalEnd", 0.8] }],
  shift: [{ context: NO_LM, value: 3, expect: ["sampler", "shift", 3] }],
  inferMethod: [{ context: NO_LM, value: "sde", expect: ["sampler", "inferMethod", "sde"] }],
  samplerMode: [{ context: NO_LM, value: "heun", expect: ["sampler", "samplerMode", "heun"] }],
  coverNoiseStrength: [
    {
      context: { ...NO_LM, task_type: "cover", src_audio: SRC },
      value: 0.4,
      expect: ["sampler", "coverNoiseStrength", 0.4],
    },
  ],
  timesteps: [{ context: NO_LM, value: [0.97, 0.5, 0], expect: ["sampler", "timesteps", "0.97, 0.5, 0"] }],
  repaintingStart: [
    { context: { ...NO_LM, task_type: "repaint", src_audio: SRC }, value: 10, expect: ["latent", "start", 10] },
    {
      context: { ...NO_LM, task_type: "repaint", src_audio: SRC, repainting_end: 4 },
      value: -3,
      expect: ["latent", "start", -3],
    },
  ],
  repaintMode: [
    {
      context: { ...NO_LM, task_type: "repaint", src_audio: SRC },
      value: "aggressive",
      expect: ["sampler", "repaintMode", "aggressive"],
    },
  ],
  repaintStrength: [
    {
      context: { ...NO_LM, task_type: "repaint", src_audio: SRC },
      value: 0.2,
      expect: ["sampler", "repaintStrength", 0.2],
    },
  ],
  repaintingEnd: [
    { context: { ...NO_LM, task_type: "repaint", src_audio: SRC }, value: 20, expect: ["latent", "end", 20] },
  ],
  audioCoverStrength: [
    {
      context: { ...NO_LM, task_type: "cover", src_audio: SRC },
      value: 0.3,
      expect: ["latent", "audioCoverStrength", 0.3],
    },
  ],
  thinking: [
    {
      context: {},
      value: false,
      expect: (a, b) => {
        expect(param(b, "lm", "thinking")).toBe(true);
        expect(b.nodes.latent.type).toBe("ace.cover");
        expect(b.nodes.latent.inputs?.codes).toEqual({ node: "lm", output: "codes" });
        expect(param(a, "lm", "thinking")).toBe(false); // CoT only (use_cot_* still on, as upstream)
        expect(a.nodes.latent.type).toBe("ace.emptyLatent");
      },
    },
    {
      context: { use_cot_metas: false, use_cot_caption: false, use_cot_language: false },
      value: false,
      expect: (a, b) => (
        expect(b.nodes.lm).toBeDefined(),
        expect(a.nodes.lm).toBeUndefined(),
        expect(a.nodes.lmModel).toBeUndefined()
      ),
    },
  ],
  lmTemperature: [{ value: 1.1, expect: ["lm", "temperature", 1.1] }],
  lmCfgScale: [{ value: 3.5, expect: ["lm", "cfgScale", 3.5] }],
  lmTopK: [{ value: 50, expect: ["lm", "topK", 50] }],
  lmTopP: [{ value: 0.95, expect: ["lm", "topP", 0.95] }],
  lmNegativePrompt: [{ value: "noise, distortion", expect: ["lm", "negativePrompt", "noise, distortion"] }],
  useCotMetas: [{ value: false, expect: ["lm", "useCotMetas", false] }],
  useCotCaption: [{ value: false, expect: ["lm", "useCotCaption", false] }],
  useCotLyrics: [{ value: true, expect: unchanged }],
  useCotLanguage: [{ value: false, expect: ["lm", "useCotLanguage", false] }],
  useConstrainedDecoding: [{ value: false, expect: ["lm", "useConstrainedDecoding", false] }],
  cotBpm: [{ value: 99, expect: unchanged }],
  cotKeyscale: [{ value: "C major", expect: unchanged }],
  cotTimesignature: [{ value: "4", expect: unchanged }],
  cotDuration: [{ value: 60, expect: unchanged }],
  cotVocalLanguage: [{ value: "en", expect: unchanged }],
  cotCaption: [{ value: "x", expect: unchanged }],
  cotLyrics: [{ value: "y", expect: unchanged }],
};

const CONFIG_CASES: Record<keyof GenerationConfig, Case[]> = {
  batchSize: [
    {
      context: {},
      config: { use_random_seed: false },
      value: 4,
      expect: (a) => (
        expect(param(a, "sampler", "batchSize")).toBe(4),
        expect(param(a, "lm", "batchSize")).toBe(4),
        expect(String(param(a, "sampler", "seeds")).split(", ")).toHaveLength(4)
      ),
    },
  ],
  allowLmBatch: [{ value: true, expect: unchanged }],
  useRandomSeed: [
    {
      context: { ...NO_LM, seed: 5 },
      config: { batch_size: 1, use_random_seed: false, seeds: null },
      value: true,
      expect: (a, b) => (
        expect(param(b, "sampler", "seeds")).toBe("5"),
        expect(param(a, "sampler", "seeds")).toBe("1000")
      ),
    },
  ],
  seeds: [
    {
      context: NO_LM,
      config: { batch_size: 2, use_random_seed: false },
      value: [7, 8],
      expect: ["sampler", "seeds", "7, 8"],
    },
    {
      context: NO_LM,
      config: { batch_size: 3, use_random_seed: false },
      value: [7],
      expect: ["sampler", "seeds", "7, 1000, 1001"],
    }, // padded with random seeds
  ],
  lmBatchChunkSize: [{ value: 4, expect: unchanged }],
  constrainedDecodingDebug: [{ value: true, expect: ["lm", "constrainedDecodingDebug", true] }],
  audioFormat: [{ context: NO_LM, value: "wav", expect: ["save", "format", "wav"] }],
};

describe("every field has a row in the table", () => {
  it("GenerationParams", () => expect(Object.keys(PARAM_CASES).sort()).toEqual(Object.keys(FIELD_MAP).sort()));
  it("GenerationConfig", () => expect(Object.keys(CONFIG_CASES).sort()).toEqual(Object.keys(CONFIG_FIELD_MAP).sort()));
});

function runCase(kind: "params" | "config", field: string, c: Case) {
  const ctx = c.context ?? {};
  const cfg = { ...FIXED, ...(c.config ?? {}) };
  const before = kind === "params" ? build(ctx, cfg).graph : build(ctx, cfg).graph;
  const after =
    kind === "params"
      ? build({ ...ctx, [camelToSnake(field)]: c.value }, cfg).graph
      : build(ctx, { ...cfg, [camelToSnake(field)]: c.value }).graph;
  if (typeof c.expect === "function") c.expect(after, before);
  else {
    const [node, name, value] = c.expect;
    expect(param(after, node, name)).toEqual(value);
    expect(param(before, node, name)).not.toEqual(value);
  }
  const v = validateGraph(after, registry);
  expect(v.ok ? [] : v.issues.map((i) => i.message)).toEqual([]);
}

describe("GenerationParams field table", () => {
  for (const [field, cases] of Object.entries(PARAM_CASES))
    cases.forEach((c, i) =>
      it(`${camelToSnake(field)} #${i + 1} → ${typeof c.expect === "function" ? (c.expect === unchanged ? "recorded only" : "graph") : `${c.expect[0]}.${c.expect[1]}`}`, () =>
        runCase("params", field, c)),
    );
});

describe("GenerationConfig field table", () => {
  for (const [field, cases] of Object.entries(CONFIG_CASES))
    cases.forEach((c, i) =>
      it(`${camelToSnake(field)} #${i + 1} → ${typeof c.expect === "function" ? (c.expect === unchanged ? "recorded only" : "graph") : `${c.expect[0]}.${c.expect[1]}`}`, () =>
        runCase("config", field, c)),
    );
});

describe("task routing (inference.generate_music)", () => {
  it("cover and repaint skip the LM even with thinking on", () => {
    for (const task of ["cover", "repaint"]) {
      const b = build({ task_type: task, src_audio: SRC });
      expect(b.graph.nodes.lm).toBeUndefined();
      expect(b.plan.withLm).toBe(false);
    }
  });
  it("lego/extract/complete keep the LM for CoT metadata but never run codes", () => {
    const b = build({ task_type: "lego", src_audio: SRC, instruction: LEGO });
    expect(b.graph.nodes.latent.type).toBe("ace.lego");
    expect(param(b.graph, "lm", "thinking")).toBe(true);
  });
  it("thinking off with every use_cot_* off → no LM node", () => {
    expect(build(NO_LM).graph.nodes.lm).toBeUndefined();
  });
  it("all four metas given → phase 1 is skipped; without thinking nothing is left for the LM", () => {
    const b = build({ thinking: false, bpm: 120, keyscale: "C major", timesignature: "4", duration: 30 });
    expect(b.graph.nodes.lm).toBeUndefined();
  });
  it("an unset duration without the LM follows the seed: same seed, same length", () => {
    const auto = (seeds: number[], random = false) => {
      const b = build(NO_LM, { batch_size: 1, use_random_seed: random, seeds });
      expect(b.plan.warnings.join()).toMatch(/duration not set: \d+ s chosen from the seed/);
      return param(b.graph, "latent", "duration") as number;
    };
    const lengths = [7, 42, 1234, 99999].map((s) => auto([s]));
    expect([7, 42, 1234, 99999].map((s) => auto([s]))).toEqual(lengths);
    for (const d of lengths) expect(d >= 10 && d <= 120).toBe(true);
    expect(new Set(lengths).size).toBeGreaterThan(1);
    // a fresh random seed (the test's rand counts up) gives the length that seed would give when fixed
    expect(auto([], true)).toBe(auto([1000]));
  });
  it("text2music with user codes runs as cover and the LM does CoT only", () => {
    const b = build({ audio_codes: CODES });
    expect(b.plan.task).toBe("cover");
    expect(b.graph.nodes.latent.type).toBe("ace.cover");
    expect(b.graph.nodes.latent.inputs?.codes).toEqual({ node: "codes", output: "codes" });
    expect(param(b.graph, "lm", "thinking")).toBe(false);
  });
  it("cover without any input falls back to text2music with a warning", () => {
    const b = build({ ...NO_LM, task_type: "cover" });
    expect(b.plan.task).toBe("text2music");
    expect(b.graph.nodes.latent.type).toBe("ace.emptyLatent");
    expect(b.plan.warnings.join()).toMatch(/runs as text2music/);
  });
  it("source tasks without src_audio are refused", () => {
    expect(() => build({ ...NO_LM, task_type: "repaint" })).toThrow(/task_type "repaint" needs src_audio/);
  });
  it("the text node takes the instruction from the task unless the caller wrote their own", () => {
    expect(param(build({ ...NO_LM, task_type: "repaint", src_audio: SRC }).graph, "text", "instruction") ?? "").toBe(
      "",
    );
    expect(
      param(
        build({
          ...NO_LM,
          task_type: "repaint",
          src_audio: SRC,
          instruction: "Repaint the mask area based on the given conditions:",
        }).graph,
        "text",
        "instruction",
      ) ?? "",
    ).toBe("");
  });
  it("the graph is graph JSON v1 with stable node ids", () => {
    const g = build({}).graph;
    expect(g.version).toBe(1);
    expect(Object.keys(g.nodes).sort()).toEqual(
      [
        "decode",
        "dit",
        "latent",
        "lm",
        "lmModel",
        "lyrics",
        "sampler",
        "save",
        "song",
        "text",
        "textEncoder",
        "vae",
      ].sort(),
    );
    expect(g.nodes.text.inputs?.song).toEqual({ node: "lm", output: "song" });
  });
  it.each([
    ["Generate the BACKING_VOCALS track based on the audio context:", ["backing_vocals"]],
    ["Complete the input track with DRUMS | BASS:", ["drums", "bass"]],
    ["Extract the track from the audio:", []],
  ])("tracks from %j", (instruction, tracks) => expect(tracksFromInstruction(instruction)).toEqual(tracks));
});

describe("refusals", () => {
  it("lego / extract / complete without a track in the instruction are refused with an example", () => {
    expect(() => build({ ...NO_LM, task_type: "lego", src_audio: SRC })).toThrow(
      /needs the track in instruction, e.g. "Generate the GUITAR track/,
    );
    expect(() => build({ ...NO_LM, task_type: "complete", src_audio: SRC })).toThrow(/needs the tracks in instruction/);
  });
  it("with the real registry, a thinking-off text2music graph validates", () => {
    const real = createDefaultRegistry();
    const g = build(NO_LM, FIXED, real).graph;
    const v = validateGraph(g, real);
    expect(v.ok ? [] : v.issues.map((i) => i.message)).toEqual([]);
  });
  it("thinking without an LM node names lm.generate; CoT alone is switched off with a warning", () => {
    const reg = fakeRegistry({ without: ["lm.generate"] });
    expect(() => build({}, FIXED, reg)).toThrow(GenerationUnsupportedError);
    expect(() => build({}, FIXED, reg)).toThrow(/thinking=true \(LM audio codes\) needs node "lm.generate"/);
    const b = build({ thinking: false }, FIXED, reg);
    expect(b.graph.nodes.lm).toBeUndefined();
    expect(b.plan.warnings.join()).toMatch(/use_cot_\* switched off/);
  });
});
