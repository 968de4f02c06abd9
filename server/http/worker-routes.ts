// The scale-out worker API of the coordinator (server/runs/scaleout): heartbeats, starting a run, its events, its output files and its end.
// Workers are trusted with the store of the runs they execute, so every route needs the API token, even on
// loopback (a coordinator without ACESTEP_API_TOKEN refuses workers).
import type { IncomingMessage, ServerResponse } from "node:http";
import { writeFileAtomic } from "../files/atomic";
import { confinePath, PathEscapeError } from "../files/confine";
import { requestToken, tokenMatches } from "./auth";
import { HttpError, readRaw } from "./body";
import { sendJson } from "./respond";
import type { ExtraRoute } from "./routes";
import type { EngineEvent } from "../engine/events";
import type { RunService } from "../runs/service";
import type { AppContext } from "../app-context";
import type { ScaleOutQueue } from "../runs/scaleout/coordinator";
import type { EventsAnswer, EventsBody, FinishBody, HeartbeatAnswer, WorkerHello } from "../runs/scaleout/protocol";

const JSON_BYTES = 8 * 1024 * 1024;
const RUN_PATH = /^\/api\/workers\/runs\/([0-9a-f-]{36})\/(start|events|files|finish)$/;
const STATUSES = new Set(["finished", "failed", "cancelled"]);

export interface WorkerRoutesOptions {
  queue: ScaleOutQueue;
  service: RunService;
  dataDir: string;
  apiToken: string | null;
  maxFileBytes: number;
}

/** The /api/workers/… routes (an ExtraRoute for the HTTP server). */
export function workerRoutes(opts: WorkerRoutesOptions): ExtraRoute {
  return async (req, res, url) => {
    if (!url.pathname.startsWith("/api/workers/")) return false;
    try {
      if (!opts.apiToken)
        throw new HttpError(403, "workers need the coordinator to have an API token (ACESTEP_API_TOKEN)");
      if (!tokenMatches(requestToken(req, url), opts.apiToken)) throw new HttpError(401, "missing or wrong API token");
      if (req.method !== "POST" && req.method !== "PUT") throw new HttpError(405, "use POST (PUT for files)");
      if (url.pathname === "/api/workers/heartbeat") {
        const hello = workerHello(await readJson(req));
        return answer(res, 200, { cancel: opts.queue.heartbeat(hello) } satisfies HeartbeatAnswer);
      }
      const m = RUN_PATH.exec(url.pathname);
      if (!m) throw new HttpError(404, `no worker route ${url.pathname}`);
      const [, runId, action] = m;
      if (action === "files") return answer(res, 200, await receiveFile(opts, req, url, runId));
      const body = await readJson(req);
      const workerId = text(body.workerId, "workerId");
      if (action === "start") return answer(res, 200, opts.queue.start(runId, workerId));
      if (action === "events") {
        if (!opts.queue.owns(runId, workerId)) return answer(res, 409, { cancel: true } satisfies EventsAnswer);
        const events = (body as unknown as EventsBody).events;
        if (!Array.isArray(events)) throw new HttpError(400, "events must be an array");
        for (const e of events) storeEvent(opts.service, runId, e);
        const stage = (body as unknown as EventsBody).stage;
        if (stage && typeof stage.stage === "string")
          opts.service.setStage(runId, stage.stage.slice(0, 200), Number(stage.progress) || 0);
        return answer(res, 200, { cancel: opts.queue.cancelRequested(runId, workerId) } satisfies EventsAnswer);
      }
      const fin = body as unknown as FinishBody;
      if (!STATUSES.has(fin.status)) throw new HttpError(400, "status must be finished, failed or cancelled");
      const ok = await opts.queue.finish(runId, { ...fin, ms: Number(fin.ms) || 0, error: fin.error ?? null });
      return answer(res, ok ? 200 : 409, ok ? { ok } : { ok, error: "this worker no longer runs this run" });
    } catch (e) {
      if (e instanceof HttpError) return answer(res, e.status, { error: e.message });
      console.error("worker API:", e);
      return answer(res, 500, { error: "internal error" });
    }
  };
}

function answer(res: ServerResponse, status: number, body: unknown): true {
  sendJson(res, status, body);
  return true;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const raw = await readRaw(req, JSON_BYTES);
  try {
    const v = JSON.parse(raw.toString("utf8")) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* answered below */
  }
  throw new HttpError(400, "the body must be a JSON object");
}

function text(v: unknown, field: string): string {
  if (typeof v !== "string" || v === "" || v.length > 200) throw new HttpError(400, `${field} must be a short string`);
  return v;
}

function workerHello(b: Record<string, unknown>): WorkerHello {
  const strings = (v: unknown, field: string) => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new HttpError(400, `${field} must be strings`);
    return (v as string[]).slice(0, 200);
  };
  return {
    id: text(b.id, "id"),
    host: text(b.host, "host"),
    pid: Number(b.pid) || 0,
    provider: text(b.provider, "provider"),
    models: strings(b.models, "models"),
    demo: b.demo === true,
    concurrency: Math.max(1, Number(b.concurrency) || 1),
    kinds: b.kinds === undefined ? [] : strings(b.kinds, "kinds"),
    jobs: strings(b.jobs, "jobs"),
  };
}

/** Events of the worker's attempt, stored as the run's own; files of node results become served outputs. */
function storeEvent(service: RunService, runId: string, e: EngineEvent): void {
  if (!e || typeof e !== "object" || typeof e.type !== "string") throw new HttpError(400, "an event has no type");
  // Terminal events come from the coordinator itself (finish), once.
  if (
    e.type === "run.finished" ||
    e.type === "run.failed" ||
    e.type === "run.cancelled" ||
    e.type === "run.interrupted"
  )
    return;
  service.emit(runId, e);
  if ((e.type === "node.finished" || e.type === "node.cached") && Array.isArray(e.results))
    service.recordOutputs(
      runId,
      e.nodeId,
      e.results.filter((r) => typeof r.path === "string" && r.path.startsWith(`outputs/${runId}/`)),
    );
}

/** PUT /api/workers/runs/<id>/files?path=outputs/<id>/<name>: an output file of the run, written atomically. */
async function receiveFile(
  opts: WorkerRoutesOptions,
  req: IncomingMessage,
  url: URL,
  runId: string,
): Promise<{ ok: true; bytes: number }> {
  const workerId = url.searchParams.get("worker") ?? "";
  if (!opts.queue.owns(runId, workerId)) throw new HttpError(409, "this worker no longer runs this run");
  const rel = url.searchParams.get("path") ?? "";
  const parts = rel.split("/");
  if (
    parts[0] !== "outputs" ||
    parts[1] !== runId ||
    parts.length < 3 ||
    parts.some((p) => p === "" || p.startsWith("."))
  )
    throw new HttpError(400, `path must be a file under outputs/${runId}/, got "${rel.slice(0, 200)}"`);
  let full: string;
  try {
    full = confinePath(opts.dataDir, rel);
  } catch (e) {
    if (e instanceof PathEscapeError) throw new HttpError(403, e.message);
    throw e;
  }
  const bytes = await readRaw(req, opts.maxFileBytes);
  await writeFileAtomic(full, bytes);
  return { ok: true, bytes: bytes.length };
}

/** The worker API of an app context that coordinates workers (none otherwise). */
export function scaleOutRoutes(app: AppContext): ExtraRoute[] {
  if (!app.scaleOut) return [];
  return [
    workerRoutes({
      queue: app.scaleOut,
      service: app.runs,
      dataDir: app.config.dataDir,
      apiToken: app.config.apiToken,
      maxFileBytes: app.config.maxUploadBytes,
    }),
  ];
}
