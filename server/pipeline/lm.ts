// The 5 Hz LM service over one converted manifest entry: composes server/lm (tokenizer, exact prompts,
// metadata FSM, use_cot_* planning, decode loop), server/models/lm (the step graph's config and code-row head)
// and server/runtime/lm (ORT session + in-place KV cache, batched CFG lanes, the LM worker). One session per
// converted file is opened in the LM worker and cached.
//
//   const lm = await LmService.open(models, await models.find("lm"));
//   const r = await lm.generate({ caption, lyrics, thinking: true, useCotMetas: true, … }, { seed: 42 });
//
// The ORT session, its KV cache and the whole decode loop (FSM mask, CFG, top-p over the 217 204-entry
// logits) run in one worker thread (server/runtime/lm/lm-worker.ts): the zero-copy KV cache cannot cross a
// worker boundary, so the loop goes to the cache. The tokenizer lives there too (prompts are encoded and tokens
// decoded by message: its ~1 s load never blocks this thread). Here: the checkpoint's config and code-head rows,
// prompts, planning; tokens/progress come back by message and an abort cancels by message. Calls on one model are
// serialised (one decode loop at a time).
import { statSync } from "node:fs";
import { dirname } from "node:path";
import type { ModelManager } from "../models/manager";
import type { ManifestEntry } from "../models/convert/manifest";
import { defaultCodeRows, readLmConfig, type LmHead } from "../models/lm";
import { lmWorkerCall, lmWorkerCancel, onLmWorkerExit, stopLmWorker } from "../runtime/lm/lm-worker-client";
import { ortThreads } from "../runtime/threads";
import {
  kvCacheBytes,
  passCapacity,
  type LmOpenResult,
  type LmPassResult,
  type LmProvider,
  type LmStats,
} from "../runtime/lm/lm-worker-protocol";
import {
  loadLmTokenizer,
  buildCotPrompt,
  buildCotUncondPrompt,
  buildCodesPrompts,
  buildUnderstandPrompt,
  buildCreateSamplePrompt,
  buildFormatSamplePrompt,
  parseLmOutput,
  extractLyrics,
  planLm,
  cotMetadataForCodes,
  codesTargetDuration,
  mergeLmOutputs,
  cotCfgScale,
  maxNewTokensFor,
  understandFsmOptions,
  createSampleFsmOptions,
  formatSampleFsmOptions,
  unquoteYaml,
  DEFAULT_SAMPLING,
  DURATION_MAX,
  CAPTION_MAX_TOKENS,
  CODES_PER_SECOND,
  NO_USER_INPUT,
  isValidAudioCodeId,
  audioCodeOf,
  MAX_AUDIO_CODE,
  type LmTokenizer,
  type MetadataFsmOptions,
  type ParsedLmMetadata,
  type LmGenerationParams,
  type LmPlan,
  type CotFields,
  type DitTextInputs,
  type UserValues,
} from "../lm";
import { formatAudioCodes } from "../acestep/codes/audio-codes";

// ---------------------------------------------------------------------------------------------- options

export interface LmSamplingOptions {
  /** default 0.85; 0 → argmax */
  temperature?: number;
  /** default 0 (off) */
  topK?: number;
  /** default 0.9; ≥ 1 → off */
  topP?: number;
  /** default 1 (off) */
  repetitionPenalty?: number;
}

export interface LmProgress {
  phase: "cot" | "codes" | "understand" | "create" | "format";
  /** tokens generated in this pass */
  step: number;
  /** expected tokens of this pass when known (the code target) */
  total?: number;
}

export interface LmRunOptions extends LmSamplingOptions {
  /** seed of the pass's PRNG (default 0) */
  seed?: number;
  /** FSM on (default true): metadata values in their allowed sets, exactly duration·5 codes */
  constrained?: boolean;
  /** largest duration the CoT may write / the code pass may target (memory tier; default 600) */
  maxDuration?: number;
  /** caption token cap before `\n` is forced (default 512, upstream) */
  captionMaxTokens?: number;
  /** genres token cap (understand-mode passes; default 64) */
  genresMaxTokens?: number;
  /** cap on the new tokens of a free-text pass (understand / create / format; default 3500) */
  maxNewTokens?: number;
  signal?: AbortSignal;
  /** called after every token, throttled to `progressIntervalMs` (default 100 ms) and at the end */
  onProgress?: (p: LmProgress) => void;
  progressIntervalMs?: number;
}

export interface LmGenerateOptions extends LmRunOptions {
  /** `lm_cfg_scale` (default 2.0): CFG (a second, batched lane) only when > 1 */
  cfgScale?: number;
  /** `lm_negative_prompt` (default "NO USER INPUT") */
  negativePrompt?: string;
  /** phase-1 CFG: "later" (default, upstream after f30aee4: off) or "f30aee4" (cfgScale in phase 1 too) */
  cotCfg?: "later" | "f30aee4";
  /** code sequences to sample in phase 2 (seeds seed+1, seed+2, …; default 1) */
  batchSize?: number;
}

export interface PassResult {
  /** decoded generated text (special tokens kept) */
  text: string;
  tokens: number;
  stopReason: string;
  ms: number;
}

export interface CotResult extends PassResult {
  metadata: ParsedLmMetadata;
}

export interface CodesResult extends PassResult {
  /** code values 0…63999 */
  codes: number[];
  /** the code target (undefined: unconstrained length) */
  targetCodes?: number;
}

/** What understand / create_sample / format_sample return (SONG-shaped; language unquoted). */
export interface LmSongResult extends PassResult {
  caption: string;
  lyrics: string;
  bpm: number | null;
  duration: number | null;
  keyscale: string;
  timesignature: string;
  language: string;
  genres: string;
  metadata: ParsedLmMetadata;
}

export interface LmGenerateResult {
  plan: LmPlan;
  cot?: CotResult;
  /** one per batch item (empty when phase 2 did not run) */
  codes: CodesResult[];
  /** merged values for the DiT (mergeLmOutputs) and the cot_* record */
  dit: DitTextInputs;
  cotFields: CotFields;
}

// ---------------------------------------------------------------------------------------------- cache

/** One LM session creation in this process (benchmarks read them: bench/e2e.ts). */
export interface LmOpened {
  model: string;
  ms: number;
  optimizedCache?: "hit" | "saved" | "off";
}
const openedLog: LmOpened[] = [];
/** Every LM session this process created so far, oldest first. */
export function lmSessionsOpened(): readonly LmOpened[] {
  return openedLog;
}

interface Loaded {
  /** the model's key in the LM worker */
  key: string;
  /** the checkpoint's tokenizer.json (loaded in the LM worker; here only on demand, LmService.tokenizer) */
  tokenizerPath: string;
  provider: LmProvider;
  /** intra-op threads of the session (LmService.open's `threads`, else ortThreads()) */
  threads: number;
  lock: Promise<unknown>;
  /** calls in progress or queued on this model (the memory budget does not release it then) */
  active: number;
  /** bytes of the weights (the session's files); a pass adds its KV cache while it runs */
  weights: number;
  /** the registry id the LM's bytes are reported under ("<entry>/lm") */
  residentId: string;
  /** whether the session came from ORT's optimized-model cache ("hit"), wrote it ("saved") or did not use it */
  optimizedCache?: "hit" | "saved" | "off";
  /** drops the LM's resident bytes from the memory budget report */
  forget: () => void;
}

const loaded = new Map<string, Promise<Loaded>>();
// a dead worker took every model with it: the next open() reloads
onLmWorkerExit(() => {
  for (const p of loaded.values())
    p.then(
      (l) => l.forget(),
      () => undefined,
    );
  loaded.clear();
});

/** Release every cached LM session and stop the LM worker (tests, shutdown). */
export async function releaseLmModels(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  for (const p of all)
    await p.then(
      (l) => l.forget(),
      () => undefined,
    );
  await stopLmWorker();
}

/** Bytes of a model entry's files of `roles` (what the session keeps resident, about). */
function fileBytes(mm: ModelManager, entry: ManifestEntry, roles: string[]): number {
  let total = 0;
  for (const role of roles) {
    if (!entry.files.some((f) => f.role === role)) continue;
    total += statSync(mm.file(entry, role).abs).size;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------- service

const now = () => performance.now();

export class LmService {
  private constructor(
    readonly entry: ManifestEntry,
    private l: Loaded,
    private readonly mm: ModelManager,
    private readonly openOptions: { threads?: number },
  ) {}

  /**
   * The checkpoint's tokenizer on the calling thread, loaded on first use (~1 s, blocking: the service itself
   * encodes and decodes in the LM worker and never needs it here; tests and tools do).
   */
  get tokenizer(): LmTokenizer {
    return loadLmTokenizer(this.l.tokenizerPath);
  }
  /** The execution provider the LM session runs on (the session host's choice, CPU after a CUDA failure). */
  get provider(): LmProvider {
    return this.l.provider;
  }
  /** The LM session's intra-op threads (the first open's `threads`, else ACESTEP_THREADS or the cores). */
  get threads(): number {
    return this.l.threads;
  }

  /** How the LM session was created: from ORT's optimized-model cache ("hit"), writing it ("saved"), or without. */
  get optimizedCache(): "hit" | "saved" | "off" | undefined {
    return this.l.optimizedCache;
  }

  /** Session calls the worker's model made so far (and how many ran both CFG lanes). */
  stats(): Promise<LmStats> {
    return lmWorkerCall<LmStats>({ op: "stats", key: this.l.key });
  }

  /** The model's logits at the last of `ids` (one-lane prefill on a fresh cache, in the worker). */
  logits(ids: readonly number[], head: Exclude<LmHead, "none"> = "full"): Promise<Float32Array> {
    return this.exclusive(() => lmWorkerCall<Float32Array>({ op: "logits", key: this.l.key, ids: [...ids], head }));
  }

  /**
   * The service for a converted LM entry (tokenizer and session opened once per file in the LM
   * worker on the session host's execution provider, its bytes reported to the model registry's budget).
   */
  static async open(mm: ModelManager, entry: ManifestEntry, o: { threads?: number } = {}): Promise<LmService> {
    return new LmService(entry, await LmService.load(mm, entry, o), mm, o);
  }

  private static load(mm: ModelManager, entry: ManifestEntry, o: { threads?: number }): Promise<Loaded> {
    const onnx = mm.file(entry, "lm");
    const key = `${onnx.abs}#${onnx.sha256}`;
    let p = loaded.get(key);
    if (!p) {
      p = (async () => {
        const config = readLmConfig(dirname(mm.file(entry, "config").abs));
        const tokenizerPath = mm.file(entry, "tokenizer").abs;
        const wanted = (await mm.host().info()).provider;
        const threads = o.threads ?? ortThreads();
        const opened = await lmWorkerCall<LmOpenResult>({
          op: "open",
          key,
          onnxPath: onnx.abs,
          config,
          codeRows: defaultCodeRows(config),
          tokenizerPath,
          threads,
          provider: wanted,
          optimizedCache: mm.optimizedCache(entry, "lm"),
        });
        if (opened.fallback) console.info(`[lm] ${opened.fallback}`);
        openedLog.push({ model: entry.name, ms: opened.createMs, optimizedCache: opened.optimizedCache });
        const residentId = `${entry.name}/lm`;
        const weights = fileBytes(mm, entry, ["lm", "lm_data"]);
        const l: Loaded = {
          key,
          tokenizerPath,
          provider: opened.provider,
          threads,
          lock: Promise.resolve(),
          active: 0,
          optimizedCache: opened.optimizedCache,
          weights,
          residentId,
          forget: () => mm.registry().setResident(residentId, 0),
        };
        // the memory budget may release the LM between stages (server/models/memory-plan.ts): close it in the
        // worker; the next open() loads it again
        mm.registry().setResident(residentId, weights, {
          busy: () => l.active > 0,
          release: async () => {
            if (loaded.get(key) === p) loaded.delete(key);
            await lmWorkerCall({ op: "close", key });
          },
        });
        return l;
      })();
      loaded.set(key, p);
      p.catch(() => loaded.delete(key));
    }
    return p;
  }

  /** Run `fn` after every earlier call on this model finished (one decode loop per model at a time). */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    // the cached model, or (released by the memory budget since this service was opened) a fresh load
    this.l = await LmService.load(this.mm, this.entry, this.openOptions);
    const l = this.l;
    l.active++;
    const run = l.lock.then(fn, fn);
    l.lock = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      l.active--;
    }
  }

  /** The FSM options of a pass (the worker builds the FSM with its own tokenizer); undefined = unconstrained. */
  private fsm(
    o: Omit<MetadataFsmOptions, "tokenizer">,
    r: LmRunOptions,
  ): Omit<MetadataFsmOptions, "tokenizer"> | undefined {
    if (r.constrained === false) return undefined;
    return {
      maxDuration: r.maxDuration ?? DURATION_MAX,
      captionMaxTokens: r.captionMaxTokens ?? CAPTION_MAX_TOKENS,
      genresMaxTokens: r.genresMaxTokens,
      ...o,
    };
  }

  /** One decode pass in the LM worker: prompt (+ uncond lane when cfgScale > 1) → generated ids, with progress. */
  private async pass(
    phase: LmProgress["phase"],
    a: {
      prompt: string;
      uncond?: string;
      cfgScale: number;
      fsm?: Omit<MetadataFsmOptions, "tokenizer">;
      head: "full" | "codes";
      maxNewTokens: number;
      total?: number;
    },
    r: LmRunOptions,
  ): Promise<PassResult & { ids: number[] }> {
    r.signal?.throwIfAborted();
    const t0 = now();
    const useCfg = a.cfgScale > 1 && a.uncond !== undefined;
    const [prompt, uncondPrompt] = await lmWorkerCall<number[][]>({
      op: "encode",
      key: this.l.key,
      texts: useCfg ? [a.prompt, a.uncond!] : [a.prompt],
    });
    let passId = 0;
    const onAbort = () => lmWorkerCancel(passId);
    r.signal?.addEventListener("abort", onAbort, { once: true });
    let res: LmPassResult;
    // the pass's KV cache counts in the memory budget while it runs
    const kv = kvCacheBytes(
      this.entry.config as Parameters<typeof kvCacheBytes>[0],
      useCfg ? 2 : 1,
      passCapacity(prompt.length, a.maxNewTokens),
    );
    await this.mm.reserveResident(this.l.residentId, this.l.weights + kv);
    try {
      res = await lmWorkerCall<LmPassResult>(
        {
          op: "pass",
          key: this.l.key,
          prompt,
          uncondPrompt,
          cfgScale: useCfg ? a.cfgScale : 1,
          fsm: a.fsm,
          head: a.head,
          maxNewTokens: a.maxNewTokens,
          sampling: {
            temperature: r.temperature ?? DEFAULT_SAMPLING.temperature,
            topK: r.topK ?? DEFAULT_SAMPLING.topK,
            topP: r.topP ?? DEFAULT_SAMPLING.topP,
            repetitionPenalty: r.repetitionPenalty ?? DEFAULT_SAMPLING.repetitionPenalty,
          },
          seed: r.seed ?? 0,
          progressIntervalMs: r.progressIntervalMs ?? 100,
        },
        { onId: (id) => (passId = id), onProgress: (step) => r.onProgress?.({ phase, step, total: a.total }) },
      );
    } catch (e) {
      // the worker stopped at the next token: report the caller's abort reason
      r.signal?.throwIfAborted();
      throw e;
    } finally {
      r.signal?.removeEventListener("abort", onAbort);
      if (loaded.has(this.l.key)) this.mm.registry().setResident(this.l.residentId, this.l.weights);
    }
    r.onProgress?.({ phase, step: res.tokens.length, total: a.total });
    const ids = res.tokens;
    return { ids, text: res.text, tokens: ids.length, stopReason: res.stopReason, ms: now() - t0 };
  }

  /**
   * generate_music phase 1: the metadata CoT. User values are injected verbatim; caption / language
   * lines are skipped per use_cot_caption / use_cot_language. Phase-1 CFG follows `cotCfg` (default off).
   */
  generateCot(
    input: { caption: string; lyrics: string; userValues?: UserValues; skipCaption?: boolean; skipLanguage?: boolean },
    o: LmGenerateOptions = {},
  ): Promise<CotResult> {
    return this.exclusive(() => this.cotPass(input, o));
  }

  private async cotPass(
    input: { caption: string; lyrics: string; userValues?: UserValues; skipCaption?: boolean; skipLanguage?: boolean },
    o: LmGenerateOptions,
  ): Promise<CotResult> {
    const fsm = this.fsm(
      {
        mode: "cot",
        userValues: input.userValues ?? {},
        skipCaption: input.skipCaption,
        skipLanguage: input.skipLanguage,
        skipGenres: true,
      },
      o,
    );
    const cfg = cotCfgScale(o.cfgScale ?? DEFAULT_SAMPLING.cfgScale, o.cotCfg ?? "later");
    const r = await this.pass(
      "cot",
      {
        prompt: buildCotPrompt(input.caption, input.lyrics),
        uncond: buildCotUncondPrompt(input.lyrics, o.negativePrompt ?? NO_USER_INPUT),
        cfgScale: cfg,
        fsm,
        head: "full",
        maxNewTokens: fsm ? maxNewTokensFor("cot", undefined) : Math.min(o.maxNewTokens ?? 3500, 3500),
      },
      o,
    );
    const { ids: _ids, ...rest } = r;
    return { ...rest, metadata: parseLmOutput(r.text).metadata };
  }

  /**
   * generate_music phase 2: audio codes after the re-serialised CoT (training-aligned open-turn layout).
   * With a target duration (capped at maxDuration) and the FSM on, exactly int(d·5) codes then EOS.
   */
  generateCodes(
    input: { caption: string; lyrics: string; metadata: Record<string, string | number>; targetDuration?: number },
    o: LmGenerateOptions = {},
  ): Promise<CodesResult> {
    return this.exclusive(() => this.codesPass(input, o));
  }

  private async codesPass(
    input: { caption: string; lyrics: string; metadata: Record<string, string | number>; targetDuration?: number },
    o: LmGenerateOptions,
  ): Promise<CodesResult> {
    const maxD = o.maxDuration ?? DURATION_MAX;
    const target =
      input.targetDuration !== undefined && input.targetDuration > 0 ? Math.min(input.targetDuration, maxD) : undefined;
    const targetCodes = target !== undefined ? Math.trunc(target * CODES_PER_SECOND) : undefined;
    const fsm = this.fsm({ mode: "codes", targetCodes }, o);
    const { cond, uncond } = buildCodesPrompts({
      caption: input.caption,
      lyrics: input.lyrics,
      metadata: input.metadata,
      negative: o.negativePrompt ?? NO_USER_INPUT,
    });
    const r = await this.pass(
      "codes",
      {
        prompt: cond,
        uncond,
        cfgScale: o.cfgScale ?? DEFAULT_SAMPLING.cfgScale,
        fsm,
        // the FSM allows only codes + EOS, exactly the rows of the code head; without it any token may come
        head: fsm ? "codes" : "full",
        maxNewTokens: maxNewTokensFor("codes", targetCodes),
        total: targetCodes,
      },
      o,
    );
    const codes: number[] = [];
    for (const id of r.ids) {
      if (isValidAudioCodeId(id)) codes.push(audioCodeOf(id));
      else if (audioCodeOf(id) > MAX_AUDIO_CODE) codes.push(MAX_AUDIO_CODE); // unconstrained only: clamp as the DiT parser does
    }
    const { ids: _ids, ...rest } = r;
    return { ...rest, codes, targetCodes };
  }

  /**
   * generate_music with thinking: plan (planLm) → phase 1 when planned → phase 2 per batch item when
   * planned → merged DiT inputs + cot_* record (mergeLmOutputs; CoT language → vocal language).
   */
  generate(p: LmGenerationParams, o: LmGenerateOptions = {}): Promise<LmGenerateResult> {
    return this.exclusive(async () => {
      const plan = planLm(p);
      const seed = o.seed ?? 0;
      let cot: CotResult | undefined;
      if (plan.runCot) {
        cot = await this.cotPass(
          {
            caption: p.caption,
            lyrics: p.lyrics,
            userValues: plan.cot.userValues,
            skipCaption: plan.cot.skipCaption,
            skipLanguage: plan.cot.skipLanguage,
          },
          { ...o, seed },
        );
      }
      const codes: CodesResult[] = [];
      if (plan.runCodes) {
        const metadata = cotMetadataForCodes(plan, cot?.metadata);
        const target = codesTargetDuration(p.duration, cot?.metadata.duration);
        for (let i = 0; i < Math.max(1, o.batchSize ?? 1); i++) {
          codes.push(
            await this.codesPass(
              { caption: p.caption, lyrics: p.lyrics, metadata, targetDuration: target },
              { ...o, seed: (seed + 1 + i) >>> 0 },
            ),
          );
        }
      }
      const lm = cot ? { ...cot.metadata } : null;
      const { dit, cot: cotFields } = mergeLmOutputs(p, lm);
      // the audio that follows the codes lasts n/5 s
      if (codes.length && codes[0].codes.length) dit.duration = codes[0].codes.length / CODES_PER_SECOND;
      return { plan, cot, codes, dit, cotFields };
    });
  }

  /** understand_music: audio codes → caption, metadata (incl. genres, language) and lyrics. No CFG. */
  understand(codes: readonly number[], o: LmRunOptions = {}): Promise<LmSongResult> {
    return this.exclusive(async () => {
      const fsm = this.fsm(understandFsmOptions(), o);
      const r = await this.pass(
        "understand",
        {
          prompt: buildUnderstandPrompt(codes.length ? formatAudioCodes(codes) : ""),
          cfgScale: 1,
          fsm,
          head: "full",
          maxNewTokens: o.maxNewTokens ?? 3500,
        },
        o,
      );
      return songResult(r, "");
    });
  }

  /** create_sample ("simple mode"): a query → caption, metadata and lyrics. A given language is injected. */
  createSample(query: string, instrumental: boolean, language?: string, o: LmRunOptions = {}): Promise<LmSongResult> {
    return this.exclusive(async () => {
      const fsm = this.fsm(createSampleFsmOptions(language), o);
      const r = await this.pass(
        "create",
        {
          prompt: buildCreateSamplePrompt(query, instrumental),
          cfgScale: 1,
          fsm,
          head: "full",
          maxNewTokens: o.maxNewTokens ?? 3500,
        },
        o,
      );
      return songResult(r, instrumental ? "[Instrumental]" : "");
    });
  }

  /** format_sample: caption + lyrics (+ user metadata, injected; a given language skips its line) → enhanced. */
  formatSample(
    caption: string,
    lyrics: string,
    user: {
      bpm?: number | null;
      duration?: number | null;
      keyscale?: string;
      timesignature?: string;
      language?: string;
    } = {},
    o: LmRunOptions = {},
  ): Promise<LmSongResult> {
    return this.exclusive(async () => {
      const fsm = this.fsm(formatSampleFsmOptions(user), o);
      const r = await this.pass(
        "format",
        {
          prompt: buildFormatSamplePrompt(caption, lyrics),
          cfgScale: 1,
          fsm,
          head: "full",
          maxNewTokens: o.maxNewTokens ?? 3500,
        },
        o,
      );
      const s = songResult(r, lyrics);
      // format_sample skips the language line when one is given: report the user's
      if (!s.language && user.language) s.language = user.language;
      return s;
    });
  }
}

const toInt = (v: unknown): number | null => {
  const n = typeof v === "number" ? v : Number.parseInt(String(v ?? ""), 10);
  return Number.isFinite(n) ? n : null;
};

function songResult(r: PassResult & { ids?: number[] }, lyricsFallback: string): LmSongResult {
  const { metadata } = parseLmOutput(r.text);
  const lyrics = extractLyrics(r.text) || lyricsFallback;
  const { ids: _ids, ...rest } = r;
  return {
    ...rest,
    caption: metadata.caption ?? "",
    lyrics,
    bpm: toInt(metadata.bpm),
    duration: toInt(metadata.duration),
    keyscale: metadata.keyscale ?? "",
    timesignature: metadata.timesignature ?? "",
    language: metadata.language ? unquoteYaml(metadata.language) : "",
    genres: metadata.genres ?? "",
    metadata,
  };
}
