// REST tasks are stored runs of kind "generate": /release_task queues one through the run service (the same
// queue, cap and store as every entry point), its run id is the task id, and /query_result reads the store —
// so a task answers its true status after any restart. The job runs upstream's pipeline (sample mode or
// format first, then generate_music) with every graph executed inside the task's own run.
import type { AppContext } from "../../app-context";
import type { JobKind, JobOutcome } from "../../runs/service";
import type { RunRecord, RunStatus } from "../../runs/store";
import { REQUEUE } from "../../runs/queue";
import type { Graph } from "../../graph/format";
import { createSample, formatSample, generateMusic, type GenerateOptions } from "../library";
import type { GenerationResult } from "../params";
import type { ParsedRelease } from "./fields";
import { removeUploads } from "./uploads";

export const TASK_KIND = "generate";

/** What a REST task stores as its request. */
export interface TaskPayload extends ParsedRelease {
  /** Uploaded files (data-relative), deleted when the task ends, as upstream. */
  uploads: string[];
}

/** What a finished task stores: the /query_result items, the files and the song they carry. */
export interface TaskResult {
  items: Record<string, unknown>[];
  /** The audio files, data-relative (upstream `raw_audio_paths`). */
  paths: string[];
  summary: TaskSummary;
}

/**
 * The song of a finished task as upstream's job result describes it (acestep/api_server.py `_blocking_generate`):
 * the user's prompt (`metas.prompt`) or else the final caption, the final lyrics, and each metadata value from
 * the LM (`cot_*`) or else from the request.
 */
export interface TaskSummary {
  caption: string;
  lyrics: string;
  bpm: number | null;
  duration: number | null;
  keyscale: string;
  timesignature: string;
}

export type GenerateFn = (
  params: Record<string, unknown>,
  config: Record<string, unknown>,
  opts: GenerateOptions,
) => Promise<GenerationResult>;

/** The "generate" job kind: runs a stored REST request. `generate` is replaceable for tests. */
export function generateTaskKind(app: AppContext, generate: GenerateFn = (p, c, o) => generateMusic(p, c, o)): JobKind {
  const dropUploads = (run: RunRecord) =>
    removeUploads(app.config.dataDir, (run.payload as TaskPayload | null)?.uploads ?? []);
  return {
    async run(ctx): Promise<JobOutcome> {
      const job = ctx.run.payload as TaskPayload;
      const inside = { runId: ctx.run.id, runGraph: (g: Graph) => ctx.runGraph(g) };
      const params = { ...job.params };
      let models: { dit?: string; lm?: string } = {};
      let r: GenerationResult | undefined;
      let error: string | undefined;
      try {
        const rp = job.request.lmRepetitionPenalty as number | undefined;
        const lmOpts = {
          app,
          inside,
          temperature: params.lmTemperature as number | undefined,
          topK: params.lmTopK as number | undefined,
          topP: params.lmTopP as number | undefined,
          repetitionPenalty: rp,
        };
        if (
          job.request.sampleMode ||
          (typeof job.request.sampleQuery === "string" && job.request.sampleQuery.trim() !== "")
        ) {
          ctx.setStage("create_sample");
          const lang =
            typeof params.vocalLanguage === "string" && params.vocalLanguage !== "en" ? params.vocalLanguage : null;
          const s = await createSample(String(job.request.sampleQuery ?? ""), {
            ...lmOpts,
            instrumental: params.instrumental === true,
            vocalLanguage: lang,
          });
          if (!s.success) throw new Error(`sample mode: ${s.error}`);
          Object.assign(params, {
            caption: s.caption,
            lyrics: s.lyrics,
            ...songFields(s),
            ...(s.language ? { vocalLanguage: s.language } : {}),
          });
        } else if (job.request.useFormat) {
          ctx.setStage("format");
          const duration = params.duration as number;
          const f = await formatSample(String(params.caption ?? ""), String(params.lyrics ?? ""), {
            ...lmOpts,
            userMetadata: {
              bpm: params.bpm as number | undefined,
              duration: duration > 0 ? duration : undefined,
              keyscale: params.keyscale as string | undefined,
              timesignature: params.timesignature as string | undefined,
            },
          });
          if (!f.success) throw new Error(`use_format: ${f.error}`);
          Object.assign(params, { caption: f.caption, lyrics: f.lyrics, ...songFields(f) });
        }
        ctx.setStage("generating");
        models = await modelNames(app, job.request);
        r = await generate(params, job.config, {
          app,
          models,
          outsidePaths: "refuse",
          keyMode: "rest",
          signal: ctx.signal,
          inside,
        });
        if (!r.success) error = r.error ?? "generation failed";
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      } finally {
        // Uploads go before the final status is stored, so a client that sees it never finds them; a task put
        // back in the queue (graceful shutdown) keeps them for its next start.
        if (ctx.signal.reason !== REQUEUE) await dropUploads(ctx.run);
      }
      if (ctx.signal.aborted) return { status: "cancelled" };
      if (error !== undefined || !r) return { status: "failed", error: error ?? "generation failed" };
      const metas = metasOut(r, params, job.params);
      const items = succeededItems(r, params, metas, models, ctx.run.createdAt);
      const result: TaskResult = {
        items,
        paths: r.audios.map((a) => a.path).filter((p): p is string => !!p),
        summary: taskSummary(metas, items[0]),
      };
      return { status: "finished", result };
    },
    cleanup: dropUploads,
  };
}

function songFields(s: { bpm: number | null; duration: number | null; keyscale: string; timesignature: string }) {
  return {
    ...(s.bpm ? { bpm: s.bpm } : {}),
    ...(s.duration ? { duration: s.duration } : {}),
    ...(s.keyscale ? { keyscale: s.keyscale } : {}),
    ...(s.timesignature ? { timesignature: s.timesignature } : {}),
  };
}

/** `model` / `lm_model_path` → loader names; an unknown name falls back to the default model, as upstream. */
async function modelNames(app: AppContext, request: Record<string, unknown>): Promise<{ dit?: string; lm?: string }> {
  const out: { dit?: string; lm?: string } = {};
  const pick = async (kind: "dit" | "lm", name: unknown) => {
    if (typeof name !== "string" || name.trim() === "") return;
    try {
      if ((await app.models.entries(kind)).some((e) => e.name === name)) out[kind] = name;
    } catch {
      /* models unavailable: the run reports it */
    }
  };
  await pick("dit", request.model);
  await pick("lm", request.lmModelPath);
  return out;
}

const base = (createdAt: number) => ({ wave: "", create_time: Math.floor(createdAt / 1000), env: "development" });

/** The /query_result items of a succeeded task (one per audio), as upstream builds them. */
function succeededItems(
  r: GenerationResult,
  p: Record<string, unknown>,
  metas: Metas,
  models: { dit?: string; lm?: string },
  createdAt: number,
) {
  const seedValue = r.extraOutputs.seedValue.replace(/\s+/g, "");
  const usesLm = !!(r.extraOutputs.graph && (r.extraOutputs.graph as { nodes: Record<string, unknown> }).nodes.lm);
  return r.audios.map((a) => {
    const ap = a.params;
    const lmCaption =
      p.useCotCaption !== false && r.extraOutputs.lmMetadata?.caption
        ? String(r.extraOutputs.lmMetadata.caption)
        : ap.caption;
    return {
      file: a.path ? `/v1/audio?path=${encodeURIComponent(a.path)}` : "",
      ...base(createdAt),
      status: 1,
      prompt: ap.cotCaption || lmCaption,
      lyrics: ap.lyrics || ap.cotLyrics,
      metas,
      generation_info: r.statusMessage,
      seed_value: seedValue,
      lm_model: usesLm ? (models.lm ?? "default") : "",
      dit_model: models.dit ?? "default",
      key: a.key,
      progress: 1.0,
      stage: "succeeded",
    };
  });
}

/** The `metas` of a result element; missing values are "N/A", as upstream's `_normalize_metas`. */
type Metas = Record<"bpm" | "duration" | "genres" | "keyscale" | "timesignature", string | number> &
  Record<"prompt" | "lyrics", string>;

/**
 * upstream's `metas_out` (acestep/api_server.py `_blocking_generate`): the LM's metadata, each value overridden by
 * the LM's CoT value or else the request's (`p`, after sample mode / format filled it), and the user's original
 * prompt and lyrics (`original`, the request as it came).
 */
function metasOut(r: GenerationResult, p: Record<string, unknown>, original: Record<string, unknown>): Metas {
  const ap = r.audios[0]?.params;
  const lm = (r.extraOutputs.lmMetadata ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === "number" && v > 0 ? v : null);
  const text = (v: unknown) => (typeof v === "string" && v !== "" && v !== "N/A" ? v : null);
  const text0 = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    bpm: num(ap?.cotBpm) ?? num(p.bpm) ?? num(lm.bpm) ?? "N/A",
    duration: num(ap?.cotDuration) ?? num(p.duration) ?? num(lm.duration) ?? "N/A",
    genres: text(lm.genres) ?? "N/A",
    keyscale: text(ap?.cotKeyscale) ?? text(p.keyscale) ?? text(lm.keyscale) ?? "N/A",
    timesignature: text(ap?.cotTimesignature) ?? text(p.timesignature) ?? text(lm.timesignature) ?? "N/A",
    prompt: text0(original.caption),
    lyrics: text0(original.lyrics),
  };
}

/** The chat completion's song: upstream `_format_lm_content` reads the metas, the final lyrics and caption. */
function taskSummary(m: Metas, first: { prompt?: unknown; lyrics?: unknown } | undefined) {
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const text = (v: unknown) => (typeof v === "string" && v !== "N/A" ? v : "");
  return {
    caption: m.prompt || text(first?.prompt),
    lyrics: text(first?.lyrics),
    bpm: num(m.bpm),
    duration: num(m.duration),
    keyscale: text(m.keyscale),
    timesignature: text(m.timesignature),
  } satisfies TaskSummary;
}

const STATUS_CODE: Record<RunStatus, 0 | 1 | 2> = {
  queued: 0,
  running: 0,
  finished: 1,
  failed: 2,
  cancelled: 2,
  interrupted: 2,
};

function failureText(run: RunRecord): string {
  if (run.status === "cancelled") return "the task was cancelled";
  if (run.status === "interrupted") return "the server stopped while the task ran (interrupted)";
  return run.error?.message ?? "failed";
}

/** One element of the /query_result data list, read from the store (unknown ids answer "queued", as upstream). */
export function queryTask(app: AppContext, id: string): Record<string, unknown> {
  const run = app.store.getRun(id);
  if (!run || run.kind !== TASK_KIND) return { task_id: id, status: 0, result: "[]" };
  const code = STATUS_CODE[run.status];
  if (code === 1) {
    const items = (run.result as TaskResult | null)?.items ?? [];
    return { task_id: id, status: 1, result: JSON.stringify(items), progress_text: "succeeded" };
  }
  if (code === 2) {
    const error = failureText(run);
    const items = [{ file: "", ...base(run.createdAt), status: 2, progress: 0, stage: "failed", error }];
    return { task_id: id, status: 2, result: JSON.stringify(items), progress_text: error };
  }
  const live = run.status === "running" ? app.runs.stage(id) : null;
  const stage = live?.stage ?? run.status;
  const items = [{ file: "", ...base(run.createdAt), status: 0, progress: live?.progress ?? 0, stage }];
  return { task_id: id, status: 0, result: JSON.stringify(items), progress_text: stage };
}

/** GET /v1/stats: upstream's fields (tasks of the last 24 h) and this server's queue and workers. */
export function taskStats(app: AppContext, now = Date.now()) {
  const since = now - 24 * 3600_000;
  const rows = app.store.db
    .prepare("SELECT status, COUNT(*) AS n FROM runs WHERE kind=? AND created_at>=? GROUP BY status")
    .all(TASK_KIND, since) as {
    status: RunStatus;
    n: number;
  }[];
  const n = (...s: RunStatus[]) => rows.filter((r) => s.includes(r.status)).reduce((a, r) => a + r.n, 0);
  const recent = app.store.db
    .prepare(
      "SELECT finished_at - started_at AS ms FROM runs WHERE kind=? AND status='finished' AND started_at IS NOT NULL ORDER BY finished_at DESC LIMIT 50",
    )
    .all(TASK_KIND) as { ms: number }[];
  const queue = app.runs.queueStats();
  return {
    jobs: {
      total: n(...(Object.keys(STATUS_CODE) as RunStatus[])),
      queued: n("queued"),
      running: n("running"),
      succeeded: n("finished"),
      failed: n("failed", "cancelled", "interrupted"),
    },
    queue_size: queue.waiting,
    queue_maxsize: app.runs.maxQueued,
    avg_job_seconds: recent.length ? recent.reduce((a, r) => a + r.ms, 0) / recent.length / 1000 : 5.0,
    queue,
  };
}
