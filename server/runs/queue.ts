// The run queue: an interface a Redis-backed queue (e.g. BullMQ) can implement later to
// spread runs over several GPU machines, and the in-process implementation used today.

export interface RunJob {
  runId: string;
}

export type JobHandler = (job: RunJob, signal: AbortSignal) => Promise<void>;

export interface RunQueue {
  /** Adds a job; returns its 1-based position among waiting jobs (0 = starts now). */
  enqueue(job: RunJob): number;
  /** Cancels a waiting job (removed) or a running one (its signal is aborted). Returns what happened. */
  cancel(runId: string): "removed" | "aborted" | "unknown";
  /** 1-based position among waiting jobs, 0 when running, -1 when unknown. */
  position(runId: string): number;
  readonly waiting: number;
  readonly running: number;
  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void>;
}

export class InProcessQueue implements RunQueue {
  private readonly pending: RunJob[] = [];
  private readonly active = new Map<string, AbortController>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: JobHandler,
    private readonly concurrency = 1,
    private readonly onRemoved: (job: RunJob) => void = () => {},
  ) {}

  enqueue(job: RunJob): number {
    this.pending.push(job);
    const pos = this.pending.length;
    queueMicrotask(() => this.pump());
    return this.active.size < this.concurrency && pos === 1 ? 0 : pos;
  }

  cancel(runId: string): "removed" | "aborted" | "unknown" {
    const i = this.pending.findIndex((j) => j.runId === runId);
    if (i >= 0) {
      const [job] = this.pending.splice(i, 1);
      this.onRemoved(job);
      this.checkIdle();
      return "removed";
    }
    const ac = this.active.get(runId);
    if (ac) {
      ac.abort();
      return "aborted";
    }
    return "unknown";
  }

  position(runId: string): number {
    if (this.active.has(runId)) return 0;
    const i = this.pending.findIndex((j) => j.runId === runId);
    return i >= 0 ? i + 1 : -1;
  }

  get waiting(): number {
    return this.pending.length;
  }

  get running(): number {
    return this.active.size;
  }

  idle(): Promise<void> {
    if (this.pending.length === 0 && this.active.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.active.size < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift()!;
      const ac = new AbortController();
      this.active.set(job.runId, ac);
      this.handler(job, ac.signal)
        .catch((e) => console.error(`run ${job.runId}: unexpected queue error`, e))
        .finally(() => {
          this.active.delete(job.runId);
          this.pump();
          this.checkIdle();
        });
    }
  }

  private checkIdle(): void {
    if (this.pending.length === 0 && this.active.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }
}
