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
CREATE TABLE IF NOT EXISTS outputs (run_id TEXT NOT NULL, node_id TEXT NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL, meta_json TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, path));
`;

export class RunStore {
  readonly db: Database.Database;
  /** Last event seq per run (events of a run are appended by this process only). */
  private readonly lastSeq = new Map<string, number>();
  private readonly stmts: { maxSeq: Database.Statement; insertEvent: Database.Statement };

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
    this.stmts = {
      maxSeq: this.db.prepare("SELECT COALESCE(MAX(seq),0) AS m FROM run_events WHERE run_id=?"),
      insertEvent: this.db.prepare("INSERT INTO run_events (run_id,seq,json,at) VALUES (?,?,?,?)"),
    };
  }

  /** Runs left queued or running by a previous process become `interrupted`; returns their ids. */
  markInterrupted(now = Date.now()): string[] {
    const rows = this.db.prepare("SELECT id FROM runs WHERE status IN ('queued','running')").all() as { id: string }[];
    const upd = this.db.prepare("UPDATE runs SET status='interrupted', finished_at=? WHERE id=?");
    const tx = this.db.transaction(() => {
      for (const r of rows) {
        upd.run(now, r.id);
        this.appendEvent(r.id, { type: "run.interrupted" }, now);
      }
    });
    tx();
    return rows.map((r) => r.id);
  }

  // graphs
  saveGraph(g: { id: string; name: string; graph: unknown }, now = Date.now()): SavedGraph {
    const json = JSON.stringify(g.graph);
    const existing = this.db.prepare("SELECT created_at FROM graphs WHERE id=?").get(g.id) as { created_at: number } | undefined;
    this.db
      .prepare("INSERT INTO graphs (id,name,json,created_at,updated_at) VALUES (?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, json=excluded.json, updated_at=excluded.updated_at")
      .run(g.id, g.name, json, existing?.created_at ?? now, now);
    return { id: g.id, name: g.name, graph: g.graph, createdAt: existing?.created_at ?? now, updatedAt: now };
  }

  getGraph(id: string): SavedGraph | undefined {
    const r = this.db.prepare("SELECT * FROM graphs WHERE id=?").get(id) as GraphRow | undefined;
    return r && graphFromRow(r);
  }

  listGraphs(): Array<Omit<SavedGraph, "graph">> {
    const rows = this.db.prepare("SELECT id,name,created_at,updated_at FROM graphs ORDER BY updated_at DESC").all() as GraphRow[];
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at }));
  }

  deleteGraph(id: string): boolean {
    return this.db.prepare("DELETE FROM graphs WHERE id=?").run(id).changes > 0;
  }

  // runs
  createRun(r: Pick<RunRecord, "id" | "graph" | "graphId" | "outputDir" | "demo">, now = Date.now()): void {
    this.db
      .prepare("INSERT INTO runs (id,status,graph_json,graph_id,created_at,output_dir,demo) VALUES (?,?,?,?,?,?,?)")
      .run(r.id, "queued", JSON.stringify(r.graph), r.graphId, now, r.outputDir, r.demo ? 1 : 0);
  }

  updateRun(id: string, patch: Partial<Pick<RunRecord, "status" | "startedAt" | "finishedAt" | "error" | "timings" | "resolvedSeeds" | "graph">>): void {
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
        ? this.db.prepare("SELECT * FROM runs WHERE status=? ORDER BY created_at DESC, rowid DESC LIMIT ?").all(opts.status, limit)
        : this.db.prepare("SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?").all(limit)
    ) as RunRow[];
    return rows.map(runFromRow);
  }

  // events
  appendEvent(runId: string, event: EngineEvent, now = Date.now()): number {
    let last = this.lastSeq.get(runId);
    if (last === undefined) last = (this.stmts.maxSeq.get(runId) as { m: number }).m;
    const seq = last + 1;
    this.stmts.insertEvent.run(runId, seq, JSON.stringify(event), now);
    this.lastSeq.set(runId, seq);
    if (this.lastSeq.size > 1000) this.lastSeq.delete(this.lastSeq.keys().next().value!);
    return seq;
  }

  /** Events with seq greater than `afterSeq`, in order. */
  eventsAfter(runId: string, afterSeq = 0): StoredEvent[] {
    const rows = this.db.prepare("SELECT seq,json,at FROM run_events WHERE run_id=? AND seq>? ORDER BY seq").all(runId, afterSeq) as { seq: number; json: string; at: number }[];
    return rows.map((r) => ({ runId, seq: r.seq, event: JSON.parse(r.json) as EngineEvent, at: r.at }));
  }

  // outputs
  addOutput(o: Omit<OutputFile, "createdAt">, now = Date.now()): void {
    this.db
      .prepare("INSERT OR REPLACE INTO outputs (run_id,node_id,path,kind,meta_json,created_at) VALUES (?,?,?,?,?,?)")
      .run(o.runId, o.nodeId, o.path, o.kind, JSON.stringify(o.meta), now);
  }

  listOutputs(runId: string): OutputFile[] {
    const rows = this.db.prepare("SELECT * FROM outputs WHERE run_id=? ORDER BY created_at, rowid").all(runId) as OutputRow[];
    return rows.map((r) => ({ runId: r.run_id, nodeId: r.node_id, path: r.path, kind: r.kind, meta: JSON.parse(r.meta_json), createdAt: r.created_at }));
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
  };
}
