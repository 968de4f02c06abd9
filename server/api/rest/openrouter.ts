// The OpenAI/OpenRouter-compatible routes upstream mounts on its REST server (acestep/openrouter_adapter.py
// `create_openrouter_router`, request/response models in acestep/openrouter_models.py;
// ace-step/ACE-Step-1.5 docs/en/Openrouter_API_DOC.md): POST /v1/chat/completions (a generation through the same task queue as
// /release_task, answered as a chat completion with the audio as a base64 data URL, or as SSE chunks with
// `stream: true`) and GET /v1/models. Upstream includes this router before its own GET /v1/models
// (acestep/api_server.py `create_app`), so the OpenRouter list is what that path answers there too.
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { z } from "zod";
import type { AppContext } from "../../app-context";
import { HttpError } from "../../http/body";
import { sendJson } from "../../http/respond";
import { ModelsUnavailableError } from "../../models/manager";
import { readAuthenticated, requireAuth } from "./auth";
import { parseReleaseBody } from "./fields";
import { TASK_KIND, type TaskPayload, type TaskResult, type TaskSummary } from "./tasks";
import { removeUploads, storeUpload } from "./uploads";

/** Model ids are `acestep/<folder name>` (`_get_model_id`). */
export const MODEL_PREFIX = "acestep";

const MIME: Record<string, string> = {
  mp3: "audio/mpeg",
  wav: "audio/wav",
  flac: "audio/flac",
  ogg: "audio/ogg",
  m4a: "audio/mp4",
  aac: "audio/aac",
};

// ---------------------------------------------------------------- request (openrouter_models.py)

const zPart = z.union([
  z.object({ type: z.literal("text"), text: z.string() }).loose(),
  z
    .object({
      type: z.literal("input_audio"),
      input_audio: z.object({ data: z.string(), format: z.string().default("mp3") }).loose(),
    })
    .loose(),
  z.record(z.string(), z.unknown()),
]);

const zMessage = z
  .object({
    role: z.enum(["system", "user", "assistant"]),
    content: z.union([z.string(), z.array(zPart)]),
    name: z.string().nullish(),
  })
  .loose();

const zAudioConfig = z
  .object({
    duration: z.number().nullish(),
    format: z.string().default("mp3"),
    bpm: z.number().int().nullish(),
    key_scale: z.string().nullish(),
    time_signature: z.string().nullish(),
    vocal_language: z.string().nullish(),
    instrumental: z.boolean().nullish(),
  })
  .loose();

/** `ChatCompletionRequest`; `model` may be left out here (the default DiT), as upstream's document says. */
export const zChatCompletionRequest = z
  .object({
    model: z.string().optional(),
    messages: z.array(zMessage),
    modalities: z.array(z.string()).nullish(),
    audio_config: zAudioConfig.nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    top_k: z.number().int().min(0).nullish(),
    max_tokens: z.number().int().min(1).nullish(),
    stream: z.boolean().default(false),
    stop: z.union([z.string(), z.array(z.string())]).nullish(),
    seed: z.union([z.number().int(), z.string()]).nullish(),
    thinking: z.boolean().nullish(),
    guidance_scale: z.number().nullish(),
    batch_size: z.number().int().nullish(),
    lyrics: z.string().default(""),
    sample_mode: z.boolean().default(false),
    use_format: z.boolean().default(false),
    use_cot_caption: z.boolean().default(true),
    use_cot_language: z.boolean().default(true),
    task_type: z.string().default("text2music"),
    repainting_start: z.number().default(0),
    repainting_end: z.number().nullish(),
    audio_cover_strength: z.number().default(1),
  })
  .loose();

export type ChatCompletionRequest = z.infer<typeof zChatCompletionRequest>;

// ---------------------------------------------------------------- messages (`_parse_messages`)

/** `<prompt>…</prompt>` and `<lyrics>…</lyrics>` of a text (`_extract_tagged_content`). */
export function extractTagged(text: string): { prompt: string | null; lyrics: string | null; rest: string } {
  let rest = text;
  const take = (tag: string): string | null => {
    const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "i").exec(text);
    if (!m) return null;
    rest = rest.replace(m[0], "").trim();
    return m[1].trim();
  };
  const prompt = take("prompt");
  const lyrics = take("lyrics");
  return { prompt, lyrics, rest };
}

const LYRICS_MARKERS = [
  "[verse",
  "[chorus",
  "[bridge",
  "[intro",
  "[outro",
  "[hook",
  "[pre-chorus",
  "[refrain",
  "[inst",
];

/** Whether a text looks like song lyrics (`_looks_like_lyrics`): a section tag, or ≥ 4 short lines. */
export function looksLikeLyrics(text: string): boolean {
  if (!text) return false;
  const lower = text.toLowerCase();
  if (LYRICS_MARKERS.some((m) => lower.includes(m))) return true;
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.length >= 4 && lines.reduce((a, l) => a + l.length, 0) / lines.length < 60;
}

export interface ParsedMessages {
  prompt: string;
  lyrics: string;
  /** Base64 audio of the `input_audio` parts, in order. */
  audios: { data: string; format: string }[];
  system: string | null;
  sampleQuery: string | null;
}

/**
 * The user messages → prompt, lyrics and audio (`_parse_messages`): tagged text, else lyrics-like text, else
 * prompt; without tags or lyrics the whole text becomes the sample query (the LM writes the song).
 */
export function parseMessages(messages: ChatCompletionRequest["messages"]): ParsedMessages {
  const promptParts: string[] = [];
  let lyrics = "";
  let system: string | null = null;
  let hasTags = false;
  const audios: { data: string; format: string }[] = [];
  const text = (raw: string) => {
    const t = raw.trim();
    const tagged = extractTagged(t);
    if (tagged.prompt !== null || tagged.lyrics !== null) {
      hasTags = true;
      if (tagged.prompt) promptParts.push(tagged.prompt);
      if (tagged.lyrics) lyrics = tagged.lyrics;
      if (tagged.rest) promptParts.push(tagged.rest);
    } else if (looksLikeLyrics(t)) lyrics = t;
    else promptParts.push(t);
  };
  for (const m of messages) {
    if (m.role === "system") {
      if (typeof m.content === "string") system = m.content;
      continue;
    }
    if (m.role !== "user") continue;
    if (typeof m.content === "string") {
      text(m.content);
      continue;
    }
    for (const part of m.content) {
      if (part.type === "text" && typeof part.text === "string") text(part.text);
      else if (part.type === "input_audio") {
        const a = part.input_audio as { data?: unknown; format?: unknown } | undefined;
        if (a && typeof a.data === "string" && a.data !== "")
          audios.push({ data: a.data, format: typeof a.format === "string" ? a.format : "mp3" });
      }
    }
  }
  let prompt = promptParts.join(" ").trim();
  let sampleQuery: string | null = null;
  if (!hasTags && !lyrics && prompt) {
    sampleQuery = prompt;
    prompt = "";
  }
  return { prompt, lyrics, audios, system, sampleQuery };
}

/** Tasks whose first audio is the source (`_SRC_AUDIO_TASK_TYPES`); otherwise it is the reference. */
const SRC_AUDIO_TASKS = new Set(["cover", "repaint", "lego", "extract", "complete"]);

/** The model name of an id (`_parse_model_name`): the part after the first "/". */
export function modelNameOf(id: string): string {
  const i = id.indexOf("/");
  return i < 0 ? id : id.slice(i + 1);
}

/**
 * The /release_task body (upstream field names) a chat request stands for (`_to_generate_music_request`), to
 * go through the same field parser. Upstream turns text2music with a reference into "music_continuation",
 * which no task of its pipeline handles specially; here it stays text2music with the reference as timbre.
 */
export function chatToReleaseBody(
  req: ChatCompletionRequest,
  m: { prompt: string; lyrics: string; sampleQuery: string | null },
  audio: { src: string | null; reference: string | null },
): Record<string, unknown> {
  const ac = req.audio_config ?? { format: "mp3" };
  let lyrics = req.lyrics || m.lyrics;
  if (ac.instrumental && !lyrics) lyrics = "[inst]";
  return {
    prompt: m.prompt,
    lyrics,
    sample_query: m.sampleQuery ?? "",
    sample_mode: req.sample_mode || !!m.sampleQuery,
    bpm: ac.bpm ?? undefined,
    key_scale: ac.key_scale ?? "",
    time_signature: ac.time_signature ?? "",
    audio_duration: ac.duration ? ac.duration : undefined,
    vocal_language: ac.vocal_language || "en",
    lm_temperature: req.temperature ?? 0.85,
    lm_top_p: req.top_p ?? 0.9,
    lm_top_k: req.top_k ?? 0,
    thinking: req.thinking ?? false,
    inference_steps: 8,
    guidance_scale: req.guidance_scale ?? 7.0,
    seed: req.seed ?? -1,
    use_random_seed: req.seed === null || req.seed === undefined,
    batch_size: req.batch_size ?? 1,
    task_type: req.task_type,
    src_audio_path: audio.src ?? undefined,
    reference_audio_path: audio.reference ?? undefined,
    repainting_start: req.repainting_start,
    repainting_end: req.repainting_end ?? undefined,
    audio_cover_strength: req.audio_cover_strength,
    use_format: req.use_format,
    use_cot_caption: req.use_cot_caption,
    use_cot_language: req.use_cot_language,
    model: req.model ? modelNameOf(req.model) : undefined,
    audio_format: ac.format || "mp3",
  };
}

// ---------------------------------------------------------------- response

/** The assistant text (`_format_lm_content`): a Metadata section and the lyrics, or a plain sentence. */
export function formatLmContent(s: TaskSummary): string {
  const meta: string[] = [];
  if (s.caption) meta.push(`**Caption:** ${s.caption}`);
  if (s.bpm) meta.push(`**BPM:** ${s.bpm}`);
  if (s.duration) meta.push(`**Duration:** ${s.duration}s`);
  if (s.keyscale && s.keyscale !== "N/A") meta.push(`**Key:** ${s.keyscale}`);
  if (s.timesignature && s.timesignature !== "N/A") meta.push(`**Time Signature:** ${s.timesignature}`);
  const parts: string[] = [];
  if (meta.length) parts.push(`## Metadata\n${meta.join("\n")}`);
  const l = s.lyrics.trim().toLowerCase();
  if (l && l !== "[inst]" && l !== "[instrumental]") parts.push(`## Lyrics\n${s.lyrics}`);
  return parts.length ? parts.join("\n\n") : "Music generated successfully.";
}

/** `data:<mime>;base64,…` of a result file (`_audio_to_base64_url`); null when it is missing. */
async function audioDataUrl(dataDir: string, rel: string): Promise<string | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dataDir, rel));
  } catch {
    return null;
  }
  const mime = MIME[extname(rel).slice(1).toLowerCase()] ?? "audio/mpeg";
  return `data:${mime};base64,${bytes.toString("base64")}`;
}

const completionId = () => `chatcmpl-${randomUUID().replace(/-/g, "").slice(0, 24)}`;

type RunEnd = { ok: true; result: TaskResult } | { ok: false; error: string };

/** The stored end of a chat task. */
function taskEnd(app: AppContext, runId: string): RunEnd {
  const run = app.store.getRun(runId);
  if (run?.status === "finished") return { ok: true, result: run.result as TaskResult };
  if (run?.status === "cancelled") return { ok: false, error: "the task was cancelled" };
  return { ok: false, error: run?.error?.message ?? "Generation failed" };
}

async function audioParts(app: AppContext, end: RunEnd & { ok: true }) {
  const first = end.result.paths?.[0];
  const url = first ? await audioDataUrl(app.config.dataDir, first) : null;
  return url ? [{ type: "audio_url", audio_url: { url } }] : null;
}

// ---------------------------------------------------------------- routes

/** The default DiT's model id (the first turbo, as the loaders pick it), or the bare prefix without models. */
async function defaultModelId(app: AppContext): Promise<string> {
  try {
    return `${MODEL_PREFIX}/${(await app.models.find("dit")).name}`;
  } catch (e) {
    if (e instanceof ModelsUnavailableError) return MODEL_PREFIX;
    throw e;
  }
}

/** Two base64 audios of the upload cap, plus the text. */
function chatBodyCap(maxUploadBytes: number): number {
  return 2 * Math.ceil((maxUploadBytes * 4) / 3) + 1024 * 1024;
}

export async function chatCompletions(
  app: AppContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const body = await readAuthenticated(app, req, url, chatBodyCap(app.config.maxUploadBytes));
  const parsedReq = zChatCompletionRequest.safeParse(body.fields);
  if (!parsedReq.success) {
    const i = parsedReq.error.issues[0];
    throw new HttpError(400, `Invalid request format: ${i.path.join(".") || "body"}: ${i.message}`);
  }
  const cr = parsedReq.data;
  const m = parseMessages(cr.messages);
  // With lyrics or sample_mode given, the message text is the prompt or the query, not guessed.
  if (cr.lyrics || cr.sample_mode) {
    const raw = m.prompt || m.sampleQuery || "";
    if (cr.lyrics) Object.assign(m, { prompt: raw, lyrics: cr.lyrics, sampleQuery: null });
    else Object.assign(m, { prompt: "", lyrics: "", sampleQuery: raw });
  }
  if (!m.prompt && !m.lyrics && !m.sampleQuery && !cr.sample_mode && !m.audios.length)
    throw new HttpError(400, "No valid prompt, lyrics, sample query, or input audio found in request");

  const uploads: string[] = [];
  for (const [i, a] of m.audios.entries()) {
    const b64 = a.data.includes(",") ? a.data.slice(a.data.indexOf(",") + 1) : a.data;
    uploads.push(await storeUpload(app, Buffer.from(b64, "base64"), `input_audio ${i + 1}`));
  }
  const srcTask = SRC_AUDIO_TASKS.has(cr.task_type);
  const audio = {
    src: srcTask ? (uploads[0] ?? null) : null,
    reference: srcTask ? (uploads[1] ?? null) : (uploads[0] ?? null),
  };
  let payload: TaskPayload;
  try {
    payload = { ...parseReleaseBody(chatToReleaseBody(cr, m, audio)), uploads };
  } catch (e) {
    await removeUploads(app.config.dataDir, uploads);
    throw e;
  }
  const model = cr.model ?? (await defaultModelId(app));
  let runId: string;
  try {
    runId = app.runs.submit(TASK_KIND, payload).runId;
  } catch (e) {
    await removeUploads(app.config.dataDir, uploads);
    throw e;
  }
  if (cr.stream) return streamCompletion(app, res, runId, model);

  const timeout = AbortSignal.timeout(app.config.generationTimeoutS * 1000);
  await app.runs.waitFor(runId, timeout);
  app.runs.takeOutcome(runId);
  if (timeout.aborted && !isEnded(app, runId)) throw new HttpError(504, "Generation timeout");
  const end = taskEnd(app, runId);
  if (!end.ok) throw new HttpError(500, end.error);
  sendJson(res, 200, {
    id: completionId(),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: formatLmContent(end.result.summary), audio: await audioParts(app, end) },
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  });
}

function isEnded(app: AppContext, runId: string): boolean {
  const s = app.store.getRun(runId)?.status;
  return s !== undefined && s !== "queued" && s !== "running";
}

/** SSE (`_openrouter_stream_generator`): a role chunk, "." every 2 s while waiting, the text, the audio, stop. */
async function streamCompletion(app: AppContext, res: ServerResponse, runId: string, model: string): Promise<void> {
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
  });
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => {
    if (!res.writableEnded)
      res.write(
        `data: ${JSON.stringify({
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        })}\n\n`,
      );
  };
  chunk({ role: "assistant", content: "Generating music" });
  const beat = setInterval(() => chunk({ content: "." }), 2000);
  try {
    await app.runs.waitFor(runId, gone.signal);
    app.runs.takeOutcome(runId);
  } finally {
    clearInterval(beat);
  }
  if (gone.signal.aborted) return; // the client left; the task runs on, as upstream's
  const end = taskEnd(app, runId);
  if (!end.ok) {
    chunk({ content: `\n\nError: ${end.error}` });
    chunk({}, "error");
  } else {
    chunk({ content: `\n\n${formatLmContent(end.result.summary)}` });
    const audio = await audioParts(app, end);
    if (audio) chunk({ audio });
    chunk({}, "stop");
  }
  res.end("data: [DONE]\n\n");
}

/** GET /v1/models (`list_models` of the OpenRouter router): the installed DiT models, the default first. */
export async function listModelsOpenRouter(
  app: AppContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  requireAuth(app, req, url);
  let names: string[] = [];
  try {
    const dits = (await app.models.entries("dit")).map((e) => e.name);
    const first = (await app.models.find("dit")).name;
    names = [first, ...dits.filter((n) => n !== first)];
  } catch (e) {
    if (!(e instanceof ModelsUnavailableError)) throw e;
  }
  const created = Math.floor(Date.now() / 1000) - 86400 * 30;
  sendJson(res, 200, {
    object: "list",
    data: names.map((name) => ({
      id: `${MODEL_PREFIX}/${name}`,
      name: `ACE-Step ${name}`,
      created,
      input_modalities: ["text", "audio"],
      output_modalities: ["audio", "text"],
      context_length: 4096,
      max_output_length: 300,
      pricing: { prompt: "0", completion: "0", request: "0", image: "0" },
      description: "AI music generation model",
      architecture: null,
    })),
  });
}
