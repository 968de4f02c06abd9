// The ACE-Step-compatible REST routes (acestep/api_server.py; ace-step/ACE-Step-1.5 docs/en/API.md): POST /release_task,
// POST /query_result, GET /v1/audio, GET /v1/stats, GET /health — upstream field names, envelope, status
// values (0 queued/running, 1 succeeded, 2 failed) and the full-queue 429, so existing clients work unchanged.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHash, randomUUID } from "node:crypto";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type { AppContext } from "../../app-context";
import { authorize, type AuthResult } from "../../http/auth";
import { HttpError, readBody, type RequestBody } from "../../http/body";
import { serveFile } from "../../http/files";
import { isServedPath } from "../../http/served";
import { tableRoute, type ExtraRoute, type RouteSpec } from "../../http/routes";
import { sniffAudio } from "../../files/sniff";
import { writeFileAtomic } from "../../files/atomic";
import { QueueFullError } from "../../runs/queue";
import { sendData, sendDetail } from "./envelope";
import { parseReleaseBody } from "./fields";
import { generateTaskKind, queryTask, taskStats, TASK_KIND, type GenerateFn, type TaskPayload } from "./tasks";

export interface RestFacadeOptions {
  /** The generation function (tests inject a stub). */
  generate?: GenerateFn;
}

/** The facade of one app context: registers the "generate" job kind and answers the routes. */
export class RestFacade {
  private readonly route: ExtraRoute;

  constructor(
    readonly app: AppContext,
    opts: RestFacadeOptions = {},
  ) {
    app.runs.registerKind(TASK_KIND, generateTaskKind(app, opts.generate));
    this.route = tableRoute(this, ROUTES, {
      refuse: sendDetail,
      fail: (res, e) => {
        if (e instanceof HttpError) return sendDetail(res, e.status, e.message);
        if (e instanceof QueueFullError) return sendDetail(res, 429, e.message);
        console.error("REST facade:", e);
        sendDetail(res, 500, "internal error");
      },
    });
  }

  /** The queue capacity (ACESTEP_QUEUE_MAXSIZE, shared with every entry point). */
  get maxSize(): number {
    return this.app.runs.maxQueued;
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    return Promise.resolve(this.route(req, res, url));
  }

  routes(): ExtraRoute[] {
    return [this.route];
  }
}

/** The REST routes for the HTTP server (one facade per app context). */
export function restRoutes(app: AppContext, opts: RestFacadeOptions = {}): ExtraRoute[] {
  return new RestFacade(app, opts).routes();
}

const AUTH_MESSAGES: Record<Exclude<AuthResult, { ok: true }>["reason"], string> = {
  unconfigured: "the server is bound beyond loopback without ACESTEP_API_TOKEN",
  missing: "Missing ai_token or Authorization header",
  wrong: "Invalid API key",
  "wrong-body-token": "Invalid ai_token",
};

/** The server's token rule, with upstream's messages; throws the 401 (or 500) to answer. */
function requireAuth(app: AppContext, req: IncomingMessage, url: URL, bodyToken?: unknown): void {
  const r = authorize(app.config, req, url, bodyToken);
  if (!r.ok) throw new HttpError(r.status, AUTH_MESSAGES[r.reason]);
}

/** Bodies read before the token is known (for upstream's ai_token field) are capped at this. */
export const UNAUTHENTICATED_BODY_BYTES = 64 * 1024;

/**
 * The token before the body: with a valid header (or query/cookie) token, or none needed, the body is read up to
 * `max`. Otherwise it is read only up to 64 KiB, for an `ai_token` field; a larger or unreadable body is refused
 * 401 without being read (an unauthenticated client never gets memory or a parse error out of the server).
 */
async function readAuthenticated(app: AppContext, req: IncomingMessage, url: URL, max: number): Promise<RequestBody> {
  const header = authorize(app.config, req, url);
  if (header.ok) return readBody(req, max);
  if (header.reason === "unconfigured") requireAuth(app, req, url);
  let body: RequestBody;
  try {
    body = await readBody(req, Math.min(max, UNAUTHENTICATED_BODY_BYTES));
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    if (header.reason === "wrong") requireAuth(app, req, url);
    throw new HttpError(
      401,
      `Missing ai_token or Authorization header (ai_token in the body is read from bodies up to ${UNAUTHENTICATED_BODY_BYTES} bytes; send larger ones with "Authorization: Bearer <token>")`,
    );
  }
  requireAuth(app, req, url, body.fields.ai_token ?? body.fields.aiToken);
  return body;
}

/** A path in the data folder: relative, or absolute under the data folder. */
function dataRelative(dataDir: string, p: string, field: string): string {
  if (!isAbsolute(p)) return p;
  const root = resolve(dataDir);
  const full = resolve(p);
  if (full.startsWith(root + sep)) return relative(root, full).split(sep).join("/");
  throw new HttpError(403, `${field} "${p}" is outside the data folder`);
}

const UPLOAD_FIELDS: Record<string, "srcAudio" | "referenceAudio"> = {
  src_audio: "srcAudio",
  ctx_audio: "srcAudio",
  reference_audio: "referenceAudio",
  ref_audio: "referenceAudio",
};

async function releaseTask(f: RestFacade, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const app = f.app;
  const body = await readAuthenticated(app, req, url, app.config.maxUploadBytes + 1024 * 1024);
  const parsed = parseReleaseBody(body.fields);
  // Paths are confined to the data folder (upstream: absolute server paths).
  for (const field of ["srcAudio", "referenceAudio"] as const) {
    const v = parsed.params[field];
    if (typeof v === "string" && v !== "")
      parsed.params[field] = dataRelative(
        app.config.dataDir,
        v,
        field === "srcAudio" ? "src_audio_path" : "reference_audio_path",
      );
  }
  const uploads: string[] = [];
  for (const [name, file] of Object.entries(body.files)) {
    const field = UPLOAD_FIELDS[name];
    if (!field || file.bytes.length === 0) continue;
    const format = sniffAudio(file.bytes);
    if (!format)
      throw new HttpError(
        415,
        `the file "${file.name}" (${name}) is not audio this server can read (wav, flac, mp3, ogg)`,
      );
    const hash = createHash("sha256").update(file.bytes).digest("hex").slice(0, 16);
    const rel = `uploads/api-${hash}-${randomUUID().slice(0, 8)}.${format}`;
    await writeFileAtomic(join(app.config.dataDir, rel), file.bytes);
    uploads.push(rel);
    parsed.params[field] = rel; // an upload overrides the matching *_path field
  }
  const payload: TaskPayload = { ...parsed, uploads };
  const { runId, position } = app.runs.submit(TASK_KIND, payload);
  sendData(res, { task_id: runId, status: "queued", queue_position: position });
}

function taskIdList(fields: Record<string, unknown>): unknown[] {
  let list: unknown = fields.task_id_list ?? fields.taskIdList;
  if (typeof list === "string") {
    const s = list.trim();
    if (s.startsWith("[")) {
      try {
        list = JSON.parse(s);
      } catch {
        throw new HttpError(400, "task_id_list is not a valid JSON array");
      }
    } else list = s === "" ? [] : s.split(",").map((x) => x.trim());
  }
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new HttpError(400, "task_id_list must be a JSON array of task ids");
  return list;
}

async function queryResult(f: RestFacade, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body = await readAuthenticated(f.app, req, url, 1024 * 1024);
  sendData(
    res,
    taskIdList(body.fields).map((id) => queryTask(f.app, String(id))),
  );
}

function audio(f: RestFacade, req: IncomingMessage, res: ServerResponse, url: URL): void {
  requireAuth(f.app, req, url);
  const p = url.searchParams.get("path");
  if (!p) throw new HttpError(400, "the query parameter path is required");
  const rel = dataRelative(f.app.config.dataDir, p, "path");
  serveFile(req, res, f.app.config.dataDir, rel.split("/").map(encodeURIComponent).join("/"), (r) =>
    isServedPath(f.app.store, r),
  );
}

const ROUTES: Record<string, RouteSpec<RestFacade>> = {
  "/release_task": { methods: ["POST"], run: releaseTask },
  "/query_result": { methods: ["POST"], run: queryResult },
  "/v1/audio": { methods: ["GET", "HEAD"], run: audio },
  "/v1/stats": {
    methods: ["GET"],
    run: (f, req, res, url) => {
      requireAuth(f.app, req, url);
      sendData(res, taskStats(f.app));
    },
  },
  "/health": {
    methods: ["GET"],
    run: (_f, _req, res) => sendData(res, { status: "ok", service: "ACE-Step API", version: "1.0" }),
  },
};

export const REST_PATHS = Object.keys(ROUTES);
