// The ACE-Step-compatible REST routes (acestep/api_server.py; ace-step/ACE-Step-1.5 docs/en/API.md):
// POST /release_task, POST /query_result, POST /format_input, POST /create_random_sample, GET /v1/audio,
// GET /v1/stats, GET /health, and the OpenRouter router's POST /v1/chat/completions and GET /v1/models
// (acestep/openrouter_adapter.py) — upstream field names, envelope, status values (0 queued/running,
// 1 succeeded, 2 failed) and the full-queue 429, so existing clients work unchanged.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppContext } from "../../app-context";
import { HttpError } from "../../http/body";
import { serveFile } from "../../http/files";
import { isServedPath } from "../../http/served";
import { tableRoute, type ExtraRoute, type RouteSpec } from "../../http/routes";
import { readAuthenticated, requireAuth } from "./auth";
import { ExampleStore } from "./examples";
import { chatCompletions, listModelsOpenRouter } from "./openrouter";
import { createRandomSample, formatInput } from "./sample-routes";
import { dataRelative, storeUpload } from "./uploads";
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
  /** Inputs for /create_random_sample. */
  readonly examples: ExampleStore;

  constructor(
    readonly app: AppContext,
    opts: RestFacadeOptions = {},
  ) {
    app.runs.registerKind(TASK_KIND, generateTaskKind(app, opts.generate));
    this.examples = new ExampleStore(app.config.dataDir);
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
    const rel = await storeUpload(app, file.bytes, `the file "${file.name}" (${name})`);
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
  "/format_input": { methods: ["POST"], run: (f, req, res, url) => formatInput(f.app, req, res, url) },
  "/create_random_sample": {
    methods: ["POST"],
    run: (f, req, res, url) => createRandomSample(f.app, f.examples, req, res, url),
  },
  "/v1/chat/completions": { methods: ["POST"], run: (f, req, res, url) => chatCompletions(f.app, req, res, url) },
  "/v1/models": { methods: ["GET"], run: (f, req, res, url) => listModelsOpenRouter(f.app, req, res, url) },
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
