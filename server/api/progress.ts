// The library's progress callback (upstream generate_music(progress=…), a gradio-style progress(value, desc=…)):
// the run's node events turned into one overall fraction, per stage (graph node) and per step.
import type { EngineEvent } from "../engine/events";
import type { Graph } from "../graph/format";

export interface ProgressInfo {
  /** The graph node reporting: a stage of the job ("lm", "sampler", "decode", "save", …); "done" at the end. */
  stage: string;
  /** Its node type ("lm.generate", "ace.ditSampler", …). */
  nodeType: string;
  /** What happened: the stage started, reported a step, finished (or came from the cache); the run ended. */
  event: "started" | "step" | "finished" | "done";
  /** Step within the stage and its step count, when the node counts steps (sampler steps, LM tokens, VAE tiles). */
  step?: number;
  total?: number;
}

/**
 * progress(fraction, desc, info): fraction is the whole job's, 0–1 and never decreasing; desc a short text as
 * upstream's `desc`. Steps are reported at most every 50 ms per stage (the engine's throttle), the last always.
 */
export type ProgressCallback = (fraction: number, desc: string, info: ProgressInfo) => void;

/**
 * How much of the job a node type is, roughly (the LM and the DiT dominate; VAE passes and audio encodes next;
 * loaders and conditioning are small). Only the ratio matters.
 */
export function stageWeight(type: string): number {
  if (type.startsWith("lm.") || type === "ace.ditSampler") return 40;
  if (type.startsWith("vae.") || type === "ace.audioToCodes") return 10;
  if (["ace.cover", "ace.repaint", "ace.lego", "ace.extract", "ace.complete"].includes(type)) return 10;
  return 1;
}

/** Turns a run's events into progress calls; a callback that throws is ignored (it must not stop the run). */
export function progressTracker(graph: Graph, cb: ProgressCallback): (e: EngineEvent) => void {
  const weight = (id: string) => stageWeight(graph.nodes[id]?.type ?? "");
  const total = Object.keys(graph.nodes).reduce((a, id) => a + weight(id), 0) || 1;
  const finished = new Set<string>();
  let done = 0;
  let last = 0;
  const call = (fraction: number, desc: string, info: ProgressInfo) => {
    last = Math.max(last, Math.min(1, fraction));
    try {
      cb(last, desc, info);
    } catch {
      // the caller's callback failed: the run goes on
    }
  };
  return (e) => {
    if (e.type === "run.finished") return call(1, "Done", { stage: "done", nodeType: "", event: "done" });
    if (
      e.type !== "node.started" &&
      e.type !== "node.progress" &&
      e.type !== "node.finished" &&
      e.type !== "node.cached"
    )
      return;
    const id = e.nodeId;
    const nodeType = graph.nodes[id]?.type ?? "";
    if (e.type === "node.started")
      return call(done / total, `${id}: started`, { stage: id, nodeType, event: "started" });
    if (e.type === "node.progress") {
      if (finished.has(id)) return;
      const steps = e.step !== undefined && e.total ? ` ${e.step}/${e.total}` : "";
      return call((done + weight(id) * e.fraction) / total, e.message ? `${id}: ${e.message}` : `${id}${steps}`, {
        stage: id,
        nodeType,
        event: "step",
        step: e.step,
        total: e.total,
      });
    }
    if (finished.has(id)) return;
    finished.add(id);
    done += weight(id);
    call(done / total, `${id}: ${e.type === "node.cached" ? "cached" : "done"}`, {
      stage: id,
      nodeType,
      event: "finished",
    });
  };
}
