// The React Flow view derived from a graph: nodes at their `ui` positions, one edge per
// link, coloured by port type. Unchanged graph nodes keep their view objects (so memoized
// node components skip re-rendering while another node is dragged).
import type { Graph, GraphNode } from "../../server/graph/format";
import { PORT_COLORS, type PortType } from "../../nodes/port-types";
import { outputHandleType, type DeclMap, type NodeDecl } from "./decls";
import type { NodeRunView } from "./run-state";
import type { NodeIssues } from "./issues";

export interface FlowNodeData extends Record<string, unknown> {
  id: string;
  node: GraphNode;
  decl: NodeDecl | undefined;
  run: NodeRunView | undefined;
  issues: NodeIssues | undefined;
}

export interface FlowNode {
  id: string;
  type: "acestep";
  position: { x: number; y: number };
  data: FlowNodeData;
  selected?: boolean;
  /** Size measured by React Flow (view state it needs back on every render). */
  measured?: { width?: number; height?: number };
}

export interface FlowEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  selected?: boolean;
  style?: { stroke: string; strokeWidth: number };
  data: { portType: string | null };
}

export const edgeId = (target: string, input: string) => `${target}\u2190${input}`;
export function parseEdgeId(id: string): { node: string; input: string } {
  const i = id.indexOf("\u2190");
  return { node: id.slice(0, i), input: id.slice(i + 1) };
}

export interface FlowInputs {
  graph: Graph;
  decls: DeclMap;
  run: Record<string, NodeRunView> | undefined;
  issues: Record<string, NodeIssues> | undefined;
  selected: ReadonlySet<string>;
  measured?: Readonly<Record<string, { width?: number; height?: number }>>;
}

/** Builds the node list, reusing `prev` entries whose inputs did not change. */
export function toFlowNodes(inp: FlowInputs, prev: ReadonlyMap<string, FlowNode> = new Map()): FlowNode[] {
  const out: FlowNode[] = [];
  for (const [id, node] of Object.entries(inp.graph.nodes)) {
    const decl = inp.decls.get(node.type);
    const run = inp.run?.[id];
    const issues = inp.issues?.[id];
    const selected = inp.selected.has(id);
    const x = node.ui?.x ?? 0;
    const y = node.ui?.y ?? 0;
    const measured = inp.measured?.[id];
    const p = prev.get(id);
    // (data.node may be an older version of the node that differs only in position, so the
    // position is compared too: undoing a move brings back that very node object.)
    const samePlace = p !== undefined && p.position.x === x && p.position.y === y;
    if (
      p &&
      samePlace &&
      p.data.node === node &&
      p.data.decl === decl &&
      p.data.run === run &&
      p.data.issues === issues &&
      p.selected === selected &&
      p.measured === measured
    ) {
      out.push(p);
      continue;
    }
    // A move changes only ui.x/y: keep the data object so the node component does not re-render.
    const data: FlowNodeData =
      p && sameContent(p.data.node, node) && p.data.decl === decl && p.data.run === run && p.data.issues === issues
        ? p.data
        : { id, node, decl, run, issues };
    out.push({ id, type: "acestep", position: samePlace ? p.position : { x, y }, data, selected, measured });
  }
  return out;
}

/** Whether two versions of a node differ at most in position. */
export function sameContent(a: GraphNode, b: GraphNode): boolean {
  if (a === b) return true;
  if (a.type !== b.type || a.params !== b.params || a.inputs !== b.inputs) return false;
  const ua: Record<string, unknown> = a.ui ?? {};
  const ub: Record<string, unknown> = b.ui ?? {};
  const keys = new Set([...Object.keys(ua), ...Object.keys(ub)]);
  for (const k of keys) if (k !== "x" && k !== "y" && ua[k] !== ub[k]) return false;
  return true;
}

/** One edge per link; unchanged edges are reused from `prev` (moving nodes changes no edge). */
export function toFlowEdges(
  graph: Graph,
  decls: DeclMap,
  selected: ReadonlySet<string>,
  prev: ReadonlyMap<string, FlowEdge> = new Map(),
): FlowEdge[] {
  const out: FlowEdge[] = [];
  for (const [target, node] of Object.entries(graph.nodes))
    for (const [input, link] of Object.entries(node.inputs ?? {})) {
      const src = graph.nodes[link.node];
      const sd = src ? decls.get(src.type) : undefined;
      const t = sd ? outputHandleType(sd, link.output) : null;
      const id = edgeId(target, input);
      const stroke = t ? PORT_COLORS[t as PortType] : "#737373";
      const p = prev.get(id);
      if (
        p &&
        p.source === link.node &&
        p.sourceHandle === link.output &&
        p.selected === selected.has(id) &&
        p.style?.stroke === stroke
      ) {
        out.push(p);
        continue;
      }
      out.push({
        id,
        source: link.node,
        sourceHandle: link.output,
        target,
        targetHandle: input,
        selected: selected.has(id),
        style: { stroke, strokeWidth: 2 },
        data: { portType: t },
      });
    }
  return out;
}
