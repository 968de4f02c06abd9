// A scale-out worker (`acestep worker`): takes run jobs from the coordinator's BullMQ queue, executes them with
// models it loads once and keeps warm, streams the run's events to the coordinator and uploads the files its
// nodes write, then reports how the run ended. It needs no shared filesystem: it reads runs and writes results
// only through the coordinator's worker API (server/http/worker-routes.ts) with the API token.
import { DelayedError, Worker, type Job } from "bullmq";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { NodeRegistry } from "../../../nodes/registry";
import { createDefaultRegistry } from "../../../nodes/index";
import { executeGraph, type ExecuteOutcome } from "../../engine/engine";
import type { EngineEvent } from "../../engine/events";
import { OutputCache } from "../../engine/cache";
import { validateGraph, type ResolvedGraph } from "../../graph/validate";
import { ModelManager, ModelsUnavailableError } from "../../models/manager";
import type { OutputFile, RunRecord } from "../store";
import type { JobKind } from "../service";
import { redisConnection } from "./coordinator";
import {
  missingModel,
  RUN_QUEUE,
  shownRedisUrl,
  WORKER_API,
  type EventsAnswer,
  type EventsBody,
  type FinishBody,
  type HeartbeatAnswer,
  type RunJobData,
  type ScaleOutTiming,
  type StartAnswer,
  type WorkerHello,
} from "./protocol";

export interface RunWorkerOptions {
  redisUrl: string;
  /** The coordinator's base URL (http://host:port). */
  serverUrl: string;
  token: string;
  concurrency: number;
  /** Local scratch folder: outputs before upload, demo models. */
  dataDir: string;
  modelsDir: string | null;
  demoModelsDir: string | null;
  threads: number;
  memoryBudgetBytes?: number;
  timing: ScaleOutTiming;
  registry?: NodeRegistry;
  /** The model manager (default: one of its own over modelsDir / demoModelsDir). */
  models?: ModelManager;
  /** Run kinds besides graphs that this worker executes (the CLI adds REST tasks: "generate"). */
  kinds?: Record<string, JobKind>;
  /** Outputs a kind recorded in the worker's own store (REST results under their upstream names). */
  localOutputs?: (runId: string) => OutputFile[];
  /** How often the worker says it is alive (default 2 s). */
  heartbeatMs?: number;
  logger?: (m: string) => void;
}

/** A job whose models this worker does not hold waits this long before a worker looks at it again. */
const NOT_MINE_DELAY_MS = 1000;
/** How long a report to the coordinator is retried (the coordinator may be restarting). */
const REPORT_RETRY_MS = 60_000;

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class RunWorker {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  readonly models: ModelManager;
  private readonly registry: NodeRegistry;
  private readonly running = new Map<string, AbortController>();
  private bull: Worker<RunJobData> | null = null;
  private connection: ReturnType<typeof redisConnection> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private held = new Map<string, string[]>();
  private provider = "cpu";
  private readonly log: (m: string) => void;

  constructor(private readonly opts: RunWorkerOptions) {
    this.registry = opts.registry ?? createDefaultRegistry();
    this.log = opts.logger ?? ((m) => console.error(`[worker] ${m}`));
    this.models =
      opts.models ??
      new ModelManager({
        modelsDir: opts.modelsDir,
        dataDir: opts.dataDir,
        demoModelsDir: opts.demoModelsDir,
        threads: opts.threads,
        budgetBytes: opts.memoryBudgetBytes,
        logger: (m) => this.log(`models: ${m}`),
      });
  }

  /** Prepares the models (once), says hello to the coordinator and starts taking jobs. */
  async start(): Promise<void> {
    let entries: Awaited<ReturnType<ModelManager["entries"]>> = [];
    try {
      entries = await this.models.entries();
    } catch (e) {
      // Without models it still runs graphs that load none (test tones, audio tools).
      if (!(e instanceof ModelsUnavailableError)) throw e;
      this.log(`no models: ${e.message}`);
    }
    for (const e of entries) this.held.set(e.component, [...(this.held.get(e.component) ?? []), e.name]);
    this.provider = (await this.models.host().info()).provider;
    await this.heartbeat(); // fails early on a wrong token or URL
    this.timer = setInterval(
      () => void this.heartbeat().catch((e) => this.log(`heartbeat: ${e.message}`)),
      this.opts.heartbeatMs ?? 2000,
    );
    const t = this.opts.timing;
    this.connection = redisConnection(this.opts.redisUrl);
    this.bull = new Worker<RunJobData>(RUN_QUEUE, (job, token) => this.process(job, token), {
      connection: this.connection,
      concurrency: this.opts.concurrency,
      name: this.id,
      lockDuration: t.lockMs,
      stalledInterval: t.stalledCheckMs,
      maxStalledCount: t.attempts - 1,
    });
    this.bull.on("error", (e) => this.log(`queue: ${e.message}`));
    this.log(
      `${this.id} takes runs from ${shownRedisUrl(this.opts.redisUrl)} for ${this.opts.serverUrl} (${this.provider}, concurrency ${this.opts.concurrency}, models: ${[...this.held.values()].flat().join(", ") || "none"})`,
    );
  }

  /** Stops taking jobs and waits for the running ones to end; then closes the models. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.bull?.close();
    this.connection?.disconnect();
    await this.models.close();
  }

  get active(): string[] {
    return [...this.running.keys()];
  }

  private hello(): WorkerHello {
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      provider: this.provider,
      models: [...this.held.values()].flat(),
      demo: this.models.demo,
      concurrency: this.opts.concurrency,
      kinds: ["graph", ...Object.keys(this.opts.kinds ?? {})],
      jobs: this.active,
    };
  }

  private async heartbeat(): Promise<void> {
    const a = await this.call<HeartbeatAnswer>(WORKER_API.heartbeat, JSON.stringify(this.hello()), 0);
    for (const id of a.cancel) this.running.get(id)?.abort();
  }

  /** A request to the coordinator, retried while it cannot be reached (not when it answers an error). */
  private async call<T>(
    path: string,
    body: string | Uint8Array<ArrayBuffer>,
    retryMs = REPORT_RETRY_MS,
    method = "POST",
  ): Promise<T> {
    const end = Date.now() + retryMs;
    for (;;) {
      let r: Response;
      try {
        r = await fetch(new URL(path, this.opts.serverUrl), {
          method,
          headers: {
            authorization: `Bearer ${this.opts.token}`,
            "content-type": typeof body === "string" ? "application/json" : "application/octet-stream",
          },
          body,
        });
      } catch (e) {
        if (Date.now() > end)
          throw new Error(`the coordinator ${this.opts.serverUrl} cannot be reached: ${(e as Error).message}`);
        await new Promise((res) => setTimeout(res, 500));
        continue;
      }
      const json = (await r.json().catch(() => ({}))) as T & { error?: string };
      if (r.status === 409) return json;
      if (!r.ok) throw new HttpStatusError(r.status, `${path}: ${r.status} ${json.error ?? r.statusText}`);
      return json;
    }
  }

  private async process(job: Job<RunJobData>, token?: string): Promise<{ runId: string; outcome: string }> {
    const { runId, needs, kind } = job.data;
    const missing =
      kind !== undefined && kind !== "graph" && !this.opts.kinds?.[kind]
        ? `this worker does not run jobs of kind "${kind}"`
        : missingModel(needs ?? [], this.held);
    if (missing) {
      // Not for this worker: back to the queue for a while, where a worker that fits takes it.
      await job.moveToDelayed(Date.now() + NOT_MINE_DELAY_MS, token);
      throw new DelayedError(`${this.id}: ${missing}`);
    }
    const a = await this.call<StartAnswer>(WORKER_API.start(runId), JSON.stringify({ workerId: this.id }));
    if (!a.start && a.retry) {
      // Its last worker still runs it: look again later (it finishes it, or it dies and this one takes over).
      await job.moveToDelayed(Date.now() + NOT_MINE_DELAY_MS, token);
      throw new DelayedError(`${this.id}: ${a.reason}`);
    }
    if (!a.start) return { runId, outcome: `not started: ${a.reason}` };
    const ac = new AbortController();
    this.running.set(runId, ac);
    const reporter = new Reporter(this, runId, ac);
    const started = Date.now();
    let fin: Omit<FinishBody, "workerId" | "ms">;
    try {
      fin =
        a.run.kind === "graph"
          ? await this.executeGraphRun(a.run, ac.signal, reporter)
          : await this.executeKind(a.run, ac.signal, reporter);
    } catch (e) {
      fin = { status: "failed", error: { message: e instanceof Error ? e.message : String(e) } };
    }
    try {
      await reporter.flush();
      // Files the run recorded outside node events (REST results under their upstream names): upload and list them.
      const extra = (this.opts.localOutputs?.(runId) ?? []).filter((o) => o.path.startsWith(`outputs/${runId}/`));
      for (const o of extra) await this.upload(runId, o.path);
      const done = await this.call<{ ok: boolean }>(
        WORKER_API.finish(runId),
        JSON.stringify({
          ...fin,
          outputs: extra.map((o) => ({ nodeId: o.nodeId, path: o.path, kind: o.kind, meta: o.meta })),
          workerId: this.id,
          ms: Date.now() - started,
        } satisfies FinishBody),
      );
      if (!done.ok) this.log(`run ${runId}: the coordinator gave this attempt to another worker; result dropped`);
      return { runId, outcome: done.ok ? fin.status : "dropped" };
    } finally {
      this.running.delete(runId);
      await rm(join(this.opts.dataDir, "outputs", runId), { recursive: true, force: true });
    }
  }

  /** Executes a graph run as the coordinator's RunService would (server/runs/service.ts runGraphRun). */
  private async executeGraphRun(
    run: Pick<RunRecord, "id" | "graph">,
    signal: AbortSignal,
    reporter: Reporter,
  ): Promise<Omit<FinishBody, "workerId" | "ms">> {
    const v = validateGraph(run.graph, this.registry);
    if (!v.ok) return { status: "failed", error: { message: v.issues.map((i) => i.message).join("; ") } };
    reporter.push({ type: "run.started", nodes: [...v.resolved.nodes.keys()] });
    const outcome = await this.runResolved(run.id, v.resolved, signal, reporter);
    const graph = structuredClone(v.resolved.graph) as { nodes: Record<string, { params?: Record<string, unknown> }> };
    for (const [id, ps] of Object.entries(outcome.resolvedSeeds))
      graph.nodes[id].params = { ...(graph.nodes[id].params ?? {}), ...ps };
    return {
      status: outcome.status,
      error: outcome.error ?? null,
      timings: outcome.timings,
      resolvedSeeds: outcome.resolvedSeeds,
      graph,
      demo: isDemo(outcome),
    };
  }

  /** A run of another kind (a REST task): its handler runs here, its graphs inside the run, as in RunService. */
  private async executeKind(
    run: Pick<RunRecord, "id" | "kind" | "graph" | "payload" | "createdAt">,
    signal: AbortSignal,
    reporter: Reporter,
  ): Promise<Omit<FinishBody, "workerId" | "ms">> {
    const handler = this.opts.kinds?.[run.kind];
    if (!handler) throw new Error(`this worker cannot run jobs of kind "${run.kind}"`);
    await this.fetchUploads(run.payload);
    const outputDir = join(this.opts.dataDir, "outputs", run.id);
    await mkdir(outputDir, { recursive: true });
    reporter.push({ type: "run.started", nodes: [] });
    reporter.stage({ stage: "running", progress: 0 });
    let demo = false;
    const record: RunRecord = {
      id: run.id,
      status: "running",
      graph: run.graph,
      graphId: null,
      createdAt: run.createdAt,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
      timings: {},
      resolvedSeeds: {},
      outputDir,
      demo: false,
      kind: run.kind,
      payload: run.payload,
      result: null,
      owner: null,
      attempts: 1,
      worker: this.id,
    };
    let progress = 0;
    const o = await handler.run({
      run: record,
      signal,
      runGraph: async (graph) => {
        const v = validateGraph(graph, this.registry);
        if (!v.ok) throw new Error(`the graph is not valid: ${v.issues.map((i) => i.message).join("; ")}`);
        const outcome = await this.runResolved(run.id, v.resolved, signal, reporter);
        demo ||= isDemo(outcome);
        return outcome;
      },
      setStage: (stage, p) => {
        progress = p ?? progress;
        reporter.stage({ stage, progress });
      },
    });
    return { status: o.status, error: o.error ? { message: o.error } : null, result: o.result ?? null, demo };
  }

  private runResolved(runId: string, resolved: ResolvedGraph, signal: AbortSignal, reporter: Reporter) {
    return executeGraph(resolved, {
      runId,
      outputDir: join(this.opts.dataDir, "outputs", runId),
      cache: new OutputCache(),
      signal,
      services: { models: this.models, dataDir: this.opts.dataDir },
      onEvent: (e) => reporter.push(e),
    });
  }

  /** A REST task's uploaded files (`uploads/…` in the coordinator's data folder), fetched into this data folder. */
  private async fetchUploads(payload: unknown): Promise<void> {
    const uploads = (payload as { uploads?: unknown } | null)?.uploads;
    if (!Array.isArray(uploads)) return;
    for (const rel of uploads) {
      if (typeof rel !== "string" || !/^uploads\/[^/]+$/.test(rel) || rel.includes("..")) continue;
      const r = await fetch(new URL(`/api/files/${rel}`, this.opts.serverUrl), {
        headers: { authorization: `Bearer ${this.opts.token}` },
      });
      if (!r.ok) throw new Error(`the upload ${rel} could not be fetched from the coordinator (${r.status})`);
      const to = join(this.opts.dataDir, rel);
      await mkdir(dirname(to), { recursive: true });
      await writeFile(to, new Uint8Array(await r.arrayBuffer()));
    }
  }

  private async upload(runId: string, rel: string): Promise<void> {
    const bytes = new Uint8Array(await readFile(join(this.opts.dataDir, rel)));
    await this.call(
      WORKER_API.file(runId, rel) + `&worker=${encodeURIComponent(this.id)}`,
      bytes,
      REPORT_RETRY_MS,
      "PUT",
    );
  }

  /** Sends events (after uploading the files they name); aborts the run when the coordinator says so. */
  async report(runId: string, events: EngineEvent[], stage: EventsBody["stage"], ac: AbortController): Promise<void> {
    for (const e of events)
      if (e.type === "node.finished" || e.type === "node.cached")
        for (const r of e.results) if (r.path?.startsWith(`outputs/${runId}/`)) await this.upload(runId, r.path);
    const a = await this.call<EventsAnswer>(
      WORKER_API.events(runId),
      JSON.stringify({ workerId: this.id, events, stage } satisfies EventsBody),
    );
    if (a.cancel) ac.abort();
  }
}

function isDemo(outcome: ExecuteOutcome): boolean {
  return [...outcome.outputs.values()].some((o) =>
    Object.values(o).some((x) => (x as { demo?: boolean } | null)?.demo === true),
  );
}

/** Batches a run's events in order: one request in flight at a time, the next batch holds what came meanwhile. */
class Reporter {
  private pending: EngineEvent[] = [];
  private pendingStage: EventsBody["stage"];
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(
    private readonly worker: RunWorker,
    private readonly runId: string,
    private readonly ac: AbortController,
  ) {}

  push(e: EngineEvent): void {
    this.pending.push(e);
    this.schedule();
  }

  stage(stage: EventsBody["stage"]): void {
    this.pendingStage = stage;
    this.schedule();
  }

  private scheduled = false;
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.chain = this.chain.then(() => this.send());
  }

  private async send(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    const stage = this.pendingStage;
    this.pending = [];
    this.pendingStage = undefined;
    if ((batch.length === 0 && !stage) || this.failure) return;
    try {
      await this.worker.report(this.runId, batch, stage, this.ac);
    } catch (e) {
      this.failure = e as Error;
      this.ac.abort();
    }
  }

  /** Resolves when every event was sent; throws what made reporting fail. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.pending.length || this.pendingStage) await this.send();
    if (this.failure) throw this.failure;
  }
}
