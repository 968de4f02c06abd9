// The state of one run as the editor shows it, folded from the run's event stream
// (server/engine/events.ts). Pure: the same events always give the same view.
import type { EngineEvent } from "../../server/engine/events";
import type { UiResult } from "../../nodes/define-node";

export type NodeRunStatus = "queued" | "running" | "cached" | "done" | "failed";
export type RunStatus = "starting" | "queued" | "running" | "finished" | "failed" | "cancelled" | "interrupted";

export interface NodeRunView {
  status: NodeRunStatus;
  fraction?: number;
  step?: number;
  total?: number;
  message?: string;
  ms?: number;
  results?: UiResult[];
  error?: string;
  field?: string;
  /** The params the node ran with (seeds of -1 replaced by the seeds drawn), once the run is over. */
  params?: Record<string, unknown>;
}

export interface RunView {
  runId: string;
  status: RunStatus;
  position?: number;
  nodes: Record<string, NodeRunView>;
  error?: { message: string; nodeId?: string; field?: string };
  ms?: number;
  lastSeq: number;
}

/** One item of the runs.events stream (the tracked envelope's data). */
export interface StreamEvent {
  seq: number;
  event: EngineEvent;
  at?: number;
}

export function startRunView(runId: string, position?: number): RunView {
  return {
    runId,
    status: position !== undefined && position > 0 ? "queued" : "starting",
    position,
    nodes: {},
    lastSeq: 0,
  };
}

export const isTerminal = (s: RunStatus) =>
  s === "finished" || s === "failed" || s === "cancelled" || s === "interrupted";

export function applyRunEvent(v: RunView, { seq, event: e }: StreamEvent): RunView {
  if (seq <= v.lastSeq) return v;
  const next: RunView = { ...v, lastSeq: seq };
  const node = (id: string, patch: Partial<NodeRunView> & { status: NodeRunStatus }) => {
    next.nodes = { ...next.nodes, [id]: { ...(next.nodes[id] ?? {}), ...patch } };
  };
  switch (e.type) {
    case "run.queued":
      next.status = "queued";
      next.position = e.position;
      break;
    case "run.started":
      next.status = "running";
      next.position = undefined;
      next.nodes = { ...next.nodes };
      for (const id of e.nodes) next.nodes[id] = { status: "queued" };
      break;
    case "node.started":
      node(e.nodeId, { status: "running", fraction: 0, step: undefined, total: undefined, error: undefined });
      break;
    case "node.progress":
      node(e.nodeId, { status: "running", fraction: e.fraction, step: e.step, total: e.total, message: e.message });
      break;
    case "node.cached":
      node(e.nodeId, { status: "cached", fraction: 1, results: e.results });
      break;
    case "node.finished":
      node(e.nodeId, { status: "done", fraction: 1, ms: e.ms, results: e.results });
      break;
    case "node.failed":
      node(e.nodeId, { status: "failed", error: e.error, field: e.field });
      break;
    case "run.finished":
      next.status = "finished";
      next.ms = e.ms;
      break;
    case "run.failed":
      next.status = "failed";
      next.error = { message: e.error, nodeId: e.nodeId, field: e.field };
      if (e.nodeId && next.nodes[e.nodeId]?.status !== "failed")
        node(e.nodeId, { status: "failed", error: e.error, field: e.field });
      break;
    case "run.cancelled":
      next.status = "cancelled";
      break;
    case "run.interrupted":
      next.status = "interrupted";
      break;
  }
  if (isTerminal(next.status)) {
    // Nodes that never got to run stay "queued" no more: drop their badge.
    const nodes: Record<string, NodeRunView> = {};
    for (const [id, n] of Object.entries(next.nodes))
      if (!(n.status === "queued" || (n.status === "running" && next.status !== "finished"))) nodes[id] = n;
    next.nodes = nodes;
  }
  return next;
}

/** Every result of a run, in node order (for the outputs list). */
export function runResults(v: RunView): Array<{ nodeId: string; result: UiResult }> {
  return Object.entries(v.nodes).flatMap(([nodeId, n]) => (n.results ?? []).map((result) => ({ nodeId, result })));
}

/** Adds the params each node ran with (the run's stored graph, with drawn seeds) to its view. */
export function withRunParams(
  v: RunView,
  graph: { nodes?: Record<string, { params?: Record<string, unknown> }> },
): RunView {
  const nodes = { ...v.nodes };
  for (const [id, n] of Object.entries(graph.nodes ?? {}))
    if (nodes[id] && n.params) nodes[id] = { ...nodes[id], params: n.params };
  return { ...v, nodes };
}
