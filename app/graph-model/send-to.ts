// "Send to Cover / Repaint / Load Audio" from the results gallery: a generated file becomes
// the source audio of a task graph (its source node replaced by a Load Audio of that file,
// and the repaint window set when one was dragged on the waveform), or a new Load Audio node.
import type { Graph, GraphNode } from "../../server/graph/format";
import type { XY } from "./ops";
import { freshId } from "./ops";

export const LOAD_AUDIO = "audio.load";
/** Task nodes whose `audio` input is the source song (nodes/ace/tasks.ts). */
const SOURCE_TASKS = new Set(["ace.cover", "ace.repaint", "ace.lego", "ace.extract", "ace.complete"]);
const REPAINT = "ace.repaint";

export interface Window {
  start: number;
  end: number;
}

/** The nodes feeding a task node's `audio` input. */
export function sourceNodes(graph: Graph): string[] {
  const out = new Set<string>();
  for (const n of Object.values(graph.nodes))
    if (SOURCE_TASKS.has(n.type) && n.inputs?.audio) out.add(n.inputs.audio.node);
  return [...out].filter((id) => id in graph.nodes);
}

/** The graph with every task source replaced by a Load Audio of `path`; the repaint window set when given. */
export function withSourceAudio(graph: Graph, path: string, window?: Window): Graph {
  const nodes: Record<string, GraphNode> = { ...graph.nodes };
  for (const id of sourceNodes(graph))
    nodes[id] = { type: LOAD_AUDIO, params: { file: path }, ...(graph.nodes[id].ui ? { ui: graph.nodes[id].ui } : {}) };
  if (window)
    for (const [id, n] of Object.entries(nodes))
      if (n.type === REPAINT)
        nodes[id] = { ...n, params: { ...(n.params ?? {}), start: window.start, end: window.end } };
  return { ...graph, nodes };
}

/** Adds a Load Audio node for `path` at `at`. */
export function addLoadAudio(graph: Graph, path: string, at: XY): { graph: Graph; id: string } {
  const id = freshId(graph, LOAD_AUDIO);
  return {
    graph: {
      ...graph,
      nodes: {
        ...graph.nodes,
        [id]: { type: LOAD_AUDIO, params: { file: path }, ui: { x: Math.round(at.x), y: Math.round(at.y) } },
      },
    },
    id,
  };
}
