// Graph edit operations: pure functions from a graph JSON v1 to the next one. The editor's
// canvas only renders graphs and dispatches these; nothing here knows about React.
import type { Graph, GraphNode } from "../../server/graph/format";
import { GRAPH_VERSION } from "../../server/graph/format";
import { connectionRefusal, type PortType } from "../../nodes/port-types";
import { inputHandleType, outputHandleType, paramDefaults, type DeclMap, type NodeDecl } from "./decls";

export type XY = { x: number; y: number };

export function emptyGraph(): Graph {
  return { version: GRAPH_VERSION, nodes: {} };
}

/** A new node id from the node type ("audio.testTone" → "testTone1", "testTone2", …). */
export function freshId(graph: Graph, type: string, taken: ReadonlySet<string> = new Set()): string {
  const last = type.split(".").pop() ?? "node";
  const base = last.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 48) || "node";
  for (let n = 1; ; n++) {
    const id = `${base}${n}`;
    if (!(id in graph.nodes) && !taken.has(id)) return id;
  }
}

function withNodes(graph: Graph, nodes: Record<string, GraphNode>): Graph {
  return { ...graph, nodes };
}

/** Adds a node of `decl` with every param at its default. */
export function addNode(
  graph: Graph,
  decl: NodeDecl,
  at: XY,
  id = freshId(graph, decl.type),
): { graph: Graph; id: string } {
  const node: GraphNode = {
    type: decl.type,
    params: paramDefaults(decl),
    ui: { x: Math.round(at.x), y: Math.round(at.y) },
  };
  return { graph: withNodes(graph, { ...graph.nodes, [id]: node }), id };
}

/** Removes nodes and every link that points at them. */
export function removeNodes(graph: Graph, ids: Iterable<string>): Graph {
  const gone = new Set(ids);
  if (![...gone].some((id) => id in graph.nodes)) return graph;
  const nodes: Record<string, GraphNode> = {};
  for (const [id, n] of Object.entries(graph.nodes)) {
    if (gone.has(id)) continue;
    const inputs =
      n.inputs && Object.values(n.inputs).some((l) => gone.has(l.node))
        ? Object.fromEntries(Object.entries(n.inputs).filter(([, l]) => !gone.has(l.node)))
        : n.inputs;
    nodes[id] = inputs === n.inputs ? n : dropEmptyInputs({ ...n, inputs });
  }
  return withNodes(graph, nodes);
}

function dropEmptyInputs(n: GraphNode): GraphNode {
  if (n.inputs && Object.keys(n.inputs).length === 0) {
    const { inputs: _i, ...rest } = n;
    return rest;
  }
  return n;
}

export interface LinkRef {
  /** The node whose input (or param) is fed. */
  node: string;
  input: string;
}

/** Removes links, each named by the target node and its input. */
export function removeLinks(graph: Graph, links: readonly LinkRef[]): Graph {
  let nodes = graph.nodes;
  for (const l of links) {
    const n = nodes[l.node];
    if (!n?.inputs || !(l.input in n.inputs)) continue;
    const { [l.input]: _gone, ...inputs } = n.inputs;
    nodes = { ...nodes, [l.node]: dropEmptyInputs({ ...n, inputs }) };
  }
  return nodes === graph.nodes ? graph : withNodes(graph, nodes);
}

export interface Connection {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export type ConnectResult = { ok: true; graph: Graph } | { ok: false; reason: string };

/** Why `c` cannot be made, or null. Type rules come from nodes/port-types (the validator's own). */
export function connectionProblem(graph: Graph, decls: DeclMap, c: Connection): string | null {
  const src = graph.nodes[c.source];
  const dst = graph.nodes[c.target];
  if (!src || !dst) return "the node no longer exists";
  if (c.source === c.target) return "a node cannot feed itself";
  const sd = decls.get(src.type);
  const dd = decls.get(dst.type);
  if (!sd) return `unknown node type "${src.type}"`;
  if (!dd) return `unknown node type "${dst.type}"`;
  const from = outputHandleType(sd, c.sourceHandle);
  if (!from) return `${sd.title} has no output "${c.sourceHandle}"`;
  const to = inputHandleType(dd, c.targetHandle);
  if (!to) return `${dd.title} has no input "${c.targetHandle}"`;
  const refusal = connectionRefusal(from, to);
  if (refusal) return refusal;
  if (reaches(graph, c.target, c.source)) return "this link would form a cycle";
  return null;
}

/** Links an output to an input or linkable param; a link already on that input is replaced. */
export function connect(graph: Graph, decls: DeclMap, c: Connection): ConnectResult {
  const reason = connectionProblem(graph, decls, c);
  if (reason) return { ok: false, reason };
  const dst = graph.nodes[c.target];
  const inputs = { ...(dst.inputs ?? {}), [c.targetHandle]: { node: c.source, output: c.sourceHandle } };
  return { ok: true, graph: withNodes(graph, { ...graph.nodes, [c.target]: { ...dst, inputs } }) };
}

/** Whether `to` is reachable downstream from `from` (following links from producer to consumer). */
export function reaches(graph: Graph, from: string, to: string): boolean {
  const consumers = new Map<string, string[]>();
  for (const [id, n] of Object.entries(graph.nodes))
    for (const l of Object.values(n.inputs ?? {})) consumers.set(l.node, [...(consumers.get(l.node) ?? []), id]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(consumers.get(id) ?? []));
  }
  return false;
}

export function setParam(graph: Graph, id: string, name: string, value: unknown): Graph {
  const n = graph.nodes[id];
  if (!n) return graph;
  if (n.params && Object.is(n.params[name], value)) return graph;
  return withNodes(graph, { ...graph.nodes, [id]: { ...n, params: { ...(n.params ?? {}), [name]: value as never } } });
}

export function setTitle(graph: Graph, id: string, title: string): Graph {
  const n = graph.nodes[id];
  if (!n) return graph;
  const ui = { ...(n.ui ?? {}) };
  if (title) ui.title = title;
  else delete ui.title;
  return withNodes(graph, { ...graph.nodes, [id]: { ...n, ui } });
}

/** Moves nodes (editor-only `ui.x/y`); unchanged positions keep the node object. */
export function moveNodes(graph: Graph, positions: Readonly<Record<string, XY>>): Graph {
  let nodes: Record<string, GraphNode> | null = null;
  for (const [id, p] of Object.entries(positions)) {
    const n = (nodes ?? graph.nodes)[id];
    if (!n) continue;
    const x = Math.round(p.x);
    const y = Math.round(p.y);
    if (n.ui?.x === x && n.ui?.y === y) continue;
    nodes ??= { ...graph.nodes };
    nodes[id] = { ...n, ui: { ...(n.ui ?? {}), x, y } };
  }
  return nodes ? withNodes(graph, nodes) : graph;
}

/** What Ctrl+C puts on the clipboard: the chosen nodes and only the links among them. */
export interface Clip {
  kind: "acestep.nodes";
  version: typeof GRAPH_VERSION;
  nodes: Record<string, GraphNode>;
}

export function copyNodes(graph: Graph, ids: Iterable<string>): Clip {
  const keep = new Set([...ids].filter((id) => id in graph.nodes));
  const nodes: Record<string, GraphNode> = {};
  for (const id of keep) {
    const n = structuredClone(graph.nodes[id]);
    if (n.inputs) {
      n.inputs = Object.fromEntries(Object.entries(n.inputs).filter(([, l]) => keep.has(l.node)));
      if (Object.keys(n.inputs).length === 0) delete n.inputs;
    }
    nodes[id] = n;
  }
  return { kind: "acestep.nodes", version: GRAPH_VERSION, nodes };
}

export function isClip(x: unknown): x is Clip {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as Clip).kind === "acestep.nodes" &&
    typeof (x as Clip).nodes === "object" &&
    (x as Clip).nodes !== null
  );
}

/** The top-left corner of a clip's nodes (where a paste at the pointer puts it). */
export function clipCorner(clip: Clip): XY {
  const xs = Object.values(clip.nodes).map((n) => n.ui?.x ?? 0);
  const ys = Object.values(clip.nodes).map((n) => n.ui?.y ?? 0);
  return { x: xs.length ? Math.min(...xs) : 0, y: ys.length ? Math.min(...ys) : 0 };
}

/** Pastes a clip under fresh ids, shifted by `offset`; links inside the clip follow the new ids. */
export function pasteNodes(graph: Graph, clip: Clip, offset: XY = { x: 40, y: 40 }): { graph: Graph; ids: string[] } {
  const rename = new Map<string, string>();
  const taken = new Set<string>();
  for (const [id, n] of Object.entries(clip.nodes)) {
    const fresh = freshId(graph, n.type, taken);
    taken.add(fresh);
    rename.set(id, fresh);
  }
  const nodes = { ...graph.nodes };
  for (const [id, n0] of Object.entries(clip.nodes)) {
    const n = structuredClone(n0);
    if (n.inputs)
      n.inputs = Object.fromEntries(
        Object.entries(n.inputs).flatMap(([k, l]) =>
          rename.has(l.node) ? [[k, { ...l, node: rename.get(l.node)! }]] : [],
        ),
      );
    n.ui = { ...(n.ui ?? {}), x: (n.ui?.x ?? 0) + offset.x, y: (n.ui?.y ?? 0) + offset.y };
    nodes[rename.get(id)!] = n;
  }
  return { graph: withNodes(graph, nodes), ids: [...rename.values()] };
}

/** For a connection dragged onto empty canvas: node types that could take the other end. */
export function compatibleNodes(
  decls: readonly NodeDecl[],
  from: { type: PortType; side: "source" | "target" },
): Array<{ decl: NodeDecl; handle: string }> {
  const out: Array<{ decl: NodeDecl; handle: string }> = [];
  for (const d of decls) {
    if (from.side === "source") {
      // Dragged from an output: the new node needs an input (port first, then linkable param) that takes it.
      const port = Object.keys(d.inputs).find(
        (k) => connectionRefusal(from.type, d.inputs[k].type as PortType) === null,
      );
      const handle =
        port ??
        Object.keys(d.paramPorts).find((k) => connectionRefusal(from.type, d.paramPorts[k] as PortType) === null);
      if (handle) out.push({ decl: d, handle });
    } else {
      const handle = Object.keys(d.outputs).find(
        (k) => connectionRefusal(d.outputs[k].type as PortType, from.type) === null,
      );
      if (handle) out.push({ decl: d, handle });
    }
  }
  return out;
}

/** Depth of each node: 0 for nodes fed by nothing, else one more than its deepest upstream node. */
export function depths(graph: Graph): Map<string, number> {
  const depth = new Map<string, number>();
  const d = (id: string, seen: Set<string>): number => {
    if (depth.has(id)) return depth.get(id)!;
    if (seen.has(id)) return 0;
    seen.add(id);
    const n = graph.nodes[id];
    const v = n
      ? Math.max(0, ...Object.values(n.inputs ?? {}).map((l) => (l.node in graph.nodes ? d(l.node, seen) + 1 : 0)))
      : 0;
    depth.set(id, v);
    return v;
  };
  for (const id of Object.keys(graph.nodes)) d(id, new Set());
  return depth;
}

/**
 * Tidies the whole graph: one column per depth, nodes stacked by their measured heights
 * (in their current top-to-bottom order), so nothing overlaps.
 */
export function arrange(
  graph: Graph,
  sizes: Readonly<Record<string, { width?: number; height?: number }>>,
  gap = { x: 60, y: 30 },
): Graph {
  const depth = depths(graph);
  const columns = new Map<number, string[]>();
  for (const id of Object.keys(graph.nodes)) columns.set(depth.get(id)!, [...(columns.get(depth.get(id)!) ?? []), id]);
  const positions: Record<string, XY> = {};
  let x = 0;
  for (const col of [...columns.keys()].sort((a, b) => a - b)) {
    const ids = columns.get(col)!.sort((a, b) => (graph.nodes[a].ui?.y ?? 0) - (graph.nodes[b].ui?.y ?? 0));
    let y = 0;
    let width = 0;
    for (const id of ids) {
      positions[id] = { x, y };
      y += (sizes[id]?.height ?? 200) + gap.y;
      width = Math.max(width, sizes[id]?.width ?? 256);
    }
    x += width + gap.x;
  }
  return moveNodes(graph, positions);
}

export type Sizes = Readonly<Record<string, { width?: number; height?: number }>>;

/** Pairs of nodes whose boxes (position + measured size) overlap, e.g. ["a/b"]. */
export function overlappingNodes(graph: Graph, sizes: Sizes): string[] {
  const boxes = Object.entries(graph.nodes).map(([id, n]) => {
    const x = n.ui?.x ?? 0;
    const y = n.ui?.y ?? 0;
    return { id, x, y, r: x + (sizes[id]?.width ?? 256), b: y + (sizes[id]?.height ?? 200) };
  });
  const out: string[] = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const c = boxes[j];
      if (a.x < c.r && c.x < a.r && a.y < c.b && c.y < a.b) out.push(`${a.id}/${c.id}`);
    }
  return out;
}

/** Fills missing positions so every node has a place on the canvas (left to right by depth). */
export function layoutMissing(graph: Graph): Graph {
  const missing = Object.entries(graph.nodes).filter(
    ([, n]) => typeof n.ui?.x !== "number" || typeof n.ui?.y !== "number",
  );
  if (missing.length === 0) return graph;
  const depth = depths(graph);
  const rows = new Map<number, number>();
  const positions: Record<string, XY> = {};
  for (const [id] of missing) {
    const col = depth.get(id) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    positions[id] = { x: col * 340, y: row * 260 };
  }
  return moveNodes(graph, positions);
}
