// The run service: validates and queues runs (in the store, so they survive restarts), executes them on the
// engine, records everything in the store and streams events to subscribers (resumable by seq).
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { NodeServices } from "../../nodes/services";
import type { NodeRegistry } from "../../nodes/registry";
import { validateGraph } from "../graph/validate";
import type { ValidationIssue } from "../graph/issues";
import { OutputCache } from "../engine/cache";
import { executeGraph, type ExecuteOutcome } from "../engine/engine";
import { TERMINAL_EVENTS, type EngineEvent } from "../engine/events";
import {
  LocalQueue,
  QueuedRuns,
  QueueFullError,
  REDIS_OWNER,
  REQUEUE,
  type QueueStats,
  type RunQueue,
  type WorkerInfo,
} from "./queue";
import type { RunRecord, RunStore, StoredEvent } from "./store";
import { Lease, type LeaseOptions } from "./leases";
import type { ResolvedGraph } from "../graph/validate";
import { applyOverrides, type Overrides } from "./overrides";

export class GraphInvalidError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(
      `the graph is not valid (${issues.length} issue${issues.length === 1 ? "" : "s"}): ${issues
        .map((i) => i.message)
        .slice(0, 3)
        .join("; ")}`,
    );
    this.name = "GraphInvalidError";
  }
}

export class QueueOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueueOrderError";
  }
}

export interface RunServiceOptions {
  store: RunStore;
  registry: NodeRegistry;
  dataDir: string;
  services?: NodeServices;
  concurrency?: number;
  cache?: OutputCache;
  progressIntervalMs?: number;
  /** Most runs that may wait in the queue (ACESTEP_QUEUE_MAXSIZE); more are refused with QueueFullError. */
  maxQueued?: number;
  /** This process's lease; `adopt` = take over queued runs of expired leases (the server does, the CLI does not). */
  lease?: LeaseOptions & { adopt?: boolean };
  /** How long a graceful shutdown waits for running jobs to stop (default 30 s). */
  shutdownGraceMs?: number;
  /** How often a stream polls the store for events written by another process (default 250 ms). */
  pollMs?: number;
  /**
   * Another queue backend (scale-out: server/runs/scaleout/coordinator.ts); it gets this service and the local
   * queue, which it may keep for the kinds it does not send elsewhere. Default: the local queue.
   */
  queue?: (service: RunService, local: LocalQueue) => RunQueue;
}

export interface StartRequest {
  graph?: unknown;
  graphId?: string;
  overrides?: Overrides;
}

/** What a job of a registered kind can do while it runs. */
export interface JobContext {
  run: RunRecord;
  signal: AbortSignal;
  /** Executes a graph inside this run: its events and outputs belong to the run. */
  runGraph(graph: unknown): Promise<ExecuteOutcome>;
  /** What the job does now, 0–1 done (REST `stage` and `progress`). */
  setStage(stage: string, progress?: number): void;
}

export interface JobOutcome {
  status: "finished" | "failed" | "cancelled";
  result?: unknown;
  error?: string;
}

/** A kind of run that is not a plain graph (e.g. "generate": a REST task). */
export interface JobKind {
  run(ctx: JobContext): Promise<JobOutcome>;
  /** Called once when a run of this kind ends, however it ends (cancelled while queued included). */
  cleanup?(run: RunRecord): void | Promise<void>;
}

const ACTIVE = new Set(["queued", "running"]);

export class RunService {
  readonly cache: OutputCache;
  readonly queue: RunQueue;
  readonly lease: Lease;
  readonly queued: QueuedRuns;
  readonly maxQueued: number;
  private readonly bus = new EventEmitter();
  private readonly outcomes = new Map<string, ExecuteOutcome>();
  private readonly kinds = new Map<string, JobKind>();
  private readonly stages = new Map<string, { stage: string; progress: number }>();
  private closed = false;

  constructor(private readonly opts: RunServiceOptions) {
    this.cache = opts.cache ?? new OutputCache();
    this.bus.setMaxListeners(0);
    this.maxQueued = opts.maxQueued ?? 200;
    this.queued = new QueuedRuns(opts.store);
    this.lease = new Lease(opts.store, opts.lease ?? { role: "library" });
    const local = new LocalQueue(
      opts.store,
      this.lease.id,
      (runId, signal) => this.execute(runId, signal),
      () => ["graph", ...this.kinds.keys()],
      opts.concurrency ?? 1,
    );
    this.queue = opts.queue ? opts.queue(this, local) : local;
    this.sweep();
    this.lease.start(() => this.sweep());
  }

  get store(): RunStore {
    return this.opts.store;
  }

  get registry(): NodeRegistry {
    return this.opts.registry;
  }

  /** Lets a module add a kind of run (the REST facade adds "generate"); this process then executes such runs. */
  registerKind(kind: string, handler: JobKind): void {
    if (kind === "graph") throw new Error('the run kind "graph" is built in');
    this.kinds.set(kind, handler);
    this.queue.pump();
  }

  validate(graph: unknown, overrides?: Overrides): ValidationIssue[] {
    const o = applyOverrides(graph, overrides);
    if (o.issues.length) return o.issues;
    const v = validateGraph(o.graph, this.opts.registry);
    return v.ok ? [] : v.issues;
  }

  /** Validates, records and queues a run. Throws GraphInvalidError listing every issue, QueueFullError when full. */
  start(req: StartRequest): { runId: string; position: number } {
    let graph = req.graph;
    if (req.graphId !== undefined) {
      const saved = this.opts.store.getGraph(req.graphId);
      if (!saved)
        throw new GraphInvalidError([
          { code: "bad_structure", field: "graphId", message: `no saved graph has the id "${req.graphId}"` },
        ]);
      graph = saved.graph;
    }
    if (graph === undefined)
      throw new GraphInvalidError([{ code: "bad_structure", message: "give either a graph or a graphId" }]);
    const o = applyOverrides(graph, req.overrides);
    if (o.issues.length) throw new GraphInvalidError(o.issues);
    const v = validateGraph(o.graph, this.opts.registry);
    if (!v.ok) throw new GraphInvalidError(v.issues);
    return this.enqueue({ kind: "graph", graph: v.resolved.graph, graphId: req.graphId ?? null });
  }

  /** Queues a run of a registered kind with its request; returns the run id and its queue position. */
  submit(kind: string, payload: unknown): { runId: string; position: number } {
    if (!this.kinds.has(kind)) throw new Error(`this process cannot run jobs of kind "${kind}"`);
    return this.enqueue({ kind, graph: null, graphId: null, payload });
  }

  private enqueue(r: { kind: string; graph: unknown; graphId: string | null; payload?: unknown }): {
    runId: string;
    position: number;
  } {
    if (this.closed) throw new Error("the run service is shutting down");
    const runId = randomUUID();
    const outputDir = join(this.opts.dataDir, "outputs", runId);
    const store = this.opts.store;
    // The count and the insert in one transaction: two processes cannot both take the last place.
    store.db
      .transaction(() => {
        if (this.queued.count("queued") >= this.maxQueued) throw new QueueFullError(this.maxQueued);
        store.createRun({ id: runId, ...r, outputDir, demo: false, owner: this.lease.id });
      })
      .immediate();
    const position = this.queued.position(runId);
    this.emit(runId, { type: "run.queued", position });
    this.queue.submitted(runId);
    return { runId, position };
  }

  /** Cancels a queued run (any process's) or a running one (here, or by asking its owner). */
  cancel(runId: string): boolean {
    const store = this.opts.store;
    const run = store.getRun(runId);
    if (!run) return false;
    const removed = store.db
      .prepare("UPDATE runs SET status='cancelled', finished_at=? WHERE id=? AND status='queued'")
      .run(Date.now(), runId);
    if (removed.changes > 0) {
      this.emit(runId, { type: "run.cancelled" });
      void this.cleanup(runId);
      return true;
    }
    if (this.queue.abortRunning(runId)) return true;
    // Another process runs it: it sees the request with its next heartbeat.
    return (
      store.db.prepare("UPDATE runs SET cancel_requested=1 WHERE id=? AND status='running'").run(runId).changes > 0
    );
  }

  /**
   * Moves a waiting run to place `to` (1-based) of the queue, any process's; answers its new place, or -1 when it
   * no longer waits. Each moved run's subscribers hear its new place. Runs handed to the scale-out queue wait in
   * Redis in BullMQ's order, which the store's order does not steer: moving one is refused (QueueOrderError).
   */
  move(runId: string, to: number): number {
    if (this.opts.store.getRun(runId)?.owner === REDIS_OWNER)
      throw new QueueOrderError(
        "runs waiting in the scale-out (Redis) queue start in BullMQ's order: they cannot be moved",
      );
    const before = this.queued.order();
    const place = this.queued.move(runId, to);
    if (place < 0) return place;
    this.queued.order().forEach((id, i) => {
      if (before[i] !== id) this.emit(id, { type: "run.queued", position: i + 1 });
    });
    return place;
  }

  /** Resolves with the outcome when the run ends (undefined when it ran elsewhere or was cancelled while queued). */
  async waitFor(runId: string, signal?: AbortSignal): Promise<ExecuteOutcome | undefined> {
    for await (const _ of this.events(runId, 0, signal)) {
      // drain until the terminal event
    }
    return this.outcomes.get(runId);
  }

  /** In-memory node outputs of a finished run (for the library API); dropped after reading. */
  takeOutcome(runId: string): ExecuteOutcome | undefined {
    const o = this.outcomes.get(runId);
    this.outcomes.delete(runId);
    return o;
  }

  /** Sets what a running job does now (the scale-out coordinator relays its workers' stages). */
  setStage(runId: string, stage: string, progress: number): void {
    this.stages.set(runId, { stage, progress });
  }

  /** What a running job of a registered kind does now (in-memory; null when unknown here). */
  stage(runId: string): { stage: string; progress: number } | null {
    return this.stages.get(runId) ?? null;
  }

  /**
   * Stored events after `afterSeq`, then new ones, until the run ends or the signal aborts. Events written by
   * this process wake the stream at once; those of other processes are found by polling the store.
   */
  async *events(runId: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<StoredEvent> {
    const store = this.opts.store;
    let last = afterSeq;
    let settledChecks = 0;
    while (!signal?.aborted) {
      for (const e of store.eventsAfter(runId, last)) {
        last = e.seq;
        yield e;
        if (TERMINAL_EVENTS.has(e.event.type)) return;
      }
      const run = store.getRun(runId);
      // An ended run whose terminal event is not stored (yet): look once more after a poll, then stop.
      if (!run || !ACTIVE.has(run.status)) if (settledChecks++ > 0) return;
      await this.wake(runId, signal);
    }
  }

  private wake(runId: string, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.bus.off(runId, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, this.opts.pollMs ?? 250);
      this.bus.on(runId, done);
      signal?.addEventListener("abort", done);
    });
  }

  /** Queue figures for stats and the status bar. */
  queueStats(): QueueStats {
    const now = Date.now();
    const live = this.lease.liveIds(now);
    const byOwner = new Map<string, string[]>();
    const running = this.opts.store.db.prepare("SELECT id, owner FROM runs WHERE status='running'").all() as {
      id: string;
      owner: string | null;
    }[];
    for (const r of running) if (r.owner) byOwner.set(r.owner, [...(byOwner.get(r.owner) ?? []), r.id]);
    const workers: WorkerInfo[] = this.lease
      .rows()
      .filter((l) => live.has(l.id))
      .map((l) => ({
        id: l.id,
        host: l.host,
        pid: l.pid,
        role: l.role,
        jobs: byOwner.get(l.id) ?? [],
        lastSeen: l.heartbeat,
      }));
    workers.push(...(this.queue.remoteWorkers?.() ?? []));
    return {
      waiting: this.queued.count("queued"),
      running: this.queued.count("running"),
      workers,
      backend: this.queue.backend,
    };
  }

  /**
   * Settles what expired leases left behind: their running runs become `interrupted`, their queued runs are
   * adopted (when this process adopts); then cancel requests for runs executed here are honoured.
   */
  sweep(now = Date.now()): void {
    if (this.closed) return;
    const store = this.opts.store;
    const live = this.lease.liveIds(now);
    const interrupted: string[] = [];
    let adopted = 0;
    store.db
      .transaction(() => {
        const orphans = store.db
          .prepare("SELECT id, status, owner FROM runs WHERE status IN ('queued','running')")
          .all() as Array<{
          id: string;
          status: string;
          owner: string | null;
        }>;
        for (const r of orphans) {
          if (r.owner && live.has(r.owner)) continue;
          // Runs held by Redis (scale-out) belong to the workers and BullMQ's stalled-job check, not to leases.
          if (r.owner === REDIS_OWNER && this.queue.backend === "redis") continue;
          if (r.status === "running") {
            store.db
              .prepare("UPDATE runs SET status='interrupted', finished_at=? WHERE id=? AND status='running'")
              .run(now, r.id);
            interrupted.push(r.id);
          } else if (this.opts.lease?.adopt) {
            store.db.prepare("UPDATE runs SET owner=? WHERE id=? AND status='queued'").run(this.lease.id, r.id);
            adopted++;
          }
        }
        this.lease.forgetExpired(live);
      })
      .immediate();
    for (const id of interrupted) {
      this.emit(id, { type: "run.interrupted" });
      void this.cleanup(id);
    }
    const requested = store.db
      .prepare("SELECT id FROM runs WHERE owner=? AND status='running' AND cancel_requested=1")
      .all(this.lease.id) as { id: string }[];
    for (const r of requested) this.queue.abortRunning(r.id);
    if (adopted > 0) this.queue.pump();
  }

  /**
   * Graceful stop: takes no new runs, re-queues the running ones (they start again from the beginning after the
   * restart; documented in README), leaves queued runs queued and hands them over by releasing the lease.
   */
  async shutdown(graceMs = this.opts.shutdownGraceMs ?? 30_000): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), graceMs)));
    const drained = await Promise.race([this.queue.drain(), late]);
    clearTimeout(timer);
    this.closed = true;
    if (drained === "late")
      // A job that ignores its abort signal: put its run back in the queue anyway, so none is left `running`.
      for (const runId of this.queue.active) {
        this.opts.store.updateRun(runId, { status: "queued", startedAt: null });
        this.emit(runId, { type: "run.requeued", reason: "the server shut down" });
      }
    this.lease.release();
  }

  /** Stores an event of a run and wakes its streams (the scale-out coordinator stores its workers' events). */
  emit(runId: string, event: EngineEvent): void {
    const at = Date.now();
    const seq = this.opts.store.appendEvent(runId, event, at);
    this.bus.emit(runId, { runId, seq, event, at } satisfies StoredEvent);
  }

  /** Once a run ended, however it ended: the kind's cleanup. */
  async cleanup(runId: string): Promise<void> {
    this.stages.delete(runId);
    const run = this.opts.store.getRun(runId);
    const kind = run && this.kinds.get(run.kind);
    if (!run || !kind?.cleanup) return;
    try {
      await kind.cleanup(run);
    } catch (e) {
      console.error(`run ${runId}: cleanup failed: ${(e as Error).message}`);
    }
  }

  private async execute(runId: string, signal: AbortSignal): Promise<void> {
    const store = this.opts.store;
    const run = store.getRun(runId);
    if (!run) return;
    const started = Date.now();
    let status: JobOutcome["status"] = "failed";
    let error: RunRecord["error"] = null;
    try {
      if (run.kind === "graph") {
        const outcome = await this.runGraphRun(run, signal);
        status = outcome.status;
        error = outcome.error ?? null;
      } else {
        const kind = this.kinds.get(run.kind);
        if (!kind) throw new Error(`this process cannot run jobs of kind "${run.kind}"`);
        mkdirSync(run.outputDir, { recursive: true });
        this.emit(runId, { type: "run.started", nodes: [] });
        this.stages.set(runId, { stage: "running", progress: 0 });
        const o = await kind.run({
          run,
          signal,
          runGraph: (graph) => this.runGraphInline(runId, run.outputDir, graph, signal),
          setStage: (stage, progress) =>
            this.stages.set(runId, { stage, progress: progress ?? this.stages.get(runId)?.progress ?? 0 }),
        });
        status = o.status;
        error = o.error ? { message: o.error } : null;
        store.updateRun(runId, { result: o.result ?? null, error });
      }
    } catch (e) {
      status = "failed";
      error = { message: e instanceof Error ? e.message : String(e) };
    }
    if (this.closed) return; // shut down while the job ignored its abort: its run was re-queued already
    if (status === "cancelled" && signal.reason === REQUEUE) {
      // Graceful shutdown: back to the queue, to start again after the restart.
      store.updateRun(runId, { status: "queued", startedAt: null });
      this.emit(runId, { type: "run.requeued", reason: "the server shut down" });
      this.stages.delete(runId);
      return;
    }
    await this.settle(runId, status, error, Date.now() - started);
  }

  /** Records how a run ended, stores its terminal event and cleans up after it. */
  async settle(runId: string, status: JobOutcome["status"], error: RunRecord["error"], ms: number): Promise<void> {
    this.opts.store.updateRun(runId, { status, finishedAt: Date.now(), error });
    if (status === "finished") this.emit(runId, { type: "run.finished", ms });
    else if (status === "cancelled") this.emit(runId, { type: "run.cancelled" });
    else
      this.emit(runId, {
        type: "run.failed",
        error: error?.message ?? "failed",
        nodeId: error?.nodeId,
        field: error?.field,
      });
    await this.cleanup(runId);
  }

  /** A graph run: validates, executes, records timings, seeds, the graph with its seeds and the demo flag. */
  private async runGraphRun(run: RunRecord, signal: AbortSignal): Promise<ExecuteOutcome> {
    const store = this.opts.store;
    const v = validateGraph(run.graph, this.opts.registry);
    if (!v.ok) throw new GraphInvalidError(v.issues);
    mkdirSync(run.outputDir, { recursive: true });
    this.emit(run.id, { type: "run.started", nodes: [...v.resolved.nodes.keys()] });
    const outcome = await this.executeResolved(run.id, run.outputDir, v.resolved, signal);
    const graph = withSeeds(v.resolved.graph, outcome.resolvedSeeds);
    const demo = [...outcome.outputs.values()].some((o) =>
      Object.values(o).some((x) => (x as { demo?: boolean } | null)?.demo === true),
    );
    store.updateRun(run.id, { timings: outcome.timings, resolvedSeeds: outcome.resolvedSeeds, graph });
    if (demo) store.db.prepare("UPDATE runs SET demo=1 WHERE id=?").run(run.id);
    this.outcomes.set(run.id, outcome);
    if (this.outcomes.size > 50) this.outcomes.delete(this.outcomes.keys().next().value!);
    return outcome;
  }

  private async runGraphInline(
    runId: string,
    outputDir: string,
    graph: unknown,
    signal: AbortSignal,
  ): Promise<ExecuteOutcome> {
    const v = validateGraph(graph, this.opts.registry);
    if (!v.ok) throw new GraphInvalidError(v.issues);
    const outcome = await this.executeResolved(runId, outputDir, v.resolved, signal);
    const demo = [...outcome.outputs.values()].some((o) =>
      Object.values(o).some((x) => (x as { demo?: boolean } | null)?.demo === true),
    );
    if (demo) this.opts.store.db.prepare("UPDATE runs SET demo=1 WHERE id=?").run(runId);
    return outcome;
  }

  private executeResolved(
    runId: string,
    outputDir: string,
    resolved: ResolvedGraph,
    signal: AbortSignal,
  ): Promise<ExecuteOutcome> {
    return executeGraph(resolved, {
      runId,
      outputDir,
      cache: this.cache,
      signal,
      services: { ...this.opts.services, dataDir: this.opts.dataDir },
      progressIntervalMs: this.opts.progressIntervalMs,
      beforeNode: (stage) => this.opts.services?.models?.prepareStage(stage) ?? Promise.resolve(),
      onEvent: (e) => {
        this.emit(runId, e);
        if (e.type === "node.finished" || e.type === "node.cached") this.recordOutputs(runId, e.nodeId, e.results);
      },
    });
  }

  /** Indexes the files a node wrote (data-relative paths), so the file routes serve them. */
  recordOutputs(
    runId: string,
    nodeId: string,
    results: Array<{ kind: string; path?: string; meta?: Record<string, unknown>; label?: string }>,
  ): void {
    for (const r of results)
      if (r.path)
        this.opts.store.addOutput({
          runId,
          nodeId,
          path: r.path,
          kind: r.kind,
          meta: { ...(r.meta ?? {}), label: r.label },
        });
  }

  /** Path of a file relative to the data folder (what results and the file route use). */
  relativeToData(absPath: string): string {
    return relative(this.opts.dataDir, absPath).split("\\").join("/");
  }
}

function withSeeds(
  graph: { nodes: Record<string, { params?: Record<string, unknown> }> },
  seeds: Record<string, Record<string, number>>,
) {
  const g = structuredClone(graph);
  for (const [id, ps] of Object.entries(seeds)) g.nodes[id].params = { ...(g.nodes[id].params ?? {}), ...ps };
  return g;
}
