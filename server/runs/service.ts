// The run service: validates and queues runs, executes them on the engine, records
// everything in the store and fans events out to live subscribers (resumable by seq).
import { EventEmitter, on } from "node:events";
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
import { InProcessQueue, type RunQueue } from "./queue";
import type { RunStore, StoredEvent } from "./store";
import { applyOverrides, type Overrides } from "./overrides";

export class GraphInvalidError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(`the graph is not valid (${issues.length} issue${issues.length === 1 ? "" : "s"}): ${issues.map((i) => i.message).slice(0, 3).join("; ")}`);
    this.name = "GraphInvalidError";
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
}

export interface StartRequest {
  graph?: unknown;
  graphId?: string;
  overrides?: Overrides;
}

export class RunService {
  readonly cache: OutputCache;
  readonly queue: RunQueue;
  private readonly bus = new EventEmitter();
  private readonly outcomes = new Map<string, ExecuteOutcome>();
  private readonly finished = new Map<string, Array<(o: ExecuteOutcome | undefined) => void>>();

  constructor(private readonly opts: RunServiceOptions) {
    this.cache = opts.cache ?? new OutputCache();
    this.bus.setMaxListeners(0);
    this.queue = new InProcessQueue((job, signal) => this.execute(job.runId, signal), opts.concurrency ?? 1, (job) => this.markCancelledWhileQueued(job.runId));
    opts.store.markInterrupted();
  }

  get store(): RunStore {
    return this.opts.store;
  }

  get registry(): NodeRegistry {
    return this.opts.registry;
  }

  validate(graph: unknown, overrides?: Overrides): ValidationIssue[] {
    const o = applyOverrides(graph, overrides);
    if (o.issues.length) return o.issues;
    const v = validateGraph(o.graph, this.opts.registry);
    return v.ok ? [] : v.issues;
  }

  /** Validates, records and queues a run. Throws GraphInvalidError listing every issue. */
  start(req: StartRequest): { runId: string; position: number } {
    let graph = req.graph;
    if (req.graphId !== undefined) {
      const saved = this.opts.store.getGraph(req.graphId);
      if (!saved) throw new GraphInvalidError([{ code: "bad_structure", field: "graphId", message: `no saved graph has the id "${req.graphId}"` }]);
      graph = saved.graph;
    }
    if (graph === undefined) throw new GraphInvalidError([{ code: "bad_structure", message: "give either a graph or a graphId" }]);
    const o = applyOverrides(graph, req.overrides);
    if (o.issues.length) throw new GraphInvalidError(o.issues);
    const v = validateGraph(o.graph, this.opts.registry);
    if (!v.ok) throw new GraphInvalidError(v.issues);
    const runId = randomUUID();
    const outputDir = join(this.opts.dataDir, "outputs", runId);
    this.opts.store.createRun({ id: runId, graph: v.resolved.graph, graphId: req.graphId ?? null, outputDir, demo: false });
    const position = this.queue.enqueue({ runId });
    this.emit(runId, { type: "run.queued", position });
    return { runId, position };
  }

  cancel(runId: string): boolean {
    const run = this.opts.store.getRun(runId);
    if (!run) return false;
    const r = this.queue.cancel(runId);
    return r !== "unknown";
  }

  /** Resolves with the outcome when the run ends (undefined if it was cancelled while queued). */
  waitFor(runId: string): Promise<ExecuteOutcome | undefined> {
    const run = this.opts.store.getRun(runId);
    if (run && !["queued", "running"].includes(run.status)) return Promise.resolve(this.outcomes.get(runId));
    return new Promise((r) => {
      const list = this.finished.get(runId) ?? [];
      list.push(r);
      this.finished.set(runId, list);
    });
  }

  /** In-memory node outputs of a finished run (for the library API); dropped after reading. */
  takeOutcome(runId: string): ExecuteOutcome | undefined {
    const o = this.outcomes.get(runId);
    this.outcomes.delete(runId);
    return o;
  }

  /** Stored events after `afterSeq`, then live ones, until the run ends or the signal aborts. */
  async *events(runId: string, afterSeq = 0, signal?: AbortSignal): AsyncGenerator<StoredEvent> {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort);
    const live = on(this.bus, runId, { signal: ac.signal }) as AsyncIterableIterator<[StoredEvent]>;
    let last = afterSeq;
    try {
      for (const e of this.opts.store.eventsAfter(runId, afterSeq)) {
        last = e.seq;
        yield e;
        if (TERMINAL_EVENTS.has(e.event.type)) return;
      }
      const run = this.opts.store.getRun(runId);
      if (!run || !["queued", "running"].includes(run.status)) return;
      for await (const [e] of live) {
        if (e.seq <= last) continue;
        last = e.seq;
        yield e;
        if (TERMINAL_EVENTS.has(e.event.type)) return;
      }
    } catch (e) {
      if ((e as Error).name !== "AbortError") throw e;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      ac.abort();
    }
  }

  private emit(runId: string, event: EngineEvent): void {
    const at = Date.now();
    const seq = this.opts.store.appendEvent(runId, event, at);
    this.bus.emit(runId, { runId, seq, event, at } satisfies StoredEvent);
  }

  private markCancelledWhileQueued(runId: string): void {
    this.opts.store.updateRun(runId, { status: "cancelled", finishedAt: Date.now() });
    this.emit(runId, { type: "run.cancelled" });
    this.resolveWaiters(runId, undefined);
  }

  private resolveWaiters(runId: string, o: ExecuteOutcome | undefined): void {
    const w = this.finished.get(runId) ?? [];
    this.finished.delete(runId);
    for (const r of w) r(o);
  }

  private async execute(runId: string, signal: AbortSignal): Promise<void> {
    const store = this.opts.store;
    const run = store.getRun(runId);
    if (!run) return;
    const started = Date.now();
    let outcome: ExecuteOutcome | undefined;
    try {
      const v = validateGraph(run.graph, this.opts.registry);
      if (!v.ok) throw new GraphInvalidError(v.issues);
      mkdirSync(run.outputDir, { recursive: true });
      store.updateRun(runId, { status: "running", startedAt: started });
      this.emit(runId, { type: "run.started", nodes: [...v.resolved.nodes.keys()] });
      outcome = await executeGraph(v.resolved, {
        runId,
        outputDir: run.outputDir,
        cache: this.cache,
        signal,
        services: { ...this.opts.services, dataDir: this.opts.dataDir },
        progressIntervalMs: this.opts.progressIntervalMs,
        onEvent: (e) => {
          this.emit(runId, e);
          if (e.type === "node.finished" || e.type === "node.cached") this.recordOutputs(runId, e.nodeId, e.results);
        },
      });
      const graph = withSeeds(v.resolved.graph, outcome.resolvedSeeds);
      const demo = [...outcome.outputs.values()].some((o) => Object.values(o).some((x) => (x as { demo?: boolean } | null)?.demo === true));
      const finishedAt = Date.now();
      store.updateRun(runId, { status: outcome.status, finishedAt, timings: outcome.timings, resolvedSeeds: outcome.resolvedSeeds, graph, error: outcome.error ?? null });
      if (demo) store.db.prepare("UPDATE runs SET demo=1 WHERE id=?").run(runId);
      if (outcome.status === "finished") this.emit(runId, { type: "run.finished", ms: finishedAt - started });
      else if (outcome.status === "cancelled") this.emit(runId, { type: "run.cancelled" });
      else this.emit(runId, { type: "run.failed", error: outcome.error?.message ?? "failed", nodeId: outcome.error?.nodeId, field: outcome.error?.field });
      this.outcomes.set(runId, outcome);
      if (this.outcomes.size > 50) this.outcomes.delete(this.outcomes.keys().next().value!);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      store.updateRun(runId, { status: "failed", finishedAt: Date.now(), error: { message } });
      this.emit(runId, { type: "run.failed", error: message });
    } finally {
      this.resolveWaiters(runId, outcome);
    }
  }

  private recordOutputs(runId: string, nodeId: string, results: Array<{ kind: string; path?: string; meta?: Record<string, unknown>; label?: string }>): void {
    for (const r of results)
      if (r.path) this.opts.store.addOutput({ runId, nodeId, path: r.path, kind: r.kind, meta: { ...(r.meta ?? {}), label: r.label } });
  }

  /** Path of a file relative to the data folder (what results and the file route use). */
  relativeToData(absPath: string): string {
    return relative(this.opts.dataDir, absPath).split("\\").join("/");
  }
}

function withSeeds(graph: { nodes: Record<string, { params?: Record<string, unknown> }> }, seeds: Record<string, Record<string, number>>) {
  const g = structuredClone(graph);
  for (const [id, ps] of Object.entries(seeds)) g.nodes[id].params = { ...(g.nodes[id].params ?? {}), ...ps };
  return g;
}
