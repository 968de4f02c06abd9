// The scale-out queue of the coordinator (`acestep serve --redis URL`): graph runs go to a BullMQ queue in Redis
// and worker processes (`acestep worker`) execute them; the run records stay in this process's store. Kinds that
// need the coordinator's files (REST tasks) keep running here on the local queue.
//
// Recovery follows BullMQ's stalled-job check (docs.bullmq.io/guide/jobs/stalled): a worker that dies stops
// renewing its job lock, another worker's check moves the job back to `wait` (the run is `queued` again and its
// attempt count grows when the next worker starts it), or to `failed` once it stalled `attempts - 1` times
// (the run fails with that reason). A run is started only from `queued` or from the stalled attempt, and only the
// worker that started the last attempt may finish it, so no run is recorded as done twice.
import { Queue, QueueEvents } from "bullmq";
import { rmSync } from "node:fs";
import { Redis } from "ioredis";
import type { LocalQueue, RunQueue, WorkerInfo } from "../queue";
import { REDIS_OWNER } from "../queue";
import type { RunService } from "../service";
import type { RunRecord } from "../store";
import {
  graphNeeds,
  REMOTE_KINDS,
  shownRedisUrl,
  RUN_QUEUE,
  type FinishBody,
  type RunJobData,
  type ScaleOutTiming,
  type StartAnswer,
  type WorkerHello,
} from "./protocol";

/** A Redis connection for BullMQ (built here: BullMQ's ESM build cannot load ioredis from options). */
export function redisConnection(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  r.on("error", (e) => console.error(`redis ${shownRedisUrl(url)}: ${e.message}`));
  return r;
}

export interface ScaleOutOptions {
  redisUrl: string;
  timing: ScaleOutTiming;
}

export class ScaleOutQueue implements RunQueue {
  readonly backend = "redis" as const;
  private readonly connection: Redis;
  private readonly eventsConnection: Redis;
  private readonly bull: Queue<RunJobData>;
  private readonly events: QueueEvents;
  private readonly workers = new Map<string, WorkerInfo>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly service: RunService,
    private readonly local: LocalQueue,
    private readonly opts: ScaleOutOptions,
  ) {
    this.connection = redisConnection(opts.redisUrl);
    this.bull = new Queue<RunJobData>(RUN_QUEUE, { connection: this.connection });
    this.eventsConnection = redisConnection(opts.redisUrl);
    this.events = new QueueEvents(RUN_QUEUE, { connection: this.eventsConnection });
    this.events.on("stalled", ({ jobId }) => this.onStalled(jobId));
    this.events.on("failed", ({ jobId, failedReason }) => void this.onFailed(jobId, failedReason));
    this.events.on("error", (e) => console.error(`scale-out queue events: ${e.message}`));
    this.bull.on("error", (e) => console.error(`scale-out queue: ${e.message}`));
    // What Redis events may have missed (the coordinator was down, Redis restarted): checked now and regularly.
    this.timer = setInterval(() => void this.reconcile(), Math.max(1000, opts.timing.stalledCheckMs));
    this.timer.unref();
    queueMicrotask(() => this.pump());
  }

  private get store() {
    return this.service.store;
  }

  get active(): string[] {
    return this.local.active;
  }

  submitted(runId: string): void {
    const run = this.store.getRun(runId);
    if (run && REMOTE_KINDS.has(run.kind)) void this.send(run);
    else this.local.submitted();
  }

  /** Hands a queued run to Redis (again: the job id is the run id, so a job is never added twice). */
  private async send(run: RunRecord): Promise<void> {
    this.store.db.prepare("UPDATE runs SET owner=? WHERE id=? AND status='queued'").run(REDIS_OWNER, run.id);
    try {
      await this.bull.add(
        "run",
        { runId: run.id, kind: run.kind, needs: graphNeeds(run.graph) },
        { jobId: run.id, attempts: 1, removeOnComplete: true, removeOnFail: { age: 7 * 24 * 3600 } },
      );
    } catch (e) {
      // Redis is down: the run stays queued in the store and is sent again by the next reconcile.
      console.error(`run ${run.id}: could not queue in Redis: ${(e as Error).message}`);
    }
  }

  abortRunning(runId: string, reason?: string): boolean {
    // A run on a worker is cancelled through cancel_requested, which the worker reads with its next report.
    return this.local.abortRunning(runId, reason);
  }

  pump(): void {
    this.local.pump();
    if (this.closed) return;
    // Only runs of this process and Redis's own: a CLI or library process on this data folder runs its own.
    const rows = this.store.db
      .prepare("SELECT id FROM runs WHERE status='queued' AND owner IN (?, ?) ORDER BY created_at, rowid")
      .all(REDIS_OWNER, this.service.lease.id) as { id: string }[];
    for (const { id } of rows) {
      const run = this.store.getRun(id);
      if (run && REMOTE_KINDS.has(run.kind)) void this.send(run);
    }
  }

  /**
   * Runs whose job is no longer active in Redis: back to the queue, or failed with BullMQ's reason; queued runs
   * missing from Redis (restarted without persistence) are sent again by pump.
   */
  async reconcile(): Promise<void> {
    if (this.closed) return;
    try {
      const rows = this.store.db
        .prepare("SELECT id, status FROM runs WHERE status IN ('running','queued') AND owner=?")
        .all(REDIS_OWNER) as { id: string; status: string }[];
      for (const { id, status } of rows) {
        const job = await this.bull.getJob(id);
        const state = job ? await job.getState() : "missing";
        // A job that failed before a worker could start its run (the coordinator could not be reached) fails it.
        if (state === "failed") await this.onFailed(id, job?.failedReason ?? "failed in the queue");
        else if (status !== "running") continue;
        else if (state === "waiting" || state === "delayed" || state === "prioritized") this.onStalled(id);
        else if (state === "missing" || state === "unknown") {
          const run = this.store.getRun(id);
          if (run?.status === "running") {
            this.store.updateRun(id, { status: "queued", startedAt: null });
            this.service.emit(id, {
              type: "run.requeued",
              reason: "its job was no longer in Redis",
              attempt: run.attempts,
            });
            void this.send(run);
          }
        }
      }
      this.pump();
    } catch (e) {
      console.error(`scale-out reconcile: ${(e as Error).message}`);
    }
  }

  /** BullMQ moved a job back to wait: its worker stopped renewing the lock (killed, lost). */
  private onStalled(runId: string): void {
    const run = this.store.getRun(runId);
    if (run?.status !== "running") return;
    // Its worker is alive and still runs it (its event loop was busy past the lock): it may finish it.
    if (this.stillRunning(run)) return;
    const changed = this.store.db
      .prepare("UPDATE runs SET status='queued', started_at=NULL WHERE id=? AND status='running'")
      .run(runId).changes;
    if (changed)
      this.service.emit(runId, {
        type: "run.requeued",
        reason: `worker ${run.worker ?? "?"} stopped during attempt ${run.attempts} (BullMQ stalled-job check)`,
        attempt: run.attempts,
      });
  }

  private async onFailed(runId: string, reason: string): Promise<void> {
    const run = this.store.getRun(runId);
    if (!run || (run.status !== "running" && run.status !== "queued")) return;
    const stalled = /stalled/i.test(reason);
    // A live worker that still runs it keeps it (reconcile looks again once that worker is gone).
    if (stalled && this.stillRunning(run)) return;
    const message = stalled
      ? `the run's worker stopped ${run.attempts} time${run.attempts === 1 ? "" : "s"} (killed or lost); gave up after ${
          this.opts.timing.attempts
        } attempt${this.opts.timing.attempts === 1 ? "" : "s"} (BullMQ: ${reason})`
      : `the worker failed: ${reason}`;
    const started = run.startedAt ?? Date.now();
    await this.service.settle(runId, "failed", { message }, Date.now() - started);
  }

  drain(): Promise<void> {
    // Runs on workers go on; the workers report to the coordinator when it is back.
    return this.local.drain();
  }

  idle(): Promise<void> {
    return this.local.idle();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.local.close();
    await this.events.close().catch(() => {});
    await this.bull.close().catch(() => {});
    this.connection.disconnect();
    this.eventsConnection.disconnect();
  }

  // --- the worker API (server/http/worker-routes.ts) ---

  /** A worker's heartbeat; answers the runs it executes that were cancelled. */
  heartbeat(hello: WorkerHello): string[] {
    this.workers.set(hello.id, {
      id: hello.id,
      host: hello.host,
      pid: hello.pid,
      role: "worker",
      provider: hello.provider,
      models: hello.models,
      concurrency: hello.concurrency,
      kinds: hello.kinds,
      jobs: hello.jobs,
      lastSeen: Date.now(),
    });
    return hello.jobs.filter((id) => this.cancelRequested(id, hello.id));
  }

  remoteWorkers(now = Date.now()): WorkerInfo[] {
    for (const [id, w] of this.workers) if (now - w.lastSeen > this.opts.timing.workerTtlMs) this.workers.delete(id);
    return [...this.workers.values()];
  }

  /** A worker took the run's job: it may start it when the run is queued or its last attempt stalled. */
  start(runId: string, workerId: string): StartAnswer {
    const run = this.store.getRun(runId);
    if (!run) return { start: false, reason: `no run has the id "${runId}"`, retry: false };
    if (!REMOTE_KINDS.has(run.kind))
      return { start: false, reason: `runs of kind "${run.kind}" run here`, retry: false };
    if (run.status !== "queued" && run.status !== "running")
      return { start: false, reason: `the run is ${run.status}`, retry: false };
    if (run.status === "running" && run.worker === workerId)
      return { start: false, reason: "this worker runs it already", retry: false };
    if (this.stillRunning(run))
      return { start: false, reason: `worker ${run.worker} is alive and still runs it`, retry: true };
    // BullMQ gives an active job to one worker at a time: a second worker holding the job of a `running` run
    // means the last attempt stalled (its stalled event may not have reached us yet).
    const now = Date.now();
    const updated = this.store.db
      .prepare(
        "UPDATE runs SET status='running', started_at=?, attempts=attempts+1, worker=?, owner=? WHERE id=? AND status IN ('queued','running') RETURNING attempts, cancel_requested",
      )
      .get(now, workerId, REDIS_OWNER, runId) as { attempts: number; cancel_requested: number } | undefined;
    if (!updated) return { start: false, reason: "the run ended meanwhile", retry: false };
    if (updated.cancel_requested) {
      void this.service.settle(runId, "cancelled", null, 0);
      return { start: false, reason: "the run was cancelled", retry: false };
    }
    if (updated.attempts > 1) {
      // Files of an earlier attempt that died are not this run's outputs: the new attempt writes its own.
      this.store.db.prepare("DELETE FROM outputs WHERE run_id=?").run(runId);
      rmSync(run.outputDir, { recursive: true, force: true });
    }
    if (run.status === "running")
      this.service.emit(runId, {
        type: "run.requeued",
        reason: `worker ${run.worker ?? "?"} stopped during attempt ${run.attempts} (BullMQ stalled-job check)`,
        attempt: run.attempts,
      });
    return {
      start: true,
      run: { id: run.id, kind: run.kind, graph: run.graph, payload: run.payload, createdAt: run.createdAt },
      attempt: updated.attempts,
    };
  }

  /** Whether the worker of a running run is alive (heard from within its ttl) and says it runs it. */
  private stillRunning(run: RunRecord): boolean {
    if (run.status !== "running" || !run.worker) return false;
    return this.remoteWorkers().some((w) => w.id === run.worker && w.jobs.includes(run.id));
  }

  /** Whether `workerId` executes the run's current attempt. */
  owns(runId: string, workerId: string): boolean {
    const run = this.store.getRun(runId);
    return run?.status === "running" && run.worker === workerId;
  }

  cancelRequested(runId: string, workerId: string): boolean {
    const r = this.store.db.prepare("SELECT status, worker, cancel_requested FROM runs WHERE id=?").get(runId) as
      { status: string; worker: string | null; cancel_requested: number } | undefined;
    // A run that ended or went to another worker is no business of this one any more: abort it too.
    return !r || r.status !== "running" || r.worker !== workerId || r.cancel_requested === 1;
  }

  /** The worker's last report of an attempt; false when that worker no longer owns the run. */
  async finish(runId: string, body: FinishBody): Promise<boolean> {
    if (!this.owns(runId, body.workerId)) return false;
    const store = this.store;
    if (body.timings || body.resolvedSeeds || body.graph !== undefined || body.result !== undefined)
      store.updateRun(runId, {
        ...(body.timings ? { timings: body.timings } : {}),
        ...(body.resolvedSeeds ? { resolvedSeeds: body.resolvedSeeds } : {}),
        ...(body.graph !== undefined ? { graph: body.graph } : {}),
        ...(body.result !== undefined ? { result: body.result } : {}),
      });
    if (body.demo) store.db.prepare("UPDATE runs SET demo=1 WHERE id=?").run(runId);
    for (const o of body.outputs ?? [])
      if (typeof o?.path === "string" && o.path.startsWith(`outputs/${runId}/`) && !o.path.includes(".."))
        store.addOutput({ runId, nodeId: String(o.nodeId), path: o.path, kind: String(o.kind), meta: o.meta ?? {} });
    await this.service.settle(runId, body.status, body.error, body.ms);
    return true;
  }
}
