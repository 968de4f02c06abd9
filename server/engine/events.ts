// Events a run streams, in order. Run-level events come from the run service; node-level
// events from the engine. Every event of a run gets a sequence number when stored.
import type { UiResult } from "../../nodes/define-node";

export type NodeEvent =
  | { type: "node.started"; nodeId: string; nodeType: string }
  | { type: "node.cached"; nodeId: string; nodeType: string; outputs: Record<string, unknown>; results: UiResult[] }
  | { type: "node.progress"; nodeId: string; fraction: number; step?: number; total?: number; message?: string }
  | { type: "node.finished"; nodeId: string; ms: number; outputs: Record<string, unknown>; results: UiResult[] }
  | { type: "node.failed"; nodeId: string; error: string; field?: string };

export type RunEvent =
  | { type: "run.queued"; position: number }
  | { type: "run.started"; nodes: string[] }
  | { type: "run.finished"; ms: number }
  | { type: "run.failed"; error: string; nodeId?: string; field?: string }
  | { type: "run.cancelled" }
  | { type: "run.interrupted" }
  /** Put back in the queue to start again (graceful shutdown, or a scale-out worker died). */
  | { type: "run.requeued"; reason: string; attempt?: number };

export type EngineEvent = NodeEvent | RunEvent;

export const TERMINAL_EVENTS = new Set(["run.finished", "run.failed", "run.cancelled", "run.interrupted"]);
