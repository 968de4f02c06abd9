// The ACE-Step-compatible REST facade (acestep/api_server.py; reference api-and-ui.md §2, upstream docs API.md):
// POST /release_task, POST /query_result, GET /v1/audio, GET /v1/stats, GET /health — the upstream field names,
// aliases, envelope {data, code, error, timestamp, extra}, queue (max 200 → 429) and status values
// (0 queued/running, 1 succeeded, 2 failed), so existing ACE-Step clients work unchanged.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID, createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { AppContext } from "../app-context";
import type { ExtraRoute } from "../http/server";
import { isLoopback } from "../config";
import { requestToken, tokenMatches } from "../http/auth";
import { serveFile } from "../http/files";
import { isServedPath } from "../http/served";
import { sniffAudio } from "../files/sniff";
import { writeFileAtomic } from "../files/atomic";
import { createSample, formatSample, generateMusic, type GenerateOptions } from "./library";
import { type GenerationConfigInput, type GenerationParamsInput, type GenerationResult } from "./params";

// ---------------------------------------------------------------- responses

/** The upstream envelope (`_wrap_response`). */
export function wrap(data: unknown, code = 200, error: string | null = null) {
  return { data, code, error, timestamp: Date.now(), extra: null };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** FastAPI HTTPException body. */
const detail = (res: ServerResponse, status: number, message: string) => send(res, status, { detail: message });

// ---------------------------------------------------------------- request fields

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
  { names: ["vocal_language", "vocalLanguage", "language"], to: { params: "vocalLanguage" }, type: "str", restDefault: "en" },
  { names: ["audio_format", "audioFormat"], to: { config: "audioFormat" }, type: "str", restDefault: "mp3" },
  { names: ["bpm"], to: { params: "bpm" }, type: "int" },
  { names: ["key_scale", "keyscale", "keyScale", "key"], to: { params: "keyscale" }, type: "str" },
  { names: ["time_signature", "timesignature", "timeSignature"], to: { params: "timesignature" }, type: "str" },
  { names: ["audio_duration", "duration", "audioDuration", "target_duration", "targetDuration"], to: { params: "duration" }, type: "float" },
  { names: ["audio_code_string", "audioCodeString", "audio_codes", "audioCodes"], to: { params: "audioCodes" }, type: "str" },
  { names: ["inference_steps", "inferenceSteps"], to: { params: "inferenceSteps" }, type: "int" },
  { names: ["guidance_scale", "guidanceScale"], to: { params: "guidanceScale" }, type: "float" },
  { names: ["use_random_seed", "useRandomSeed"], to: { config: "useRandomSeed" }, type: "bool" },
  { names: ["seed"], to: { request: "seed" }, type: "seed" },
  { names: ["batch_size", "batchSize"], to: { config: "batchSize" }, type: "int" },
  { names: ["shift"], to: { params: "shift" }, type: "float", restDefault: 3.0 },
  { names: ["infer_method", "inferMethod"], to: { params: "inferMethod" }, type: "str" },
  { names: ["timesteps"], to: { params: "timesteps" }, type: "floatList" },
  { names: ["use_adg", "useAdg"], to: { params: "useAdg" }, type: "bool" },
  { names: ["cfg_interval_start", "cfgIntervalStart"], to: { params: "cfgIntervalStart" }, type: "float" },
  { names: ["cfg_interval_end", "cfgIntervalEnd"], to: { params: "cfgIntervalEnd" }, type: "float" },
  { names: ["task_type", "taskType"], to: { params: "taskType" }, type: "str" },
  { names: ["instruction"], to: { params: "instruction" }, type: "str" },
  { names: ["reference_audio_path", "ref_audio_path", "referenceAudioPath", "refAudioPath"], to: { params: "referenceAudio" }, type: "str" },
  { names: ["src_audio_path", "ctx_audio_path", "srcAudioPath", "ctxAudioPath"], to: { params: "srcAudio" }, type: "str" },
  { names: ["repainting_start", "repaintingStart"], to: { params: "repaintingStart" }, type: "float" },
  { names: ["repainting_end", "repaintingEnd"], to: { params: "repaintingEnd" }, type: "float" },
  { names: ["audio_cover_strength", "audioCoverStrength"], to: { params: "audioCoverStrength" }, type: "float" },
  { names: ["lm_temperature", "lmTemperature"], to: { params: "lmTemperature" }, type: "float" },
  { names: ["lm_cfg_scale", "lmCfgScale"], to: { params: "lmCfgScale" }, type: "float", restDefault: 2.5 },
  { names: ["lm_negative_prompt", "lmNegativePrompt"], to: { params: "lmNegativePrompt" }, type: "str" },
  { names: ["lm_top_k", "lmTopK"], to: { params: "lmTopK" }, type: "int" },
  { names: ["lm_top_p", "lmTopP"], to: { params: "lmTopP" }, type: "float" },
  { names: ["use_cot_caption", "useCotCaption", "cot_caption", "cot-caption"], to: { params: "useCotCaption" }, type: "bool" },
  { names: ["use_cot_language", "useCotLanguage", "cot_language", "cot-language"], to: { params: "useCotLanguage" }, type: "bool" },
  { names: ["use_cot_metas", "useCotMetas"], to: { params: "useCotMetas" }, type: "bool" },
  { names: ["constrained_decoding", "constrainedDecoding", "constrained", "use_constrained_decoding"], to: { params: "useConstrainedDecoding" }, type: "bool" },
  { names: ["constrained_decoding_debug", "constrainedDecodingDebug"], to: { config: "constrainedDecodingDebug" }, type: "bool" },
  { names: ["allow_lm_batch", "allowLmBatch", "parallel_thinking", "parallelThinking"], to: { config: "allowLmBatch" }, type: "bool", restDefault: true },
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

class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

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
  const bad = (what: string) => new RequestError(400, `${name} must be ${what}, got ${JSON.stringify(v)}`);
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
      const list = s.replace(/^\[|\]$/g, "").split(",").map((x) => Number(x.trim()));
      if (list.some((x) => !Number.isFinite(x))) throw bad('a comma-separated list of numbers like "0.97,0.76,0.5,0"');
      return list;
    }
    case "seed": {
      if (typeof v === "number") return Math.trunc(v);
      const s = String(v).trim();
      if (s === "") return undefined;
      const list = s.split(",").map((x) => Number(x.trim()));
      if (list.some((x) => !Number.isInteger(x))) throw bad('an integer or a comma-separated list of integers');
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
      throw new RequestError(400, "param_obj is not valid JSON");
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
    for (const layer of layers) for (const n of names) if (layer[n] !== undefined && layer[n] !== null) return [n, layer[n]];
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
  if (typeof out.params.lyrics === "string" && /^\[(inst|instrumental)\]$/i.test(out.params.lyrics.trim())) out.params.instrumental = true;
  return out;
}

// ---------------------------------------------------------------- body reading

interface ReadBody {
  fields: Record<string, unknown>;
  files: Record<string, { name: string; bytes: Uint8Array }>;
}

async function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > max) {
    req.resume();
    throw new RequestError(413, `the request is ${declared} bytes; the limit is ${max} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > max) {
      req.destroy();
      throw new RequestError(413, `the request is larger than the limit of ${max} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RequestError(400, "the body is not valid JSON");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new RequestError(400, "the JSON body must be an object");
  return v as Record<string, unknown>;
}

/** Reads JSON, *+json, multipart/form-data and x-www-form-urlencoded bodies; no content-type → sniffed. */
async function readBody(req: IncomingMessage, max: number): Promise<ReadBody> {
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  const mime = type.split(";")[0].trim();
  const raw = await readRaw(req, max);
  if (mime === "application/json" || mime.endsWith("+json")) return { fields: parseJsonObject(raw.toString("utf8")), files: {} };
  if (mime === "application/x-www-form-urlencoded") return { fields: Object.fromEntries(new URLSearchParams(raw.toString("utf8"))), files: {} };
  if (mime === "multipart/form-data") {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), { headers: { "content-type": req.headers["content-type"] as string } }).formData();
    } catch {
      throw new RequestError(400, "the body is not valid multipart/form-data");
    }
    const fields: Record<string, unknown> = {};
    const files: ReadBody["files"] = {};
    for (const [k, v] of form.entries()) {
      if (typeof v === "string") fields[k] = v;
      else files[k] = { name: v.name, bytes: new Uint8Array(await v.arrayBuffer()) };
    }
    return { fields, files };
  }
  if (mime === "") {
    const text = raw.toString("utf8").trim();
    if (text === "") return { fields: {}, files: {} };
    if (text.startsWith("{")) return { fields: parseJsonObject(text), files: {} };
    return { fields: Object.fromEntries(new URLSearchParams(text)), files: {} };
  }
  throw new RequestError(415, `Unsupported Content-Type: ${mime}; use application/json, multipart/form-data or application/x-www-form-urlencoded`);
}

// ---------------------------------------------------------------- auth

type AuthResult = { ok: true } | { ok: false; status: number; message: string };

function needsToken(app: AppContext): boolean {
  return !isLoopback(app.config.host) || app.config.apiToken !== null;
}

/** The server's token rule (as for /api/), with the upstream ways to send it: Bearer or bare header, ai_token. */
function checkAuth(app: AppContext, req: IncomingMessage, url: URL, aiToken?: unknown): AuthResult {
  if (!needsToken(app)) return { ok: true };
  const expected = app.config.apiToken;
  if (!expected) return { ok: false, status: 500, message: "the server is bound beyond loopback without ACESTEP_API_TOKEN" };
  if (typeof aiToken === "string" && aiToken !== "") return tokenMatches(aiToken, expected) ? { ok: true } : { ok: false, status: 401, message: "Invalid ai_token" };
  const header = req.headers.authorization?.trim();
  if (header && !header.startsWith("Bearer ")) return tokenMatches(header, expected) ? { ok: true } : { ok: false, status: 401, message: "Invalid API key" };
  const given = requestToken(req, url);
  if (!given) return { ok: false, status: 401, message: "Missing ai_token or Authorization header" };
  return tokenMatches(given, expected) ? { ok: true } : { ok: false, status: 401, message: "Invalid API key" };
}

// ---------------------------------------------------------------- jobs

export type JobState = "queued" | "running" | "succeeded" | "failed";

interface Job {
  id: string;
  state: JobState;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  params: Record<string, unknown>;
  config: Record<string, unknown>;
  request: Record<string, unknown>;
  /** Temporary uploaded files (deleted when the job ends, as upstream). */
  uploads: string[];
  runId?: string;
  /** The loader names the job ran with (after the unknown-name fallback). */
  models?: { dit?: string; lm?: string };
  progress: number;
  stage: string;
  result?: GenerationResult;
  error?: string;
}

export interface RestFacadeOptions {
  /** Queue capacity (upstream ACESTEP_QUEUE_MAXSIZE, default 200). */
  queueMaxSize?: number;
  /** Finished jobs are kept this long (upstream 24 h). */
  keepFinishedMs?: number;
  /** Queued-but-never-started jobs fail after this long (upstream TASK_TIMEOUT_SECONDS 3600). */
  taskTimeoutMs?: number;
  /** The generation function (tests inject a stub). */
  generate?: (params: Record<string, unknown>, config: Record<string, unknown>, opts: GenerateOptions) => Promise<GenerationResult>;
}

const STATUS_CODE: Record<JobState, 0 | 1 | 2> = { queued: 0, running: 0, succeeded: 1, failed: 2 };

export class RestFacade {
  readonly jobs = new Map<string, Job>();
  private readonly queue: string[] = [];
  private running = 0;
  private readonly durations: number[] = [];
  readonly maxSize: number;

  constructor(
    readonly app: AppContext,
    private readonly opts: RestFacadeOptions = {},
  ) {
    const env = Number(process.env.ACESTEP_QUEUE_MAXSIZE ?? "");
    this.maxSize = opts.queueMaxSize ?? (Number.isInteger(env) && env > 0 ? env : 200);
  }

  /** The routes to register with the HTTP server. */
  routes(): ExtraRoute[] {
    return [(req, res, url) => this.handle(req, res, url)];
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const route = ROUTES[path];
    if (!route) return false;
    if (!route.methods.includes(req.method ?? "GET")) {
      detail(res, 405, "Method Not Allowed");
      return true;
    }
    try {
      await route.run(this, req, res, url);
    } catch (e) {
      if (e instanceof RequestError) detail(res, e.status, e.message);
      else {
        console.error("REST facade:", e);
        detail(res, 500, "internal error");
      }
    }
    return true;
  }

  queuedCount(): number {
    return this.queue.length;
  }

  /** Enqueues a job or throws 429 when the queue is full. */
  enqueue(parsed: ParsedRelease, uploads: string[]): { taskId: string; position: number } {
    this.purge();
    if (this.queue.length >= this.maxSize) throw new RequestError(429, "Server busy: queue is full");
    const id = randomUUID();
    this.jobs.set(id, { id, state: "queued", createdAt: Date.now(), ...parsed, uploads, progress: 0, stage: "queued" });
    this.queue.push(id);
    const position = this.queue.length;
    queueMicrotask(() => void this.pump());
    return { taskId: id, position };
  }

  private async pump(): Promise<void> {
    if (this.running > 0) return; // ACESTEP_QUEUE_WORKERS = 1
    const id = this.queue.shift();
    if (!id) return;
    const job = this.jobs.get(id);
    if (!job) return void this.pump();
    this.running++;
    job.state = "running";
    job.startedAt = Date.now();
    job.stage = "running";
    let final: { state: JobState; error?: string };
    try {
      final = await this.runJob(job);
    } catch (e) {
      final = { state: "failed", error: e instanceof Error ? e.message : String(e) };
    }
    // Temporary uploads go first, so a client that sees the final status never finds them.
    for (const u of job.uploads) await rm(u, { force: true }).catch(() => {});
    job.finishedAt = Date.now();
    job.error = final.error;
    job.state = final.state;
    job.stage = final.state;
    if (final.state === "succeeded") job.progress = 1;
    this.durations.push((job.finishedAt - (job.startedAt ?? job.finishedAt)) / 1000);
    if (this.durations.length > 50) this.durations.shift();
    this.running--;
    void this.pump();
  }

  private async runJob(job: Job): Promise<{ state: JobState; error?: string }> {
    const generate = this.opts.generate ?? ((p, c, o) => generateMusic(p, c, o));
    const params = { ...job.params };
    const rp = job.request.lmRepetitionPenalty as number | undefined;
    const lmOpts = { app: this.app, temperature: params.lmTemperature as number | undefined, topK: params.lmTopK as number | undefined, topP: params.lmTopP as number | undefined, repetitionPenalty: rp };
    if (job.request.sampleMode || (typeof job.request.sampleQuery === "string" && job.request.sampleQuery.trim() !== "")) {
      job.stage = "create_sample";
      const lang = typeof params.vocalLanguage === "string" && params.vocalLanguage !== "en" ? params.vocalLanguage : null;
      const s = await createSample(String(job.request.sampleQuery ?? ""), { ...lmOpts, instrumental: params.instrumental === true, vocalLanguage: lang });
      if (!s.success) throw new Error(`sample mode: ${s.error}`);
      Object.assign(params, { caption: s.caption, lyrics: s.lyrics, ...(s.bpm ? { bpm: s.bpm } : {}), ...(s.duration ? { duration: s.duration } : {}), ...(s.keyscale ? { keyscale: s.keyscale } : {}), ...(s.timesignature ? { timesignature: s.timesignature } : {}), ...(s.language ? { vocalLanguage: s.language } : {}) });
    } else if (job.request.useFormat) {
      job.stage = "format";
      const f = await formatSample(String(params.caption ?? ""), String(params.lyrics ?? ""), {
        ...lmOpts,
        userMetadata: { bpm: params.bpm as number | undefined, duration: (params.duration as number) > 0 ? (params.duration as number) : undefined, keyscale: params.keyscale as string | undefined, timesignature: params.timesignature as string | undefined },
      });
      if (!f.success) throw new Error(`use_format: ${f.error}`);
      Object.assign(params, { caption: f.caption, lyrics: f.lyrics, ...(f.bpm ? { bpm: f.bpm } : {}), ...(f.duration ? { duration: f.duration } : {}), ...(f.keyscale ? { keyscale: f.keyscale } : {}), ...(f.timesignature ? { timesignature: f.timesignature } : {}) });
    }
    job.stage = "generating";
    const models = await this.modelNames(job);
    job.models = models;
    const r = await generate(params, job.config, {
      app: this.app,
      models,
      outsidePaths: "refuse",
      keyMode: "rest",
      onRun: (runId) => {
        job.runId = runId;
        void this.follow(job, runId);
      },
    });
    job.result = r;
    job.params = params;
    return r.success ? { state: "succeeded" } : { state: "failed", error: r.error ?? "generation failed" };
  }

  /** `model` / `lm_model_path` → loader names; an unknown name falls back to the default model, as upstream. */
  private async modelNames(job: Job): Promise<{ dit?: string; lm?: string }> {
    const out: { dit?: string; lm?: string } = {};
    const pick = async (kind: "dit" | "lm", name: unknown) => {
      if (typeof name !== "string" || name.trim() === "") return;
      try {
        if ((await this.app.models.entries(kind)).some((e) => e.name === name)) out[kind] = name;
      } catch {
        /* models unavailable: the run reports it */
      }
    };
    await pick("dit", job.request.model);
    await pick("lm", job.request.lmModelPath);
    return out;
  }

  /** Progress (0–1) and stage from the run's node events. */
  private async follow(job: Job, runId: string): Promise<void> {
    try {
      let nodes = 1;
      let done = 0;
      for await (const e of this.app.runs.events(runId)) {
        const ev = e.event;
        if (ev.type === "run.started") nodes = Math.max(1, ev.nodes.length);
        else if (ev.type === "node.finished" || ev.type === "node.cached") done++;
        else if (ev.type === "node.progress") job.stage = ev.message ?? `${ev.nodeId} ${Math.round(ev.fraction * 100)}%`;
        if (ev.type === "node.started") job.stage = ev.nodeId === "decode" ? "Decoding audio…" : ev.nodeId;
        job.progress = Math.min(0.99, done / nodes);
      }
    } catch {
      /* progress is best effort */
    }
  }

  /** Drops finished jobs older than keepFinishedMs; fails jobs queued longer than the task timeout. */
  purge(now = Date.now()): void {
    const keep = this.opts.keepFinishedMs ?? 24 * 3600_000;
    const timeout = this.opts.taskTimeoutMs ?? 3600_000;
    for (const [id, j] of this.jobs) {
      if (j.finishedAt && now - j.finishedAt > keep) this.jobs.delete(id);
      else if (j.state === "queued" && now - j.createdAt > timeout) {
        j.state = "failed";
        j.error = "task timed out in the queue";
        j.finishedAt = now;
        const i = this.queue.indexOf(id);
        if (i >= 0) this.queue.splice(i, 1);
      }
    }
  }

  /** One element of the /query_result data list. */
  queryOne(id: string): Record<string, unknown> {
    const job = this.jobs.get(id);
    if (!job) return { task_id: id, status: 0, result: "[]" };
    const createTime = Math.floor(job.createdAt / 1000);
    const base = { wave: "", create_time: createTime, env: "development" };
    let items: Record<string, unknown>[];
    if (job.state === "succeeded" && job.result) {
      const r = job.result;
      const p = job.params;
      const seedValue = r.extraOutputs.seedValue.replace(/\s+/g, "");
      items = r.audios.map((a) => {
        const ap = a.params;
        const caption = ap.cotCaption || (p.useCotCaption !== false && r.extraOutputs.lmMetadata?.caption ? String(r.extraOutputs.lmMetadata.caption) : ap.caption);
        return {
          file: a.path ? `/v1/audio?path=${encodeURIComponent(a.path)}` : "",
          ...base,
          status: 1,
          prompt: caption,
          lyrics: ap.lyrics || ap.cotLyrics,
          metas: {
            bpm: p.bpm ?? null,
            duration: typeof p.duration === "number" && p.duration > 0 ? p.duration : null,
            genres: "",
            keyscale: p.keyscale ?? "",
            timesignature: p.timesignature ?? "",
            prompt: p.caption ?? "",
            lyrics: p.lyrics ?? "",
          },
          generation_info: r.statusMessage,
          seed_value: seedValue,
          lm_model: r.extraOutputs.graph && (r.extraOutputs.graph as { nodes: Record<string, unknown> }).nodes.lm ? (job.models?.lm ?? "default") : "",
          dit_model: job.models?.dit ?? "default",
          key: a.key,
          progress: 1.0,
          stage: "succeeded",
        };
      });
    } else if (job.state === "failed") {
      items = [{ file: "", ...base, status: 2, progress: job.progress, stage: "failed", error: job.error ?? "failed" }];
    } else {
      items = [{ file: "", ...base, status: 0, progress: job.progress, stage: job.stage }];
    }
    return { task_id: id, status: STATUS_CODE[job.state], result: JSON.stringify(items), progress_text: job.state === "failed" ? (job.error ?? "") : job.stage };
  }

  stats() {
    this.purge();
    const count = (s: JobState) => [...this.jobs.values()].filter((j) => j.state === s).length;
    const avg = this.durations.length ? this.durations.reduce((a, b) => a + b, 0) / this.durations.length : 5.0;
    return {
      jobs: { total: this.jobs.size, queued: count("queued"), running: count("running"), succeeded: count("succeeded"), failed: count("failed") },
      queue_size: this.queue.length,
      queue_maxsize: this.maxSize,
      avg_job_seconds: avg,
    };
  }
}

// ---------------------------------------------------------------- routes

const UPLOAD_FIELDS: Record<string, "srcAudio" | "referenceAudio"> = { src_audio: "srcAudio", ctx_audio: "srcAudio", reference_audio: "referenceAudio", ref_audio: "referenceAudio" };

async function releaseTask(f: RestFacade, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const app = f.app;
  // A valid header spares reading the body of an unauthenticated upload; otherwise ai_token may be in the body.
  const early = checkAuth(app, req, url);
  const body = await readBody(req, app.config.maxUploadBytes + 1024 * 1024);
  if (!early.ok) {
    const late = checkAuth(app, req, url, body.fields.ai_token ?? body.fields.aiToken);
    if (!late.ok) return detail(res, late.status, late.message);
  }
  const parsed = parseReleaseBody(body.fields);
  // Paths are confined to the data folder (upstream: absolute server paths).
  for (const field of ["srcAudio", "referenceAudio"] as const) {
    const v = parsed.params[field];
    if (typeof v === "string" && v !== "") parsed.params[field] = dataRelative(app.config.dataDir, v, field === "srcAudio" ? "src_audio_path" : "reference_audio_path");
  }
  const uploads: string[] = [];
  for (const [name, file] of Object.entries(body.files)) {
    const field = UPLOAD_FIELDS[name];
    if (!field) continue;
    if (file.bytes.length === 0) continue;
    const format = sniffAudio(file.bytes);
    if (!format) throw new RequestError(415, `the file "${file.name}" (${name}) is not audio this server can read (wav, flac, mp3, ogg)`);
    const hash = createHash("sha256").update(file.bytes).digest("hex").slice(0, 16);
    const rel = `uploads/api-${hash}-${randomUUID().slice(0, 8)}.${format}`;
    await writeFileAtomic(join(app.config.dataDir, rel), file.bytes);
    uploads.push(join(app.config.dataDir, rel));
    parsed.params[field] = rel; // an upload overrides the matching *_path field
  }
  const { taskId, position } = f.enqueue(parsed, uploads);
  send(res, 200, wrap({ task_id: taskId, status: "queued", queue_position: position }));
}

/** A path in the data folder: relative, or absolute under the data folder. */
function dataRelative(dataDir: string, p: string, field: string): string {
  if (!isAbsolute(p)) return p;
  const root = resolve(dataDir);
  const full = resolve(p);
  if (full.startsWith(root + sep)) return relative(root, full).split(sep).join("/");
  throw new RequestError(403, `${field} "${p}" is outside the data folder`);
}

async function queryResult(f: RestFacade, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body = await readBody(req, 1024 * 1024);
  const auth = checkAuth(f.app, req, url, body.fields.ai_token ?? body.fields.aiToken);
  if (!auth.ok) return detail(res, auth.status, auth.message);
  let list: unknown = body.fields.task_id_list ?? body.fields.taskIdList;
  if (typeof list === "string") {
    const s = list.trim();
    if (s.startsWith("[")) {
      try {
        list = JSON.parse(s);
      } catch {
        throw new RequestError(400, "task_id_list is not a valid JSON array");
      }
    } else list = s === "" ? [] : s.split(",").map((x) => x.trim());
  }
  if (list === undefined) list = [];
  if (!Array.isArray(list)) throw new RequestError(400, "task_id_list must be a JSON array of task ids");
  f.purge();
  send(res, 200, wrap(list.map((id) => f.queryOne(String(id)))));
}

async function audio(f: RestFacade, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const auth = checkAuth(f.app, req, url);
  if (!auth.ok) return detail(res, auth.status, auth.message);
  const p = url.searchParams.get("path");
  if (!p) return detail(res, 400, "the query parameter path is required");
  let rel: string;
  try {
    rel = dataRelative(f.app.config.dataDir, p, "path");
  } catch (e) {
    if (e instanceof RequestError) return detail(res, e.status, e.message);
    throw e;
  }
  serveFile(req, res, f.app.config.dataDir, rel.split("/").map(encodeURIComponent).join("/"), (r) => isServedPath(f.app.store, r));
}

const ROUTES: Record<string, { methods: string[]; run: (f: RestFacade, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void }> = {
  "/release_task": { methods: ["POST"], run: releaseTask },
  "/query_result": { methods: ["POST"], run: queryResult },
  "/v1/audio": { methods: ["GET", "HEAD"], run: audio },
  "/v1/stats": {
    methods: ["GET"],
    run: (f, req, res, url) => {
      const auth = checkAuth(f.app, req, url);
      if (!auth.ok) return detail(res, auth.status, auth.message);
      send(res, 200, wrap(f.stats()));
    },
  },
  "/health": { methods: ["GET"], run: (_f, _req, res) => send(res, 200, wrap({ status: "ok", service: "ACE-Step API", version: "1.0" })) },
};

/** The REST facade routes for the HTTP server (one facade per app context). */
export function restRoutes(app: AppContext, opts: RestFacadeOptions = {}): ExtraRoute[] {
  return new RestFacade(app, opts).routes();
}

export const REST_PATHS = Object.keys(ROUTES);
