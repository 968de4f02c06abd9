// The library API: generateMusic, understandMusic, createSample, formatSample and buildGraph — the official
// inference API (acestep/inference.py) in TypeScript, run as graphs of the editor's nodes on the engine.
// User errors never throw: they come back as success=false with a readable error.
import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { createAppContext, type AppContext } from "../app-context";
import { GraphInvalidError } from "../runs/service";
import { QueueFullError } from "../runs/queue";
import type { ExecuteOutcome } from "../engine/engine";
import type { EngineEvent } from "../engine/events";
import { progressTracker, type ProgressCallback } from "./progress";
import type { Graph, GraphNode } from "../graph/format";
import type { AudioCodesValue, AudioValue, SongValue } from "../../nodes/values";
import { confinePath, PathEscapeError } from "../files/confine";
import { checkAudioFile, hashFile, InputFileError, shownPath } from "./input-files";
import { formatAudioCodes } from "../acestep/codes/audio-codes";
import { generateUuidFromParams } from "../audio/result-key";
import { scale } from "../audio/levels";
import { mergeLmOutputs } from "../lm/use-cot";
import type { SeedSource } from "../acestep/sampling/seeds";
import {
  keyDict,
  TIME_COST_KEYS,
  emptyLmTextResult,
  normalizeKeyscale,
  normalizeTimesignature,
  safeParseGenerationConfig,
  safeParseGenerationParams,
  type CreateSampleResult,
  type FormatSampleResult,
  type GeneratedAudio,
  type GenerationConfig,
  type GenerationConfigInput,
  type GenerationParams,
  type GenerationParamsInput,
  type GenerationResult,
  type LmMetadata,
  type ParamIssue,
  type TimeCosts,
  type UnderstandResult,
} from "./params";
import { GenerationUnsupportedError, buildGeneration, NODE_TYPES, type ModelNames } from "./build-graph";
import { LoraFormatError } from "../models/lora/adapter";
import { stageLoraPath } from "../models/lora/locate";

export * from "./params";
export type { ProgressCallback, ProgressInfo } from "./progress";
export { InputFileError } from "./input-files";
export {
  buildGenerationGraph,
  buildGeneration,
  planGeneration,
  FIELD_MAP,
  CONFIG_FIELD_MAP,
  NODE_TYPES,
  TASK_NODE_TYPES,
  GenerationUnsupportedError,
  type ModelNames,
} from "./build-graph";

// ---------------------------------------------------------------- the engine the library runs on

let defaultApp: AppContext | undefined;

/** The process-wide context the library uses when none is given (data folder and models from the environment). */
export function defaultAppContext(): AppContext {
  return (defaultApp ??= createAppContext());
}

/** Closes the default context (database, model sessions); call it before a script exits. */
export async function closeDefaultApp(): Promise<void> {
  const a = defaultApp;
  defaultApp = undefined;
  await a?.close();
}

export interface LibraryOptions {
  /** The application context (store, engine, models); default: one created from the environment. */
  app?: AppContext;
  /** Cancels the run. */
  signal?: AbortSignal;
  /**
   * Audio paths outside the data folder: "copy" (default for the library: copied into uploads/, as upstream
   * reads any local path) or "refuse" (the REST facade).
   */
  outsidePaths?: "copy" | "refuse";
  /**
   * Runs the graphs inside a run that is already executing (a queued REST task) instead of queueing runs of
   * their own: a job must not wait in the queue behind itself.
   */
  inside?: InsideRun;
  /**
   * upstream's `progress` argument: called per stage (graph node) and per step with the job's overall fraction
   * (0–1, never decreasing), a description and the stage (server/api/progress.ts).
   */
  progress?: ProgressCallback;
  /**
   * upstream offload_to_cpu (initialize_service: models wait on the CPU and move to the accelerator for their
   * stage): the graph's model loaders get `offload`, so before each node the model manager releases the sessions
   * the rest of the run does not need, whatever the memory tier; they load again when needed (the next run).
   */
  offloadToCpu?: boolean;
}

/** The model loader node types (their `offload` param is offload_to_cpu). */
const LOADER_TYPES = new Set<string>([NODE_TYPES.dit, NODE_TYPES.vae, NODE_TYPES.textEncoder, NODE_TYPES.lmModel]);

/** A run that executes now and can execute graphs as part of itself (RunService's JobContext). */
export interface InsideRun {
  runId: string;
  runGraph(graph: Graph): Promise<ExecuteOutcome>;
}

/**
 * Runs a graph through the run queue (as every entry point does) or inside `opts.inside`. A graph the engine
 * refuses or a full queue comes back as `refused`.
 */
async function runOnEngine(
  app: AppContext,
  graph: Graph,
  opts: LibraryOptions,
): Promise<{ runId: string; outcome: ExecuteOutcome | undefined } | { refused: GraphInvalidError | QueueFullError }> {
  if (opts.offloadToCpu)
    for (const n of Object.values(graph.nodes))
      if (LOADER_TYPES.has(n.type)) n.params = { ...(n.params ?? {}), offload: true };
  const track = opts.progress ? progressTracker(graph, opts.progress) : undefined;
  if (opts.inside) {
    const inside = opts.inside;
    // follow this graph's events on the enclosing run: those after the ones already stored
    const follow = track ? followEvents(app, inside.runId, app.store.lastEventSeq(inside.runId), track) : undefined;
    try {
      const outcome = await inside.runGraph(graph);
      await follow?.stop();
      if (outcome.status === "finished") track?.({ type: "run.finished", ms: 0 });
      return { runId: inside.runId, outcome };
    } catch (e) {
      if (e instanceof GraphInvalidError) return { refused: e };
      throw e;
    } finally {
      await follow?.stop();
    }
  }
  let runId: string;
  try {
    runId = app.runs.start({ graph }).runId;
  } catch (e) {
    if (e instanceof GraphInvalidError || e instanceof QueueFullError) return { refused: e };
    throw e;
  }
  const onAbort = () => app.runs.cancel(runId);
  opts.signal?.addEventListener("abort", onAbort);
  try {
    if (track) for await (const e of app.runs.events(runId, 0)) track(e.event);
    else await app.runs.waitFor(runId);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  return { runId, outcome: app.runs.takeOutcome(runId) };
}

/** Feeds a run's events after `afterSeq` to `track` until stopped; stop() delivers the ones still stored. */
function followEvents(app: AppContext, runId: string, afterSeq: number, track: (e: EngineEvent) => void) {
  const ac = new AbortController();
  let seen = afterSeq;
  const loop = (async () => {
    for await (const e of app.runs.events(runId, afterSeq, ac.signal)) {
      seen = e.seq;
      track(e.event);
    }
  })();
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      return (stopped ??= (async () => {
        ac.abort();
        await loop;
        for (const e of app.store.eventsAfter(runId, seen)) track(e.event);
      })());
    },
  };
}

export interface GenerateOptions extends LibraryOptions {
  /** Model folder names (upstream: the DiT handler's config_path and the LM's lm_model_path). */
  models?: ModelNames;
  /** LoRA adapters on the DiT, each with its scale (upstream: the handler's load_lora + lora_scale); stacked in order. */
  loras?: { path: string; scale: number }[];
  /** Seed source for random seeds (tests). */
  rand?: SeedSource;
  /** Called with the run id as soon as the run is queued. */
  onRun?: (runId: string) => void;
  /** How the key hash writes whole-number floats: as a Python caller would ("python") or as the REST server ("rest"). */
  keyMode?: "python" | "rest";
  /**
   * upstream generate_music(save_dir): each saved result is also written as `{saveDir}/{key}.{format}` (the folder
   * is created; a relative folder is taken from the working directory, as Python's os.path.join), and `path` /
   * `absolutePath` name that file. Without it the files stay in the run's folder under the data folder (upstream
   * writes none then; the editor and REST serve them from there).
   */
  saveDir?: string;
}

// ---------------------------------------------------------------- input files

/**
 * An audio path as upstream takes it (any local path) → a path inside the data folder for audio.load. The file is
 * checked (exists, readable, at most `maxBytes`, audio by content) before anything is copied.
 */
export function stageAudioPath(
  dataDir: string,
  field: string,
  path: string,
  outside: "copy" | "refuse",
  maxBytes: number,
): string {
  const root = resolve(dataDir);
  let rel: string | null = null;
  if (isAbsolute(path)) {
    const full = resolve(path);
    if (full.startsWith(root + sep)) rel = relative(root, full).split(sep).join("/");
  } else rel = path;
  if (rel !== null) {
    let full: string;
    try {
      full = confinePath(root, rel);
    } catch (e) {
      if (e instanceof PathEscapeError) throw new InputFileError(field, `${field}: ${e.message}`);
      throw e;
    }
    checkAudioFile(field, full, path, maxBytes);
    return rel;
  }
  if (outside === "refuse")
    throw new InputFileError(
      field,
      `${field}: "${shownPath(path)}" is outside the data folder (upload it, or give a path inside the data folder)`,
    );
  const { format } = checkAudioFile(field, path, path, maxBytes);
  const hash = hashFile(path).slice(0, 16);
  const base =
    basename(path, extname(path))
      .replace(/[^A-Za-z0-9_-]+/g, "_")
      .slice(0, 60) || "audio";
  const staged = `uploads/${hash}-${base}.${format}`;
  try {
    mkdirSync(join(root, "uploads"), { recursive: true });
    if (!existsSync(join(root, staged))) copyFileSync(path, join(root, staged));
  } catch (e) {
    throw new InputFileError(
      field,
      `${field}: cannot copy "${shownPath(path)}" into the data folder (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  return staged;
}

// ---------------------------------------------------------------- generateMusic

function failure(error: string, extra: Partial<GenerationResult["extraOutputs"]> = {}): GenerationResult {
  return {
    audios: [],
    statusMessage: `Error: ${error}`,
    extraOutputs: { timeCosts: {}, lmMetadata: null, seedValue: "", runId: null, graph: null, warnings: [], ...extra },
    success: false,
    error,
  };
}

const issuesText = (what: string, issues: ParamIssue[]) =>
  `invalid ${what}: ${issues.map((i) => (i.message.includes(i.field) ? i.message : `${i.field}: ${i.message}`)).join("; ")}`;

/** The upstream key of one item: a UUID from its params dict (its seed and codes filled in). */
export function itemKey(itemParams: GenerationParams, mode: "python" | "rest" = "python"): string {
  return generateUuidFromParams(keyDict(itemParams, mode));
}

/** A graph for the request, without running it (save it and open it in the editor). */
export function buildGraph(
  params: GenerationParamsInput | Record<string, unknown>,
  config: GenerationConfigInput | Record<string, unknown> = {},
  opts: { app?: AppContext; rand?: SeedSource; models?: ModelNames } = {},
): Graph {
  const p = safeParseGenerationParams(params);
  if (!p.ok) throw new Error(issuesText("GenerationParams", p.issues));
  const c = safeParseGenerationConfig(config);
  if (!c.ok) throw new Error(issuesText("GenerationConfig", c.issues));
  return prepare(p.value, c.value, { registry: opts.app?.registry, rand: opts.rand, models: opts.models }).built.graph;
}

function prepare(
  p: GenerationParams,
  c: GenerationConfig,
  o: { registry?: AppContext["registry"]; rand?: SeedSource; models?: ModelNames },
) {
  const built = buildGeneration(p, c, { registry: o.registry, rand: o.rand, models: o.models });
  const itemParams = built.plan.seeds.map((seed) => ({ ...p, seed }));
  return { built, itemParams };
}

/** generate_music(params, config): builds the graph, runs it on the engine and collects the audios. */
export async function generateMusic(
  params: GenerationParamsInput | Record<string, unknown>,
  config: GenerationConfigInput | Record<string, unknown> = {},
  opts: GenerateOptions = {},
): Promise<GenerationResult> {
  const pr = safeParseGenerationParams(params);
  if (!pr.ok) return failure(issuesText("GenerationParams", pr.issues));
  const cr = safeParseGenerationConfig(config);
  if (!cr.ok) return failure(issuesText("GenerationConfig", cr.issues));
  let p = pr.value;
  const c = cr.value;
  const app = opts.app ?? defaultAppContext();
  try {
    const outside = opts.outsidePaths ?? "copy";
    if (p.srcAudio)
      p = {
        ...p,
        srcAudio: stageAudioPath(app.config.dataDir, "src_audio", p.srcAudio, outside, app.config.maxUploadBytes),
      };
    if (p.referenceAudio)
      p = {
        ...p,
        referenceAudio: stageAudioPath(
          app.config.dataDir,
          "reference_audio",
          p.referenceAudio,
          outside,
          app.config.maxUploadBytes,
        ),
      };
  } catch (e) {
    if (e instanceof InputFileError) return failure(e.message);
    throw e;
  }
  if (opts.saveDir !== undefined) {
    if (typeof opts.saveDir !== "string" || opts.saveDir.trim() === "")
      return failure(`save_dir must be a folder path, got ${JSON.stringify(opts.saveDir)}`);
    try {
      mkdirSync(opts.saveDir, { recursive: true });
    } catch (e) {
      return failure(
        `save_dir: cannot create "${shownPath(opts.saveDir)}" (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  let models = opts.models;
  if (opts.loras?.length) {
    try {
      const loras = opts.loras.map((l) => ({
        path: stageLoraPath(app.config.dataDir, l.path, opts.outsidePaths ?? "copy"),
        scale: l.scale,
      }));
      models = { ...models, loras: [...(models?.loras ?? []), ...loras] };
    } catch (e) {
      if (e instanceof LoraFormatError) return failure(e.message);
      throw e;
    }
  }
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(p, c, { registry: app.registry, rand: opts.rand, models });
  } catch (e) {
    if (e instanceof GenerationUnsupportedError || e instanceof RangeError) return failure(e.message);
    throw e;
  }
  const { built } = prepared;
  const { plan } = built;
  // Results and keys carry the params as the caller gave them (upstream hashes the given src_audio string).
  prepared.itemParams = plan.seeds.map((seed) => ({ ...pr.value, seed }));
  const extra = { seedValue: plan.seedValue, graph: built.graph, warnings: plan.warnings };

  const ran = await runOnEngine(app, built.graph, opts);
  if ("refused" in ran) {
    const e = ran.refused;
    return failure(
      e instanceof GraphInvalidError
        ? `the generation graph is not valid for this build: ${e.issues.map((i) => i.message).join("; ")}`
        : e.message,
      extra,
    );
  }
  const { runId, outcome } = ran;
  opts.onRun?.(runId);
  const runExtra = { ...extra, runId };
  if (!outcome || outcome.status === "cancelled") return failure("the generation was cancelled", runExtra);
  if (outcome.status === "failed") {
    const e = outcome.error;
    const node = e ? built.graph.nodes[e.nodeId] : undefined;
    const msg = e
      ? `${node ? `${e.nodeId} (${node.type})` : e.nodeId}${e.field ? ` ${e.field}` : ""}: ${e.message}`
      : "the run failed";
    return failure(msg, runExtra);
  }
  return collect(app, p, built, prepared.itemParams, outcome, runId, opts.keyMode ?? "python", opts.saveDir);
}

function lmOutputs(outcome: ExecuteOutcome): { song?: SongValue; codes?: AudioCodesValue } {
  const o = outcome.outputs.get("lm") as Record<string, unknown> | undefined;
  if (!o) return {};
  return { song: o.song as SongValue | undefined, codes: o.codes as AudioCodesValue | undefined };
}

export function songToLmMetadata(song: SongValue | undefined): LmMetadata | null {
  if (!song) return null;
  const m: LmMetadata = {};
  if (song.bpm != null) m.bpm = song.bpm;
  if (song.caption) m.caption = song.caption;
  if (song.duration != null) m.duration = song.duration;
  if (song.keyscale) m.keyscale = song.keyscale;
  if (song.language) m.language = song.language;
  if (song.timesignature) m.timesignature = song.timesignature;
  return m;
}

/** time_costs from the engine's per-node timings (seconds, upstream keys). */
export function timeCostsOf(
  graph: Graph,
  outcome: ExecuteOutcome,
  inferenceSteps: number,
  lmPhases?: { phase1?: number; phase2?: number },
): TimeCosts {
  const sec = (ids: string[]) => ids.reduce((a, id) => a + (outcome.timings[id]?.ms ?? 0), 0) / 1000;
  const has = (id: string) => id in graph.nodes;
  const t: TimeCosts = {};
  if (has("lm")) {
    t.lm_total_time = sec(["lm", "lmModel"]);
    if (lmPhases?.phase1 !== undefined) t.lm_phase1_time = lmPhases.phase1;
    if (lmPhases?.phase2 !== undefined) t.lm_phase2_time = lmPhases.phase2;
  }
  const encoders = ["text", "lyrics", "timbre", "latent", "codes", "src", "ref"].filter(has);
  t.dit_encoder_time_cost = sec(encoders);
  t.dit_diffusion_time_cost = sec(["sampler"]);
  t.dit_diffusion_per_step_time_cost = inferenceSteps > 0 ? t.dit_diffusion_time_cost / inferenceSteps : 0;
  t.dit_vae_decode_time_cost = sec(["decode"]);
  t.dit_offload_time_cost = 0;
  t.dit_total_time_cost =
    t.dit_encoder_time_cost +
    t.dit_diffusion_time_cost +
    t.dit_vae_decode_time_cost +
    sec(["dit", "vae", "textEncoder"]);
  t.pipeline_total_time = (t.lm_total_time ?? 0) + t.dit_total_time_cost;
  for (const k of TIME_COST_KEYS) if (t[k] !== undefined) t[k] = Math.round(t[k]! * 1e6) / 1e6;
  return t;
}

/**
 * The saved file under its upstream name `{key}.{format}` next to where Save Audio wrote it (upstream inference.py
 * generate_music: os.path.join(save_dir, f"{audio_key}.{file_ext}")). A hard link (a copy where links fail), so the
 * run's own result path stays valid; two items with the same key share one file, the later one written, as upstream.
 */
function keyNamedFile(app: AppContext, runId: string, saved: string, key: string): string {
  const dataDir = app.config.dataDir;
  const ext = extname(saved);
  const named = `${dirname(saved)}/${key}${ext}`;
  if (named === saved) return saved;
  const from = join(dataDir, saved);
  const to = join(dataDir, named);
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
  // recorded as the run's output (kind "alias"), so the file routes serve it like the file it names
  app.store.addOutput({ runId, nodeId: "save", path: named, kind: "alias", meta: { aliasOf: saved, key } });
  return named;
}

/**
 * The samples as written: the decoded item times the gain Save Audio applied (its anti-clip, reported per item),
 * so `samples` equal the file before encoding — upstream returns the anti-clipped tensor it saves (acestep/handler.py
 * generate_music: pred_wavs divided by the item's peak above 1.0, then saved). Repaint's kept source is untouched:
 * the decode node anti-clips each item before splicing the source back in (nodes/audio/vae.ts), so the gain here is 1.
 */
function writtenSamples(channels: Float32Array[], gain: unknown): Float32Array[] {
  return typeof gain === "number" && Number.isFinite(gain) && gain !== 1
    ? scale({ sampleRate: 0, channels }, gain).channels
    : channels;
}

/**
 * save_dir: the saved file copied to `{saveDir}/{key}{ext}` (upstream inference.py generate_music:
 * os.path.join(save_dir, f"{audio_key}.{audio_format}"); the same key twice writes one file, the later item last).
 * A file that cannot be written gives path "" and a warning, as upstream logs the error and returns path "".
 */
function copyToSaveDir(from: string, saveDir: string, key: string): string | { warning: string } {
  const to = join(saveDir, `${key}${extname(from)}`);
  try {
    copyFileSync(from, to);
    return to;
  } catch (e) {
    return { warning: `save_dir: cannot write "${shownPath(to)}" (${(e as NodeJS.ErrnoException).code ?? "error"})` };
  }
}

/** Each batch item's channels from the decode node's AUDIO value. */
function decodedItems(outcome: ExecuteOutcome): { sampleRate: number; items: Float32Array[][] } | undefined {
  const a = (outcome.outputs.get("decode") as { audio?: AudioValue } | undefined)?.audio;
  if (!a) return undefined;
  return { sampleRate: a.sampleRate, items: a.batch ?? [a.channels] };
}

function collect(
  app: AppContext,
  p: GenerationParams,
  built: ReturnType<typeof buildGeneration>,
  itemParams: GenerationParams[],
  outcome: ExecuteOutcome,
  runId: string,
  keyMode: "python" | "rest",
  saveDir?: string,
): GenerationResult {
  const { plan, graph } = built;
  const lmOut = lmOutputs(outcome);
  const lmMetadata = songToLmMetadata(lmOut.song);
  const merged = plan.withLm
    ? mergeLmOutputs(
        {
          caption: p.caption,
          lyrics: p.lyrics,
          bpm: p.bpm,
          keyscale: normalizeKeyscale(p.keyscale) ?? "",
          timesignature: normalizeTimesignature(p.timesignature) ?? "",
          duration: p.duration !== null && p.duration > 0 ? p.duration : null,
          vocalLanguage: p.vocalLanguage === "unknown" ? "" : p.vocalLanguage,
          thinking: p.thinking,
          useCotMetas: p.useCotMetas,
          useCotCaption: p.useCotCaption,
          useCotLanguage: p.useCotLanguage,
          audioCodes: p.audioCodes,
          taskType: plan.task,
        },
        lmOut.song ? ({ ...lmMetadata, lyrics: lmOut.song.lyrics } as never) : null,
      )
    : null;
  const audios: GeneratedAudio[] = [];
  const decoded = decodedItems(outcome);
  // The seeds the sampler reports it used are the truth (they equal the planned ones unless the node re-drew them).
  const used = (outcome.outputs.get("sampler") as { latent?: { meta?: { seeds?: unknown } } } | undefined)?.latent?.meta
    ?.seeds;
  let seedValue = plan.seedValue;
  if (Array.isArray(used) && used.length === itemParams.length && used.every((x) => Number.isInteger(x))) {
    if (used.some((x, i) => x !== itemParams[i].seed)) {
      plan.warnings.push(`the sampler used seeds ${used.join(", ")} instead of the planned ${plan.seedValue}`);
      itemParams = itemParams.map((ip, i) => ({ ...ip, seed: used[i] as number }));
      seedValue = used.join(", ");
    }
  }
  // Save Audio reports one result per batch item, in order: a file, or a "silent, not saved" note.
  const saveResults = (outcome.results.save ?? []).filter(
    (x) => (x.kind === "audio" && x.path) || x.meta?.silent === true,
  );
  itemParams.forEach((base, i) => {
    let ip: GenerationParams = { ...base };
    const codes = lmOut.codes?.codes[i];
    if (codes && plan.lm.runCodes) ip.audioCodes = formatAudioCodes(codes);
    if (merged) {
      const cot = merged.cot;
      ip = {
        ...ip,
        cotBpm: cot.cot_bpm ?? null,
        cotKeyscale: cot.cot_keyscale,
        cotTimesignature: cot.cot_timesignature,
        cotDuration: cot.cot_duration ?? null,
        cotVocalLanguage: cot.cot_vocal_language,
        cotCaption: cot.cot_caption,
        cotLyrics: cot.cot_lyrics,
      };
    }
    const r = saveResults[i];
    const key = itemKey(ip, keyMode);
    const item = decoded?.items[i];
    let path = r?.kind === "audio" && r.path ? keyNamedFile(app, runId, r.path, key) : "";
    let absolutePath = path ? join(app.config.dataDir, path) : "";
    if (path && saveDir !== undefined) {
      const copied = copyToSaveDir(absolutePath, saveDir, key);
      if (typeof copied === "string") [path, absolutePath] = [copied, resolve(copied)];
      else {
        plan.warnings.push(copied.warning);
        [path, absolutePath] = ["", ""];
      }
    }
    audios.push({
      path,
      absolutePath,
      key,
      sampleRate: Number(r?.meta?.sampleRate ?? decoded?.sampleRate ?? 48000),
      params: ip,
      samples: item ? writtenSamples(item, r?.meta?.gain) : undefined,
      silent: r?.meta?.silent === true,
    });
  });
  const lmMeta = (outcome.results.lm ?? []).find((x) => x.kind === "song")?.meta;
  const lmPhases = lmMeta ? { phase1: msToS(lmMeta.cotMs), phase2: msToS(lmMeta.codesMs) } : undefined;
  const timeCosts = timeCostsOf(graph, outcome, p.inferenceSteps, lmPhases);
  const saved = audios.filter((a) => a.path).length;
  // length adjustments (128-frame minimum, rounding) reported by the task and sampler nodes
  const notes = (outcome.outputs.get("sampler") as { latent?: { meta?: { notes?: unknown } } } | undefined)?.latent
    ?.meta?.notes;
  const adjusted = Array.isArray(notes) ? notes.filter((n): n is string => typeof n === "string") : [];
  plan.warnings.push(...adjusted);
  const suffix = adjusted.length ? `; ${adjusted.join("; ")}` : "";
  return {
    audios,
    statusMessage: `Generated ${saved} of ${audios.length} audio${audios.length === 1 ? "" : "s"} (${plan.task}${plan.withLm ? ", with LM" : ""}) in ${timeCosts.pipeline_total_time?.toFixed(2)} s${suffix}`,
    extraOutputs: { timeCosts, lmMetadata, seedValue, runId, graph, warnings: plan.warnings },
    success: true,
    error: null,
  };
}

const msToS = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v / 1000 : undefined);

// ---------------------------------------------------------------- LM helpers

export const LM_HELPER_NODES = {
  understand: "lm.understand",
  createSample: "lm.createSample",
  formatSample: "lm.formatSample",
} as const;

export interface LmHelperOptions extends LibraryOptions {
  /** Model folder names: the LM, and for audio input the DiT (its audio tokenizer) and the VAE. */
  models?: Pick<ModelNames, "lm" | "dit" | "vae">;
  temperature?: number;
  topK?: number | null;
  topP?: number | null;
  repetitionPenalty?: number;
  useConstrainedDecoding?: boolean;
  constrainedDecodingDebug?: boolean;
}

function lmHelperFailure(error: string): UnderstandResult {
  return { ...emptyLmTextResult(), statusMessage: `Error: ${error}`, success: false, error };
}

function checkSampling(o: LmHelperOptions): string | null {
  if (o.temperature !== undefined && !(o.temperature >= 0 && o.temperature <= 2))
    return `temperature must be 0.0–2.0, got ${o.temperature}`;
  if (o.topK != null && !(Number.isInteger(o.topK) && o.topK >= 0))
    return `top_k must be a whole number ≥ 0, got ${o.topK}`;
  if (o.topP != null && !(o.topP >= 0 && o.topP <= 1)) return `top_p must be 0.0–1.0, got ${o.topP}`;
  if (o.repetitionPenalty !== undefined && !(o.repetitionPenalty > 0))
    return `repetition_penalty must be > 0, got ${o.repetitionPenalty}`;
  return null;
}

/** Runs a one-LM-node graph and reads its SONG output. */
async function runLmHelper(
  kind: keyof typeof LM_HELPER_NODES,
  nodeParams: Record<string, unknown>,
  extraNodes: Record<string, GraphNode>,
  inputs: Record<string, { node: string; output: string }>,
  o: LmHelperOptions,
): Promise<{ ok: true; song: SongValue } | { ok: false; error: string }> {
  const type = LM_HELPER_NODES[kind];
  const app = o.app ?? defaultAppContext();
  const def = app.registry.get(type);
  if (!def) return { ok: false, error: `${kind} needs node "${type}", which this build does not have yet` };
  const sampling: Record<string, unknown> = {
    temperature: o.temperature ?? 0.85,
    topK: o.topK ?? 0,
    topP: o.topP ?? 1,
    repetitionPenalty: o.repetitionPenalty ?? 1,
    useConstrainedDecoding: o.useConstrainedDecoding ?? true,
    constrainedDecodingDebug: o.constrainedDecodingDebug ?? false,
    ...nodeParams,
  };
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sampling)) if (k in def.params) params[k] = v;
  const graph: Graph = {
    version: 1,
    nodes: {
      lmModel: { type: NODE_TYPES.lmModel, ...(o.models?.lm ? { params: { name: o.models.lm } } : {}) },
      ...extraNodes,
      [kind]: { type, params: params as never, inputs: { lm: { node: "lmModel", output: "lm" }, ...inputs } },
    },
  };
  if (!def.output) {
    // The engine runs what output nodes need: show one of the node's text outputs so the node runs.
    const text = Object.entries(def.outputs).find(([, o]) => (o as { type: string }).type === "STRING")?.[0];
    if (!text || !app.registry.has("core.showText"))
      return {
        ok: false,
        error: `node "${type}" is not an output node and has no STRING output to show, so a graph cannot run it on its own`,
      };
    graph.nodes.show = { type: "core.showText", inputs: { text: { node: kind, output: text } } };
  }
  const ran = await runOnEngine(app, graph, o);
  if ("refused" in ran) return { ok: false, error: ran.refused.message };
  const { outcome } = ran;
  if (!outcome || outcome.status === "cancelled") return { ok: false, error: "cancelled" };
  if (outcome.status === "failed") return { ok: false, error: `${outcome.error?.nodeId}: ${outcome.error?.message}` };
  const song = (outcome.outputs.get(kind) as { song?: SongValue } | undefined)?.song;
  if (!song) return { ok: false, error: `node "${type}" produced no SONG` };
  return { ok: true, song };
}

function songResult(song: SongValue): UnderstandResult {
  return {
    caption: song.caption ?? "",
    lyrics: song.lyrics ?? "",
    bpm: song.bpm ?? null,
    duration: song.duration ?? null,
    keyscale: song.keyscale && song.keyscale !== "N/A" ? song.keyscale : "",
    language: song.language && song.language !== "N/A" ? song.language : "",
    timesignature: song.timesignature && song.timesignature !== "N/A" ? song.timesignature : "",
    statusMessage: "OK",
    success: true,
    error: null,
  };
}

/** Audio for understandMusic / audioToCodes: a file path, as upstream's src_audio (copied in like src_audio). */
export interface AudioSource {
  audio: string;
}

/**
 * The nodes that load `src` and the DiT and VAE that encode it to codes (the ids LM Understand's and Audio to
 * Codes' inputs link to). A path outside the data folder is copied in (or refused, per `outsidePaths`).
 */
function audioEncodeNodes(
  app: AppContext,
  src: string,
  o: LibraryOptions & { models?: Pick<ModelNames, "dit" | "vae"> },
): Record<string, GraphNode> {
  const file = stageAudioPath(app.config.dataDir, "audio", src, o.outsidePaths ?? "copy", app.config.maxUploadBytes);
  const named = (name?: string) => (name ? { params: { name } } : {});
  return {
    src: { type: NODE_TYPES.src, params: { file } },
    dit: { type: NODE_TYPES.dit, ...named(o.models?.dit) },
    vae: { type: NODE_TYPES.vae, ...named(o.models?.vae) },
  };
}

const AUDIO_ENCODE_INPUTS = {
  audio: { node: "src", output: "audio" },
  dit: { node: "dit", output: "dit" },
  vae: { node: "vae", output: "vae" },
};

/**
 * understand_music(audio_codes): caption, lyrics and metadata from audio codes (the LM). Also takes audio
 * (`{ audio: path }`), which LM Understand encodes to codes first (VAE + the DiT's audio tokenizer, as the Audio
 * to Codes node); upstream needs convert_src_audio_to_codes first for that.
 */
export async function understandMusic(
  input: string | AudioSource,
  opts: LmHelperOptions = {},
): Promise<UnderstandResult> {
  const bad = checkSampling(opts);
  if (bad) return lmHelperFailure(bad);
  let nodes: Record<string, GraphNode> = {};
  let inputs: Record<string, { node: string; output: string }> = {};
  if (typeof input === "object" && input !== null) {
    if (typeof input.audio !== "string" || input.audio.trim() === "")
      return lmHelperFailure("audio must be a file path");
    try {
      nodes = audioEncodeNodes(opts.app ?? defaultAppContext(), input.audio, opts);
    } catch (e) {
      if (e instanceof InputFileError) return lmHelperFailure(e.message);
      throw e;
    }
    inputs = AUDIO_ENCODE_INPUTS;
  } else if (typeof input !== "string") return lmHelperFailure("audio_codes must be a string or { audio: path }");
  else if (input.trim() !== "") {
    nodes.codes = { type: NODE_TYPES.codes, params: { codes: input } };
    inputs.codes = { node: "codes", output: "codes" };
  }
  const r = await runLmHelper("understand", {}, nodes, inputs, opts);
  return r.ok ? songResult(r.song) : lmHelperFailure(r.error);
}

export interface AudioToCodesResult {
  /** `<|audio_code_N|>` tokens, 5 per second (what audio_codes / understand_music take). */
  audioCodes: string;
  /** Number of codes. */
  codeCount: number;
  statusMessage: string;
  success: boolean;
  error: string | null;
}

/**
 * Audio → `<|audio_code_N|>` codes (upstream AceStepHandler.convert_src_audio_to_codes): the file is loaded as a
 * source, encoded by the VAE and quantised by the DiT's audio tokenizer — a graph of Load Audio → Audio to Codes →
 * Codes to Text. User errors come back as success=false.
 */
export async function audioToCodes(
  src: string,
  opts: LibraryOptions & { models?: Pick<ModelNames, "dit" | "vae"> } = {},
): Promise<AudioToCodesResult> {
  const fail = (error: string): AudioToCodesResult => ({
    audioCodes: "",
    codeCount: 0,
    statusMessage: `Error: ${error}`,
    success: false,
    error,
  });
  if (typeof src !== "string" || src.trim() === "") return fail("src must be an audio file path");
  const app = opts.app ?? defaultAppContext();
  let nodes: Record<string, GraphNode>;
  try {
    nodes = audioEncodeNodes(app, src, opts);
  } catch (e) {
    if (e instanceof InputFileError) return fail(e.message);
    throw e;
  }
  const graph: Graph = {
    version: 1,
    nodes: {
      ...nodes,
      toCodes: { type: "ace.audioToCodes", inputs: AUDIO_ENCODE_INPUTS },
      text: { type: "ace.codesToText", inputs: { codes: { node: "toCodes", output: "codes" } } },
      show: { type: "core.showText", inputs: { text: { node: "text", output: "text" } } },
    },
  };
  const ran = await runOnEngine(app, graph, opts);
  if ("refused" in ran) return fail(ran.refused.message);
  const { outcome } = ran;
  if (!outcome || outcome.status === "cancelled") return fail("cancelled");
  if (outcome.status === "failed") return fail(`${outcome.error?.nodeId}: ${outcome.error?.message}`);
  const codes = (outcome.outputs.get("toCodes") as { codes?: AudioCodesValue } | undefined)?.codes?.codes[0] ?? [];
  const text = (outcome.outputs.get("text") as { text?: string } | undefined)?.text ?? "";
  return {
    audioCodes: text,
    codeCount: codes.length,
    statusMessage: `Encoded ${codes.length} codes (${(codes.length / 5).toFixed(1)} s)`,
    success: true,
    error: null,
  };
}

/** create_sample(query): a caption, lyrics and metadata from a description ("simple mode"). */
export async function createSample(
  query: string,
  opts: LmHelperOptions & { instrumental?: boolean; vocalLanguage?: string | null } = {},
): Promise<CreateSampleResult> {
  const instrumental = opts.instrumental ?? false;
  const bad = checkSampling(opts);
  if (bad) return { ...lmHelperFailure(bad), instrumental };
  const r = await runLmHelper(
    "createSample",
    { query, instrumental, language: opts.vocalLanguage ?? "unknown", vocalLanguage: opts.vocalLanguage ?? "unknown" },
    {},
    {},
    opts,
  );
  if (!r.ok) return { ...lmHelperFailure(r.error), instrumental };
  const out = songResult(r.song);
  if (!out.lyrics && instrumental) out.lyrics = "[Instrumental]";
  return { ...out, instrumental };
}

/** format_sample(caption, lyrics, user_metadata): the LM rewrites caption and lyrics and fills the metadata. */
export async function formatSample(
  caption: string,
  lyrics: string,
  opts: LmHelperOptions & {
    userMetadata?: {
      bpm?: number;
      duration?: number;
      keyscale?: string;
      timesignature?: string;
      language?: string;
    } | null;
  } = {},
): Promise<FormatSampleResult> {
  const bad = checkSampling(opts);
  if (bad) return lmHelperFailure(bad);
  const m = opts.userMetadata ?? {};
  const fields = {
    caption,
    lyrics,
    bpm: m.bpm ?? 0,
    keyscale: normalizeKeyscale(m.keyscale ?? "") ?? "",
    timesignature: normalizeTimesignature(m.timesignature ?? "") ?? "",
    duration: m.duration ?? -1,
    language: m.language ?? "",
  };
  const r = await runLmHelper("formatSample", fields, {}, {}, opts);
  if (!r.ok) return lmHelperFailure(r.error);
  const out = songResult(r.song);
  if (!out.lyrics) out.lyrics = lyrics;
  return out;
}
