// GenerationParams + GenerationConfig → a graph JSON v1 made of the editor's own nodes, so a scripted job
// can be saved and opened in the editor. Every field's destination is listed once in FIELD_MAP /
// CONFIG_FIELD_MAP; task routing follows acestep/inference.py generate_music (LM skipped for cover and
// repaint, text2music with codes → cover, cover without any input → text2music; server/lm/use-cot.ts).
import type { Graph, GraphNode } from "../graph/format";
import type { NodeRegistry } from "../../nodes/registry";
import type { z } from "zod";
import { createDefaultRegistry } from "../../nodes/index";
import {
  DEFAULT_DIT_INSTRUCTION,
  TASK_TRAITS,
  TRACK_NAMES,
  generateInstruction,
  type TaskType,
} from "../acestep/tasks/instructions";
import { resolveSeeds, type SeedSource, randomSeed } from "../acestep/sampling/seeds";
import { deriveSeed } from "../random/prng";
import { planLm, type LmPlan } from "../lm/use-cot";
import { parseAudioCodes } from "../acestep/codes/audio-codes";
import {
  type GenerationConfig,
  type GenerationParams,
  zGenerationConfigObject,
  zGenerationParamsObject,
  lyricsMeanInstrumental,
  normalizeKeyscale,
  normalizeTimesignature,
  camelToSnake,
} from "./params";

/** A request the current node set cannot run; generateMusic turns it into success=false. */
export class GenerationUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GenerationUnsupportedError";
  }
}

// ---------------------------------------------------------------- the nodes a generation graph uses

/** Graph node id (role) → node type. The ids are stable so overrides like `sampler.steps=16` work. */
export const NODE_TYPES = {
  textEncoder: "models.textEncoder",
  dit: "models.dit",
  lora: "models.lora",
  vae: "models.vae",
  lmModel: "models.lm",
  song: "ace.song",
  lm: "lm.generate",
  codes: "ace.audioCodes",
  src: "audio.load",
  ref: "audio.load",
  timbre: "ace.referenceTimbre",
  latent: "ace.emptyLatent",
  text: "ace.textConditioning",
  lyrics: "ace.lyricsConditioning",
  sampler: "ace.ditSampler",
  decode: "vae.decode",
  save: "audio.save",
} as const;

/** The latent-producing node per (effective) task. */
export const TASK_NODE_TYPES: Record<TaskType, string> = {
  text2music: "ace.emptyLatent",
  cover: "ace.cover",
  repaint: "ace.repaint",
  lego: "ace.lego",
  extract: "ace.extract",
  complete: "ace.complete",
};

export type Role = keyof typeof NODE_TYPES;

// ---------------------------------------------------------------- the field table

interface BuildState {
  p: GenerationParams;
  c: GenerationConfig;
  /** The task that runs (after routing). */
  task: TaskType;
  /** The task of the latent node (text2music with LM codes → cover). */
  latentTask: TaskType;
  /** Seconds for a text2music latent (resolved when the params leave it automatic). */
  duration: number;
  seeds: number[];
  lm: LmPlan;
  /** Whether the LM node is in the graph. */
  withLm: boolean;
}

/** Where one field goes. `node` is a role (graph node id); the target is skipped when that node is absent. */
export interface ParamTarget {
  node: Role;
  param: string;
  value?: (s: BuildState) => unknown;
  /** Skipped silently when the node does not declare the param (upstream gives no guarantee either). */
  optional?: boolean;
}

export interface FieldMapping {
  /** Node params the field sets (in the graph node with that id, when present). */
  params?: ParamTarget[];
  /** How else the field acts: which nodes exist, links, or the result record. */
  effect?: string;
}

const song = (param: string, value?: ParamTarget["value"]): ParamTarget => ({ node: "song", param, value });
const sampler = (param: string, value?: ParamTarget["value"]): ParamTarget => ({ node: "sampler", param, value });
const lm = (param: string, value?: ParamTarget["value"]): ParamTarget => ({ node: "lm", param, value });
const latent = (param: string, value?: ParamTarget["value"]): ParamTarget => ({ node: "latent", param, value });

/** Parses the track name(s) out of a lego / extract / complete instruction ("Generate the GUITAR track …"). */
export function tracksFromInstruction(instruction: string): string[] {
  const names = new Set<string>(TRACK_NAMES);
  const m =
    /generate the (.+?) track based on the audio context/i.exec(instruction) ??
    /extract the (.+?) track from the audio/i.exec(instruction) ??
    /complete the input track with (.+?):?\s*$/i.exec(instruction);
  if (!m) return [];
  return m[1]
    .split(/\s*(?:\||,|\band\b)\s*/i)
    .map((t) => t.trim().toLowerCase().replace(/\s+/g, "_"))
    .filter((t) => names.has(t));
}

function trackOf(s: BuildState): string {
  const t = tracksFromInstruction(s.p.instruction)[0];
  if (!t)
    throw new GenerationUnsupportedError(
      `task_type "${s.task}" needs the track in instruction, e.g. "${s.task === "lego" ? "Generate the GUITAR track based on the audio context:" : "Extract the VOCALS track from the audio:"}" (tracks: ${TRACK_NAMES.join(", ")})`,
    );
  return t;
}

function tracksOf(s: BuildState): string {
  const t = tracksFromInstruction(s.p.instruction);
  if (t.length === 0)
    throw new GenerationUnsupportedError(
      `task_type "complete" needs the tracks in instruction, e.g. "Complete the input track with DRUMS | BASS:" (tracks: ${TRACK_NAMES.join(", ")})`,
    );
  return t.join(", ");
}

/** The instruction the text node gets: "" (= from the task) unless the caller wrote their own. */
function textInstruction(s: BuildState): string {
  const i = s.p.instruction.trim();
  if (i === "" || i === DEFAULT_DIT_INSTRUCTION) return "";
  if (TASK_TRAITS[s.task].tracks !== "none") return ""; // the track goes to the task node
  if (i === generateInstruction(s.task)) return "";
  return i;
}

/**
 * Every GenerationParams field → its node params (or its effect). The test table in build-graph.test.ts walks
 * this map, so a field added to GenerationParams without an entry fails the type check.
 */
export const FIELD_MAP: Record<keyof GenerationParams, FieldMapping> = {
  taskType: {
    effect:
      "routing: picks the latent node (emptyLatent, cover, repaint, lego, extract, complete); cover and repaint skip the LM",
  },
  instruction: {
    params: [
      { node: "text", param: "instruction", value: textInstruction },
      {
        node: "latent",
        param: "track",
        value: (s) => (TASK_TRAITS[s.task].tracks === "one" ? trackOf(s) : undefined),
      },
      {
        node: "latent",
        param: "tracks",
        value: (s) => (TASK_TRAITS[s.task].tracks === "many" ? tracksOf(s) : undefined),
      },
    ],
    effect: "default instruction → the task's own; lego/extract/complete: the track name(s) parsed into the task node",
  },
  referenceAudio: {
    params: [{ node: "ref", param: "file", value: (s) => s.p.referenceAudio ?? undefined }],
    effect: "adds audio.load `ref` → referenceTimbre → sampler.timbre",
  },
  srcAudio: {
    params: [{ node: "src", param: "file", value: (s) => s.p.srcAudio ?? undefined }],
    effect: "adds audio.load `src` → the task node's audio input",
  },
  audioCodes: {
    params: [{ node: "codes", param: "codes" }],
    effect: "adds ace.audioCodes → the cover node's codes input; text2music with codes runs as cover; skips LM phase 2",
  },
  caption: { params: [song("caption")] },
  lyrics: { params: [song("lyrics")] },
  instrumental: { params: [song("instrumental", (s) => s.p.instrumental || lyricsMeanInstrumental(s.p.lyrics))] },
  vocalLanguage: { params: [song("language")] },
  bpm: { params: [song("bpm", (s) => s.p.bpm ?? 0)] },
  keyscale: { params: [song("keyscale", (s) => normalizeKeyscale(s.p.keyscale) ?? "")] },
  timesignature: { params: [song("timesignature", (s) => normalizeTimesignature(s.p.timesignature) ?? "")] },
  duration: {
    params: [
      song("duration", (s) => durationOf(s.p)),
      latent("duration", (s) => (s.latentTask === "text2music" && s.duration > 0 ? s.duration : undefined)),
    ],
    effect:
      "≤ 0: the LM's duration when the LM plans it, else 10–120 s derived from the seed (upstream: random), chosen when the graph is built",
  },
  inferenceSteps: { params: [sampler("steps")] },
  seed: {
    params: [
      sampler("seed", (s) => s.seeds[0]),
      sampler("seeds", (s) => s.seeds.join(", ")),
      { node: "lm", param: "seed", value: (s) => s.seeds[0], optional: true },
    ],
    effect: "fallback of config.seeds (resolveSeeds); the concrete per-item seeds go to the sampler",
  },
  guidanceScale: { params: [sampler("guidanceScale")] },
  useAdg: { params: [sampler("useAdg")] },
  cfgIntervalStart: { params: [sampler("cfgIntervalStart")] },
  cfgIntervalEnd: { params: [sampler("cfgIntervalEnd")] },
  shift: { params: [sampler("shift")] },
  inferMethod: { params: [sampler("inferMethod")] },
  samplerMode: { params: [sampler("samplerMode")] },
  coverNoiseStrength: { params: [sampler("coverNoiseStrength")] },
  timesteps: { params: [sampler("timesteps", (s) => (s.p.timesteps ? s.p.timesteps.join(", ") : ""))] },
  repaintingStart: {
    params: [latent("start", (s) => (TASK_TRAITS[s.task].window ? s.p.repaintingStart : undefined))],
  },
  repaintingEnd: {
    params: [latent("end", (s) => (TASK_TRAITS[s.task].window ? (s.p.repaintingEnd ?? -1) : undefined))],
  },
  repaintMode: {
    params: [sampler("repaintMode")],
    effect: "sampler: injection ratio, latent crossfade and waveform splice (resolveRepaintConfig)",
  },
  repaintStrength: { params: [sampler("repaintStrength")] },
  audioCoverStrength: {
    params: [latent("audioCoverStrength", (s) => (s.latentTask === "cover" ? s.p.audioCoverStrength : undefined))],
    effect: "cover only (the cover node); other tasks ignore it as upstream",
  },
  thinking: {
    params: [lm("thinking", (s) => s.lm.runCodes)],
    effect: "LM phase 2 (audio codes → cover conditioning); with use_cot_* off too, no LM node",
  },
  lmTemperature: { params: [lm("temperature")] },
  lmCfgScale: { params: [lm("cfgScale")] },
  lmTopK: { params: [lm("topK", (s) => s.p.lmTopK ?? 0)] },
  lmTopP: { params: [lm("topP", (s) => s.p.lmTopP ?? 1)] },
  lmNegativePrompt: { params: [lm("negativePrompt")] },
  useCotMetas: {
    params: [lm("useCotMetas")],
    effect: "phase 1 runs iff use_cot_metas and not all of bpm/keyscale/timesignature/duration are given",
  },
  useCotCaption: { params: [lm("useCotCaption")] },
  useCotLyrics: { effect: 'recorded only (upstream: "TODO: not used yet")' },
  useCotLanguage: { params: [lm("useCotLanguage")] },
  useConstrainedDecoding: { params: [lm("useConstrainedDecoding")] },
  cotBpm: { effect: "result: filled from the LM (audios[i].params.cot_bpm)" },
  cotKeyscale: { effect: "result: filled from the LM" },
  cotTimesignature: { effect: "result: filled from the LM" },
  cotDuration: { effect: "result: filled from the LM" },
  cotVocalLanguage: { effect: "result: filled from the LM" },
  cotCaption: { effect: "result: filled from the LM" },
  cotLyrics: { effect: "result: filled from the LM" },
};

/** Every GenerationConfig field → its node params (or its effect). */
export const CONFIG_FIELD_MAP: Record<keyof GenerationConfig, FieldMapping> = {
  batchSize: {
    params: [sampler("batchSize", (s) => s.c.batchSize), lm("batchSize", (s) => s.c.batchSize)],
    effect: "the batch travels through the sampler, decode and save nodes",
  },
  allowLmBatch: { effect: "recorded only (upstream stores it but generate_music never reads it at f30aee4)" },
  useRandomSeed: {
    params: [
      sampler("seed", (s) => s.seeds[0]),
      sampler("seeds", (s) => s.seeds.join(", ")),
      { node: "lm", param: "seed", value: (s) => s.seeds[0], optional: true },
    ],
    effect: "true: fresh random seeds, resolved when the graph is built",
  },
  seeds: {
    params: [
      sampler("seed", (s) => s.seeds[0]),
      sampler("seeds", (s) => s.seeds.join(", ")),
      { node: "lm", param: "seed", value: (s) => s.seeds[0], optional: true },
    ],
    effect: "padded with random seeds to batch_size (prepare_seeds)",
  },
  lmBatchChunkSize: {
    params: [{ node: "lm", param: "batchChunkSize", optional: true }],
    effect: "recorded (a GPU-memory knob upstream; lm.generate runs the batch its own way)",
  },
  constrainedDecodingDebug: { params: [lm("constrainedDecodingDebug")] },
  audioFormat: { params: [{ node: "save", param: "format" }] },
};

function durationOf(p: GenerationParams): number {
  return p.duration !== null && p.duration > 0 ? p.duration : -1;
}

// ---------------------------------------------------------------- routing

export interface GenerationPlan {
  /** The task that runs (text2music with codes → cover; cover without input → text2music). */
  task: TaskType;
  lm: LmPlan;
  /** Whether an LM node is in the graph (phase 1 and/or phase 2 run). */
  withLm: boolean;
  seeds: number[];
  seedValue: string;
  /** Seconds for a text2music latent: the user's, or (automatic) 10–120 s derived from the first seed. */
  duration: number;
  warnings: string[];
}

export function planGeneration(
  p: GenerationParams,
  c: GenerationConfig,
  registry: NodeRegistry,
  rand: SeedSource = randomSeed,
): GenerationPlan {
  const warnings: string[] = [];
  const hasCodes = p.audioCodes.trim() !== "" && parseAudioCodes(p.audioCodes).length > 0;
  if (p.audioCodes.trim() !== "" && !hasCodes)
    throw new GenerationUnsupportedError("audio_codes has no <|audio_code_N|> tokens");
  let task: TaskType = p.taskType;
  if (task === "cover" && !p.srcAudio && !hasCodes && !p.referenceAudio) {
    warnings.push("cover without src_audio, reference_audio or audio_codes runs as text2music (as upstream)");
    task = "text2music";
  }
  if (TASK_TRAITS[task].source === "required" && !p.srcAudio)
    throw new GenerationUnsupportedError(`task_type "${task}" needs src_audio (the source audio file)`);
  const lmAvailable = registry.has(NODE_TYPES.lm);
  const lmPlan = planLm(
    {
      caption: p.caption,
      lyrics: p.lyrics,
      bpm: p.bpm,
      keyscale: normalizeKeyscale(p.keyscale) ?? "",
      timesignature: normalizeTimesignature(p.timesignature) ?? "",
      duration: p.duration,
      vocalLanguage: p.vocalLanguage,
      thinking: p.thinking,
      useCotMetas: p.useCotMetas,
      useCotCaption: p.useCotCaption,
      useCotLanguage: p.useCotLanguage,
      useCotLyrics: p.useCotLyrics,
      audioCodes: p.audioCodes,
      taskType: task,
    },
    true,
  );
  let withLm = lmPlan.runCot || lmPlan.runCodes;
  if (withLm && !lmAvailable) {
    if (lmPlan.runCodes)
      throw new GenerationUnsupportedError(
        `thinking=true (LM audio codes) needs node "${NODE_TYPES.lm}", which this build does not have yet; set thinking=false`,
      );
    warnings.push(
      `use_cot_* switched off: node "${NODE_TYPES.lm}" is not available (upstream does the same without an LM)`,
    );
    withLm = false;
  }
  if (task === "text2music" && hasCodes) task = "cover";
  const seeds = resolveSeeds(
    { batchSize: c.batchSize, useRandomSeed: c.useRandomSeed, seeds: c.seeds, seed: p.seed },
    rand,
  );
  let duration = p.duration !== null && p.duration > 0 ? p.duration : -1;
  const lmGivesDuration = withLm && hasOutput(registry, NODE_TYPES.lm, "duration");
  if (duration === -1 && task === "text2music" && !(withLm && lmPlan.runCodes) && !lmGivesDuration) {
    // Upstream (acestep/handler.py, `random.uniform(10.0, 120.0)`): an unset duration is the LM's, or a random
    // 10–120 s from the unseeded global RNG. Here it follows the first item's seed, so the same seed gives the same
    // song length (a fresh random seed still gives a random one), and it is chosen now so the graph is replayable.
    const first = seeds.seeds[0];
    duration = 10 + ((first !== undefined && first >= 0 ? deriveSeed(first, "duration") : rand()) % 111);
    warnings.push(`duration not set: ${duration} s chosen from the seed (upstream picks a random 10–120 s)`);
  }
  return { task, lm: lmPlan, withLm, seeds: seeds.seeds, seedValue: seeds.seedValue, duration, warnings };
}

// ---------------------------------------------------------------- the builder

/** Which converted models the loader nodes pick (upstream: the handlers' config_path / lm_model_path). */
export interface ModelNames {
  dit?: string;
  /** LoRA adapters on the DiT, in order (Load LoRA nodes `lora0`, `lora1`, … between the DiT and the sampler). */
  loras?: { path: string; scale: number }[];
  lm?: string;
  vae?: string;
  textEncoder?: string;
}

export interface BuildOptions {
  registry?: NodeRegistry;
  /** Seed source for random seeds (tests). */
  rand?: SeedSource;
  /** File name prefix of the saved audio. */
  prefix?: string;
  /** Model folder names for the loaders (empty = the default of each kind; DiT: turbo first). */
  models?: ModelNames;
  /** Concrete per-item seeds (skips seed resolution; the library passes the seeds its keys were computed with). */
  seeds?: number[];
}

export interface BuiltGeneration {
  graph: Graph;
  plan: GenerationPlan;
}

let defaultRegistry: NodeRegistry | undefined;
const PARAM_DEFAULTS = zGenerationParamsObject.parse({}) as unknown as Record<string, unknown>;
const CONFIG_DEFAULTS = zGenerationConfigObject.parse({}) as unknown as Record<string, unknown>;

/** The graph for a generation request (graph JSON v1; open it in the editor or run it with the CLI). */
export function buildGenerationGraph(
  params: GenerationParams,
  config: GenerationConfig,
  opts: BuildOptions = {},
): Graph {
  return buildGeneration(params, config, opts).graph;
}

export function buildGeneration(p: GenerationParams, c: GenerationConfig, opts: BuildOptions = {}): BuiltGeneration {
  const registry = opts.registry ?? (defaultRegistry ??= createDefaultRegistry());
  const plan = planGeneration(p, c, registry, opts.rand);
  if (opts.seeds) {
    if (opts.seeds.length !== c.batchSize)
      throw new RangeError(`${opts.seeds.length} seeds given for batch_size ${c.batchSize}`);
    plan.seeds = [...opts.seeds];
    plan.seedValue = plan.seeds.join(", ");
  }
  const { task } = plan;
  const nodes: Record<string, GraphNode> = {};
  const link = (node: string, output: string) => ({ node, output });
  const need = (id: string, type: string, why: string) => {
    if (!registry.has(type))
      throw new GenerationUnsupportedError(`${why} needs node "${type}", which this build does not have yet`);
    nodes[id] = { type, params: {}, inputs: {} };
    return nodes[id];
  };
  const hasCodes = p.audioCodes.trim() !== "";

  // loaders
  need("textEncoder", NODE_TYPES.textEncoder, "text conditioning");
  need("dit", NODE_TYPES.dit, "generation");
  need("vae", NODE_TYPES.vae, "decoding audio");
  need("song", NODE_TYPES.song, "caption/lyrics/metadata");

  const models = opts.models ?? {};
  if (models.textEncoder) nodes.textEncoder.params = { name: models.textEncoder };
  if (models.dit) nodes.dit.params = { name: models.dit };
  if (models.vae) nodes.vae.params = { name: models.vae };
  let ditSource = "dit";
  (models.loras ?? []).forEach((l, i) => {
    const n = need(`lora${i}`, NODE_TYPES.lora, "loras");
    n.params = { file: l.path, scale: l.scale };
    n.inputs = { dit: link(ditSource, "dit") };
    ditSource = `lora${i}`;
  });

  // LM (planner)
  let songSource = "song";
  if (plan.withLm) {
    need("lmModel", NODE_TYPES.lmModel, "the LM");
    if (models.lm) nodes.lmModel.params = { name: models.lm };
    const n = need(
      "lm",
      NODE_TYPES.lm,
      plan.lm.runCodes ? "thinking=true (LM audio codes)" : "use_cot_* (LM metadata)",
    );
    n.inputs = { lm: link("lmModel", "lm"), song: link("song", "song") };
    songSource = "lm";
  }

  // sources
  if (p.srcAudio && task !== "text2music") need("src", NODE_TYPES.src, "src_audio");
  else if (p.srcAudio) plan.warnings.push("src_audio is ignored by text2music");
  if (p.referenceAudio) {
    need("ref", NODE_TYPES.ref, "reference_audio");
    const t = need("timbre", NODE_TYPES.timbre, "reference_audio (timbre)");
    t.inputs = { vae: link("vae", "vae"), audio: link("ref", "audio") };
    t.params = { seed: plan.seeds[0] };
  }
  if (hasCodes) need("codes", NODE_TYPES.codes, "audio_codes");

  // task → latent. LM codes turn text2music into cover conditioning (handler.py: codes present → cover).
  const lmCodes = plan.withLm && plan.lm.runCodes && task === "text2music";
  const latentTask: TaskType = lmCodes ? "cover" : task;
  const lat = need(
    "latent",
    TASK_NODE_TYPES[latentTask],
    lmCodes ? "thinking=true (text2music with LM codes runs as cover)" : `task_type "${task}"`,
  );
  lat.inputs = { dit: link("dit", "dit") };
  if (latentTask !== "text2music") {
    lat.inputs.vae = link("vae", "vae");
    if (lmCodes) lat.inputs.codes = link("lm", "codes");
    else if (task === "cover" && hasCodes) lat.inputs.codes = link("codes", "codes");
    else if (p.srcAudio) lat.inputs.audio = link("src", "audio");
  }
  const durationLink =
    p.duration !== null && p.duration > 0
      ? null
      : plan.withLm && hasOutput(registry, NODE_TYPES.lm, "duration")
        ? link("lm", "duration")
        : null;
  if (durationLink && latentTask === "text2music") lat.inputs.duration = durationLink;

  // conditioning
  const text = need("text", NODE_TYPES.text, "text conditioning");
  text.inputs = {
    textEncoder: link("textEncoder", "textEncoder"),
    song: link(songSource, "song"),
    latent: link("latent", "latent"),
  };
  const lyr = need("lyrics", NODE_TYPES.lyrics, "lyrics conditioning");
  lyr.inputs = { textEncoder: link("textEncoder", "textEncoder"), song: link(songSource, "song") };

  // sampler, decode, save
  const smp = need("sampler", NODE_TYPES.sampler, "the DiT sampler");
  smp.inputs = {
    dit: link(ditSource, "dit"),
    latent: link("latent", "latent"),
    text: link("text", "conditioning"),
    lyrics: link("lyrics", "conditioning"),
  };
  if (p.referenceAudio) smp.inputs.timbre = link("timbre", "timbre");
  // One decode and one save for the whole batch (AUDIO values carry every item; Save Audio writes each).
  const dec = need("decode", NODE_TYPES.decode, "decoding audio");
  dec.inputs = { vae: link("vae", "vae"), latent: link("sampler", "latent") };
  const save = need("save", NODE_TYPES.save, "saving audio");
  save.inputs = { audio: link("decode", "audio") };
  save.params = { prefix: opts.prefix ?? "" };

  // the field table
  const state: BuildState = {
    p,
    c,
    task,
    latentTask,
    duration: plan.duration,
    seeds: plan.seeds,
    lm: plan.lm,
    withLm: plan.withLm,
  };
  const apply = (
    field: string,
    m: FieldMapping,
    source: Record<string, unknown>,
    defaults: Record<string, unknown>,
  ) => {
    for (const t of m.params ?? []) {
      for (const id of [t.node]) {
        const node = nodes[id];
        if (!node) continue;
        const value = t.value ? t.value(state) : source[field];
        if (value === undefined) continue;
        if (t.optional && !declares(registry, node.type, t.param)) continue;
        setParam(
          registry,
          id,
          node,
          t.param,
          value,
          field,
          JSON.stringify(source[field]) === JSON.stringify(defaults[field]),
        );
      }
    }
  };
  for (const [field, m] of Object.entries(FIELD_MAP))
    apply(field, m, p as unknown as Record<string, unknown>, PARAM_DEFAULTS);
  for (const [field, m] of Object.entries(CONFIG_FIELD_MAP))
    apply(field, m, c as unknown as Record<string, unknown>, CONFIG_DEFAULTS);
  for (const [id, node] of Object.entries(nodes)) {
    if (node.params && Object.keys(node.params).length === 0) delete node.params;
    if (node.inputs && Object.keys(node.inputs).length === 0) delete node.inputs;
    for (const name of Object.keys(node.params ?? {}))
      if (!declares(registry, node.type, name)) delete node.params![name];
    for (const port of Object.keys(node.inputs ?? {}))
      if (!hasPort(registry, node.type, port)) {
        throw new GenerationUnsupportedError(
          `node "${node.type}" (graph node "${id}") has no input "${port}" that this request needs`,
        );
      }
  }

  const graph: Graph = {
    version: 1,
    meta: {
      name: `${task} — ${p.caption.slice(0, 60) || "untitled"}`,
      description:
        "Built by the ACE-Step Studio library API (generateMusic) from GenerationParams and GenerationConfig.",
    },
    nodes,
  };
  return { graph, plan };
}

function declares(registry: NodeRegistry, type: string, param: string): boolean {
  const def = registry.get(type);
  return !!def && Object.prototype.hasOwnProperty.call(def.params, param);
}

function hasOutput(registry: NodeRegistry, type: string, port: string): boolean {
  const def = registry.get(type);
  return !!def && Object.prototype.hasOwnProperty.call(def.outputs, port);
}

function hasPort(registry: NodeRegistry, type: string, port: string): boolean {
  const def = registry.get(type);
  return (
    !!def &&
    (Object.prototype.hasOwnProperty.call(def.inputs, port) || Object.prototype.hasOwnProperty.call(def.params, port))
  );
}

/** Sets a node param when the node declares it; a non-default value for an undeclared param is refused. */
function setParam(
  registry: NodeRegistry,
  id: string,
  node: GraphNode,
  param: string,
  value: unknown,
  field: string,
  isDefault: boolean,
): void {
  const def = registry.get(node.type);
  if (!def) return;
  const schema = (def.params as Record<string, z.ZodType>)[param];
  if (!schema) {
    // Tolerated while the value is the upstream default: nothing is lost.
    if (isDefault) return;
    throw new GenerationUnsupportedError(
      `${camelToSnake(field)} needs param "${param}" on node "${node.type}" (graph node "${id}"), which it does not declare yet`,
    );
  }
  const r = schema.safeParse(value);
  if (!r.success)
    throw new GenerationUnsupportedError(
      `${camelToSnake(field)}=${JSON.stringify(value)} is refused by node "${node.type}" param "${param}": ${r.error.issues[0]?.message}`,
    );
  node.params = { ...(node.params ?? {}), [param]: value as never };
}
