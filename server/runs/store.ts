// Persistent store (SQLite via better-sqlite3): saved graphs, runs with their records,
// event logs for resumable streams, and the index of output files.
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { EngineEvent } from "../engine/events";

export type RunStatus = "queued" | "running" | "finished" | "failed" | "cancelled" | "interrupted";

export interface RunRecord {
  id: string;
  status: RunStatus;
  graph: unknown;
  graphId: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: { message: string; nodeId?: string; field?: string } | null;
  timings: Record<string, { ms: number; cached: boolean }>;
  resolvedSeeds: Record<string, Record<string, number>>;
  outputDir: string;
  demo: boolean;
  /** "graph" (a graph run) or a job kind another module registered (e.g. "generate" for REST tasks). */
  kind: string;
  /** The kind's request (for "generate": the REST fields and uploads). */
  payload: unknown;
  /** The kind's stored result (for "generate": what /query_result answers). */
  result: unknown;
  /** Lease id of the process that executes (or will execute) the run. */
  owner: string | null;
  /** How many times the run was started (more than 1 after a worker died or a graceful shutdown re-queued it). */
  attempts: number;
  /** The scale-out worker that ran it last (null when run in the coordinator's process). */
  worker: string | null;
}

export interface SavedGraph {
  id: string;
  name: string;
  graph: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface StoredEvent {
  runId: string;
  seq: number;
  event: EngineEvent;
  at: number;
}

export interface OutputFile {
  runId: string;
  nodeId: string;
  path: string;
  kind: string;
  meta: Record<string, unknown>;
  createdAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS graphs (id TEXT PRIMARY KEY, name TEXT NOT NULL, json TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, status TEXT NOT NULL, graph_json TEXT NOT NULL, graph_id TEXT, created_at INTEGER NOT NULL,
  started_at INTEGER, finished_at INTEGER, error_json TEXT, timings_json TEXT NOT NULL DEFAULT '{}', seeds_json TEXT NOT NULL DEFAULT '{}',
  output_dir TEXT NOT NULL, demo INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at);
CREATE TABLE IF NOT EXISTS run_events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, json TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, role TEXT NOT NULL, heartbeat INTEGER NOT NULL,
  started_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (run_id TEXT NOT NULL, node_id TEXT NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL, meta_json TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, path));
`;

/** Columns added after the first release (existing stores gain them on open). */
const RUN_COLUMNS: Array<[string, string]> = [
  ["kind", "TEXT NOT NULL DEFAULT 'graph'"],
  ["payload_json", "TEXT"],
  ["result_json", "TEXT"],
  ["owner", "TEXT"],
  ["attempts", "INTEGER NOT NULL DEFAULT 0"],
  ["cancel_requested", "INTEGER NOT NULL DEFAULT 0"],
  ["worker", "TEXT"],
  // Set only when a queued run was moved in the queue (QueuedRuns.move); see QUEUE_ORDER in queue.ts.
  ["queue_rank", "INTEGER"],
];

export class RunStore {
  readonly db: Database.Database;
  private readonly stmts: { insertEvent: Database.Statement };

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    // Several processes may share one data folder (server, CLI, library): wait for each other's writes.
    this.db = new Database(file, { timeout: 10_000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    const have = new Set((this.db.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name));
    for (const [name, decl] of RUN_COLUMNS)
      if (!have.has(name)) this.db.exec(`ALTER TABLE runs ADD COLUMN ${name} ${decl}`);
    this.db.exec("CREATE INDEX IF NOT EXISTS runs_queue ON runs(status, owner, created_at)");
    this.stmts = {
      // One statement picks the next number and inserts it, so writers in two processes cannot collide.
      insertEvent: this.db.prepare(
        "INSERT INTO run_events (run_id,seq,json,at) SELECT ?, COALESCE(MAX(seq),0)+1, ?, ? FROM run_events WHERE run_id=? RETURNING seq",
      ),
    };
  }

  // graphs
  saveGraph(g: { id: string; name: string; graph: unknown }, now = Date.now()): SavedGraph {
    const json = JSON.stringify(g.graph);
    const existing = this.db.prepare("SELECT created_at FROM graphs WHERE id=?").get(g.id) as
      { created_at: number } | undefined;
    this.db
      .prepare(
        "INSERT INTO graphs (id,name,json,created_at,updated_at) VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, json=excluded.json, updated_at=excluded.updated_at",
      )
      .run(g.id, g.name, json, existing?.created_at ?? now, now);
    return { id: g.id, name: g.name, graph: g.graph, createdAt: existing?.created_at ?? now, updatedAt: now };
  }

  getGraph(id: string): SavedGraph | undefined {
    const r = this.db.prepare("SELECT * FROM graphs WHERE id=?").get(id) as GraphRow | undefined;
    return r && graphFromRow(r);
  }

  listGraphs(): Array<Omit<SavedGraph, "graph">> {
    const rows = this.db
      .prepare("SELECT id,name,created_at,updated_at FROM graphs ORDER BY updated_at DESC")
      .all() as GraphRow[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  deleteGraph(id: string): boolean {
    return this.db.prepare("DELETE FROM graphs WHERE id=?").run(id).changes > 0;
  }

  // runs
  createRun(
    r: Pick<RunRecord, "id" | "graph" | "graphId" | "outputDir" | "demo"> & {
      kind?: string;
      payload?: unknown;
      owner?: string | null;
    },
    now = Date.now(),
  ): void {
    this.db
      .prepare(
        "INSERT INTO runs (id,status,graph_json,graph_id,created_at,output_dir,demo,kind,payload_json,owner) VALUES (?,?,?,?,?,?,?,?,?,?)",
      )
      .run(
        r.id,
        "queued",
        JSON.stringify(r.graph ?? null),
        r.graphId,
        now,
        r.outputDir,
        r.demo ? 1 : 0,
        r.kind ?? "graph",
        r.payload === undefined ? null : JSON.stringify(r.payload),
        r.owner ?? null,
      );
  }

  updateRun(
    id: string,
    patch: Partial<
      Pick<
        RunRecord,
        | "status"
        | "startedAt"
        | "finishedAt"
        | "error"
        | "timings"
        | "resolvedSeeds"
        | "graph"
        | "result"
        | "worker"
        | "attempts"
        | "owner"
      >
    >,
  ): void {
    const sets: string[] = [];
    const vals: unknown[] = [];
    const col = (c: string, v: unknown) => {
      sets.push(`${c}=?`);
      vals.push(v);
    };
    if (patch.status !== undefined) col("status", patch.status);
    if (patch.startedAt !== undefined) col("started_at", patch.startedAt);
    if (patch.finishedAt !== undefined) col("finished_at", patch.finishedAt);
    if (patch.error !== undefined) col("error_json", patch.error === null ? null : JSON.stringify(patch.error));
    if (patch.timings !== undefined) col("timings_json", JSON.stringify(patch.timings));
    if (patch.resolvedSeeds !== undefined) col("seeds_json", JSON.stringify(patch.resolvedSeeds));
    if (patch.graph !== undefined) col("graph_json", JSON.stringify(patch.graph));
    if (patch.result !== undefined) col("result_json", JSON.stringify(patch.result));
    if (patch.worker !== undefined) col("worker", patch.worker);
    if (patch.attempts !== undefined) col("attempts", patch.attempts);
    if (patch.owner !== undefined) col("owner", patch.owner);
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE runs SET ${sets.join(",")} WHERE id=?`).run(...vals, id);
  }

  getRun(id: string): RunRecord | undefined {
    const r = this.db.prepare("SELECT * FROM runs WHERE id=?").get(id) as RunRow | undefined;
    return r && runFromRow(r);
  }

  listRuns(opts: { limit?: number; status?: RunStatus } = {}): RunRecord[] {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    const rows = (
      opts.status
        ? this.db
            .prepare("SELECT * FROM runs WHERE status=? ORDER BY created_at DESC, rowid DESC LIMIT ?")
            .all(opts.status, limit)
        : this.db.prepare("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?").all(limit)
    ) as RunRow[];
    return rows.map(runFromRow);
  }

  // events
  appendEvent(runId: string, event: EngineEvent, now = Date.now()): number {
    return (this.stmts.insertEvent.get(runId, JSON.stringify(event), now, runId) as { seq: number }).seq;
  }

  /** The seq of the run's latest event (0 when it has none). */
  lastEventSeq(runId: string): number {
    const row = this.db.prepare("SELECT COALESCE(MAX(seq),0) AS seq FROM run_events WHERE run_id=?").get(runId) as {
      seq: number;
    };
    return row.seq;
  }

  /** Events with seq greater than `afterSeq`, in order. */
  eventsAfter(runId: string, afterSeq = 0): StoredEvent[] {
    const rows = this.db
      .prepare("SELECT seq,json,at FROM run_events WHERE run_id=? AND seq>? ORDER BY seq")
      .all(runId, afterSeq) as { seq: number; json: string; at: number }[];
    return rows.map((r) => ({ runId, seq: r.seq, event: JSON.parse(r.json) as EngineEvent, at: r.at }));
  }

  // outputs
  addOutput(o: Omit<OutputFile, "createdAt">, now = Date.now()): void {
    this.db
      .prepare("INSERT OR REPLACE INTO outputs (run_id,node_id,path,kind,meta_json,created_at) VALUES (?,?,?,?,?,?)")
      .run(o.runId, o.nodeId, o.path, o.kind, JSON.stringify(o.meta), now);
  }

  listOutputs(runId: string): OutputFile[] {
    const rows = this.db
      .prepare("SELECT * FROM outputs WHERE run_id=? ORDER BY created_at, rowid")
      .all(runId) as OutputRow[];
    return rows.map((r) => ({
      runId: r.run_id,
      nodeId: r.node_id,
      path: r.path,
      kind: r.kind,
      meta: JSON.parse(r.meta_json),
      createdAt: r.created_at,
    }));
  }

  close(): void {
    this.db.close();
  }
}

interface GraphRow {
  id: string;
  name: string;
  json: string;
  created_at: number;
  updated_at: number;
}
interface RunRow {
  id: string;
  status: RunStatus;
  graph_json: string;
  graph_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error_json: string | null;
  timings_json: string;
  seeds_json: string;
  output_dir: string;
  demo: number;
  kind: string;
  payload_json: string | null;
  result_json: string | null;
  owner: string | null;
  attempts: number;
  worker: string | null;
}
interface OutputRow {
  run_id: string;
  node_id: string;
  path: string;
  kind: string;
  meta_json: string;
  created_at: number;
}

function graphFromRow(r: GraphRow): SavedGraph {
  return { id: r.id, name: r.name, graph: JSON.parse(r.json), createdAt: r.created_at, updatedAt: r.updated_at };
}

function runFromRow(r: RunRow): RunRecord {
  return {
    id: r.id,
    status: r.status,
    graph: JSON.parse(r.graph_json),
    graphId: r.graph_id,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error_json ? JSON.parse(r.error_json) : null,
    timings: JSON.parse(r.timings_json),
    resolvedSeeds: JSON.parse(r.seeds_json),
    outputDir: r.output_dir,
    demo: r.demo === 1,
    kind: r.kind,
    payload: r.payload_json === null ? null : JSON.parse(r.payload_json),
    result: r.result_json === null ? null : JSON.parse(r.result_json),
    owner: r.owner,
    attempts: r.attempts,
    worker: r.worker,
  };
}
