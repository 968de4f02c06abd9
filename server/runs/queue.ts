// The run queue. Runs are queued in the store (status `queued`, owner = the lease of the process that will run
// them), so they survive crashes and restarts. `LocalQueue` executes them in this process, claiming them from
// the store one statement at a time; the BullMQ queue (scale-out) hands them to worker processes instead.
import type { RunStore } from "./store";

/** The upstream REST message for a full queue (acestep/api_server.py), used by every entry point. */
export const QUEUE_FULL_MESSAGE = "Server busy: queue is full";

export class QueueFullError extends Error {
  constructor(readonly maxSize: number) {
    super(QUEUE_FULL_MESSAGE);
    this.name = "QueueFullError";
  }
}

/** Aborting a running job with this reason re-queues it instead of cancelling it (graceful shutdown). */
export const REQUEUE = "requeue";

/** Owner of the runs the scale-out queue holds in Redis (no lease: BullMQ's stalled-job check recovers them). */
export const REDIS_OWNER = "redis";

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  /** "serve", "cli", "library" (processes on the data folder) or "worker" (scale-out). */
  role: string;
  provider?: string;
  models?: string[];
  concurrency?: number;
  /** Run kinds it executes (scale-out workers). */
  kinds?: string[];
  /** Runs it executes now. */
  jobs: string[];
  lastSeen: number;
}

export interface QueueStats {
  /** Runs waiting (all processes on the data folder). */
  waiting: number;
  /** Runs being executed. */
  running: number;
  /** The processes or workers that execute runs. */
  workers: WorkerInfo[];
  /** Where runs are queued: "sqlite" (embedded) or "redis" (BullMQ). */
  backend: "sqlite" | "redis";
}

export type Executor = (runId: string, signal: AbortSignal) => Promise<void>;

export interface RunQueue {
  readonly backend: QueueStats["backend"];
  /** A run was stored as queued (owned by this process): start it when there is room. */
  submitted(runId: string): void;
  /** Aborts a run this process executes; false when it does not execute it. */
  abortRunning(runId: string, reason?: string): boolean;
  /** Runs this process executes now. */
  readonly active: string[];
  /** Scale-out: the worker processes that execute runs elsewhere. */
  remoteWorkers?(): WorkerInfo[];
  /** Looks for work (after a restart, an adoption, a new job kind). */
  pump(): void;
  /** Stops taking jobs; running ones are aborted with REQUEUE; resolves when none runs here. */
  drain(): Promise<void>;
  /** Resolves when this process runs nothing and has nothing of its own queued. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A queued run's place in the queue: its creation time in microseconds, unless it was moved (QueuedRuns.move
 * then set queue_rank). Every query that picks or counts queued runs orders by QUEUE_ORDER, so a backend that
 * claims runs from the store (LocalQueue, or a scale-out dispatcher) follows the order the user set.
 */
export const QUEUE_KEY = "COALESCE(queue_rank, created_at * 1000)";
export const QUEUE_ORDER = `${QUEUE_KEY}, rowid`;

/** Store queries about queued runs, shared by every queue backend. */
export class QueuedRuns {
  constructor(private readonly store: RunStore) {}

  count(status: "queued" | "running"): number {
    return (this.store.db.prepare("SELECT COUNT(*) AS n FROM runs WHERE status=?").get(status) as { n: number }).n;
  }

  /** 1-based place among all queued runs (in QUEUE_ORDER), 0 when running, -1 when not waiting or running. */
  position(runId: string): number {
    const r = this.store.db
      .prepare(`SELECT rowid AS rid, status, ${QUEUE_KEY} AS k FROM runs WHERE id=?`)
      .get(runId) as { rid: number; status: string; k: number } | undefined;
    if (!r) return -1;
    if (r.status === "running") return 0;
    if (r.status !== "queued") return -1;
    const before = this.store.db
      .prepare(
        `SELECT COUNT(*) AS n FROM runs WHERE status='queued' AND (${QUEUE_KEY} < ? OR (${QUEUE_KEY} = ? AND rowid <= ?))`,
      )
      .get(r.k, r.k, r.rid) as { n: number };
    return before.n;
  }

  /** The queued runs' ids in the order they will start. */
  order(): string[] {
    const rows = this.store.db.prepare(`SELECT id FROM runs WHERE status='queued' ORDER BY ${QUEUE_ORDER}`).all() as {
      id: string;
    }[];
    return rows.map((r) => r.id);
  }

  /**
   * Moves a queued run to place `to` (1-based, clamped to the queue) among all queued runs; answers its new
   * place, or -1 when it is not waiting (started, ended or unknown). The runs keep their keys' range: the keys
   * in order are handed out again in the new order (each at least one above the one before), so runs queued
   * later still come after them.
   */
  move(runId: string, to: number): number {
    const db = this.store.db;
    return db
      .transaction((): number => {
        const rows = db
          .prepare(`SELECT id, ${QUEUE_KEY} AS k FROM runs WHERE status='queued' ORDER BY ${QUEUE_ORDER}`)
          .all() as { id: string; k: number }[];
        const from = rows.findIndex((r) => r.id === runId);
        if (from < 0) return -1;
        const place = Math.min(Math.max(Math.trunc(to), 1), rows.length) - 1;
        const ids = rows.map((r) => r.id);
        ids.splice(place, 0, ...ids.splice(from, 1));
        const set = db.prepare("UPDATE runs SET queue_rank=? WHERE id=?");
        let prev = -Infinity;
        ids.forEach((id, i) => {
          const rank = Math.max(rows[i]!.k, prev + 1);
          prev = rank;
          set.run(rank, id);
        });
        return place + 1;
      })
      .immediate();
  }

  /** Atomically takes the first queued run (QUEUE_ORDER) of `owner` whose kind is in `kinds`, marking it running. */
  claim(owner: string, kinds: string[], now = Date.now()): string | undefined {
    if (kinds.length === 0) return undefined;
    const marks = kinds.map(() => "?").join(",");
    const row = this.store.db
      .prepare(
        `UPDATE runs SET status='running', started_at=?, attempts=attempts+1 WHERE id=(SELECT id FROM runs WHERE status='queued' ` +
          `AND owner=? AND kind IN (${marks}) ORDER BY ${QUEUE_ORDER} LIMIT 1) AND status='queued' RETURNING id`,
      )
      .get(now, owner, ...kinds) as { id: string } | undefined;
    return row?.id;
  }

  /** Whether `owner` has queued runs of these kinds. */
  hasQueued(owner: string, kinds: string[]): boolean {
    if (kinds.length === 0) return false;
    const marks = kinds.map(() => "?").join(",");
    return (
      this.store.db
        .prepare(`SELECT 1 FROM runs WHERE status='queued' AND owner=? AND kind IN (${marks}) LIMIT 1`)
        .get(owner, ...kinds) !== undefined
    );
  }
}

/** Executes this process's queued runs, `concurrency` at a time, in queue order (QUEUE_ORDER). */
export class LocalQueue implements RunQueue {
  readonly backend = "sqlite" as const;
  private readonly running = new Map<string, AbortController>();
  private readonly runs: QueuedRuns;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private scheduled = false;

  constructor(
    store: RunStore,
    private readonly owner: string,
    private readonly execute: Executor,
    private readonly kinds: () => string[],
    private readonly concurrency = 1,
  ) {
    this.runs = new QueuedRuns(store);
  }

  get active(): string[] {
    return [...this.running.keys()];
  }

  submitted(): void {
    this.pump();
  }

  pump(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.take();
    });
  }

  abortRunning(runId: string, reason?: string): boolean {
    const ac = this.running.get(runId);
    if (!ac) return false;
    ac.abort(reason);
    return true;
  }

  async drain(): Promise<void> {
    this.draining = true;
    for (const ac of this.running.values()) ac.abort(REQUEUE);
    if (this.running.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    await this.drain();
  }

  private isIdle(): boolean {
    return this.running.size === 0 && (this.draining || !this.runs.hasQueued(this.owner, this.kinds()));
  }

  private take(): void {
    while (!this.draining && this.running.size < this.concurrency) {
      const runId = this.runs.claim(this.owner, this.kinds());
      if (!runId) break;
      const ac = new AbortController();
      this.running.set(runId, ac);
      this.execute(runId, ac.signal)
        .catch((e) => console.error(`run ${runId}: unexpected queue error`, e))
        .finally(() => {
          this.running.delete(runId);
          this.take();
          this.checkIdle();
        });
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}
