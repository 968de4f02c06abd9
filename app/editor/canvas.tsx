"use client";
// The React Flow canvas: renders nodes and edges derived from the graph and turns React
// Flow's gestures into graph edits. It holds only view state (measured sizes).
import { useCallback, useMemo, useRef, useState, type DragEvent } from "react";
import {
  Background,
  BackgroundVariant,
  Controls,
  ReactFlow,
  useReactFlow,
  type Connection as RFConnection,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type Edge,
} from "@xyflow/react";
import type { Graph } from "../../server/graph/format";
import type { PortType } from "../../nodes/port-types";
import { inputHandleType, outputHandleType, type DeclMap, type NodeDecl } from "../graph-model/decls";
import { toFlowEdges, toFlowNodes, type FlowEdge, type FlowNode } from "../graph-model/flow";
import { compatibleNodes, connectionProblem, type Connection, type XY } from "../graph-model/ops";
import type { NodeRunView } from "../graph-model/run-state";
import type { NodeIssues } from "../graph-model/issues";
import { NODE_TYPES } from "./graph-node";
import { NodeSearch, type SearchChoice } from "./node-search";
import { NODE_DRAG_TYPE } from "./panels";
import { MESSAGES } from "./messages";

export interface CanvasProps {
  graph: Graph;
  decls: NodeDecl[];
  declMap: DeclMap;
  run: Record<string, NodeRunView> | undefined;
  issues: Record<string, NodeIssues> | undefined;
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  onMove(positions: Record<string, XY>, dragging: boolean): void;
  onSelect(nodes: Record<string, boolean>, edges: Record<string, boolean>): void;
  onConnect(c: Connection): void;
  onAdd(
    decl: NodeDecl,
    at: XY,
    link?: { handle: string; other: { node: string; handle: string; side: "source" | "target" } },
  ): void;
  onOpenFile(f: File): void;
  notify(m: string, kind?: "info" | "error"): void;
}

interface SearchState {
  screen: XY;
  flow: XY;
  choices: SearchChoice[];
  title?: string;
  from?: { node: string; handle: string; side: "source" | "target" };
}

export function Canvas(p: CanvasProps) {
  const rf = useReactFlow();
  const [measured, setMeasured] = useState<Record<string, { width?: number; height?: number }>>({});
  const [search, setSearch] = useState<SearchState | null>(null);
  const prev = useRef(new Map<string, FlowNode>());
  const live = useRef(p);
  live.current = p;

  const nodes = useMemo(() => {
    const list = toFlowNodes(
      { graph: p.graph, decls: p.declMap, run: p.run, issues: p.issues, selected: p.selectedNodes, measured },
      prev.current,
    );
    prev.current = new Map(list.map((n) => [n.id, n]));
    return list;
  }, [p.graph, p.declMap, p.run, p.issues, p.selectedNodes, measured]);
  const prevEdges = useRef(new Map<string, FlowEdge>());
  const edges = useMemo(() => {
    const list = toFlowEdges(p.graph, p.declMap, p.selectedEdges, prevEdges.current);
    prevEdges.current = new Map(list.map((e) => [e.id, e]));
    return list;
  }, [p.graph, p.declMap, p.selectedEdges]);

  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const positions: Record<string, XY> = {};
    let dragging = false;
    let ended = false;
    const sel: Record<string, boolean> = {};
    let dims: Record<string, { width?: number; height?: number }> | null = null;
    for (const c of changes) {
      if (c.type === "position") {
        if (c.position) positions[c.id] = c.position;
        if (c.dragging) dragging = true;
        else ended = true;
      } else if (c.type === "select") sel[c.id] = c.selected;
      else if (c.type === "dimensions" && c.dimensions) (dims ??= {})[c.id] = c.dimensions;
    }
    if (Object.keys(positions).length || ended) live.current.onMove(positions, dragging && !ended);
    if (Object.keys(sel).length) live.current.onSelect(sel, {});
    if (dims) {
      const d = dims;
      setMeasured((m) => {
        let changed = false;
        const next = { ...m };
        for (const [id, v] of Object.entries(d))
          if (m[id]?.width !== v.width || m[id]?.height !== v.height) {
            next[id] = v;
            changed = true;
          }
        return changed ? next : m;
      });
    }
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange<Edge>[]) => {
    const sel: Record<string, boolean> = {};
    for (const c of changes) if (c.type === "select") sel[c.id] = c.selected;
    if (Object.keys(sel).length) live.current.onSelect({}, sel);
  }, []);

  const asConnection = (c: RFConnection): Connection => ({
    source: c.source,
    sourceHandle: c.sourceHandle ?? "",
    target: c.target,
    targetHandle: c.targetHandle ?? "",
  });
  const isValidConnection = useCallback(
    (c: Edge | RFConnection) =>
      connectionProblem(live.current.graph, live.current.declMap, asConnection(c as RFConnection)) === null,
    [],
  );
  const onConnect = useCallback((c: RFConnection) => live.current.onConnect(asConnection(c)), []);

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, s: FinalConnectionState) => {
      const { graph, declMap, decls } = live.current;
      if (!s.fromHandle || s.isValid) return;
      const fromSide = s.fromHandle.type; // "source" = dragged from an output
      if (s.toHandle) {
        // Released on a handle that refused: say why.
        const c =
          fromSide === "source"
            ? {
                source: s.fromHandle.nodeId,
                sourceHandle: s.fromHandle.id ?? "",
                target: s.toHandle.nodeId,
                targetHandle: s.toHandle.id ?? "",
              }
            : {
                source: s.toHandle.nodeId,
                sourceHandle: s.toHandle.id ?? "",
                target: s.fromHandle.nodeId,
                targetHandle: s.fromHandle.id ?? "",
              };
        const reason =
          s.toHandle.type === fromSide
            ? `both ends are ${fromSide === "source" ? "outputs" : "inputs"}`
            : connectionProblem(graph, declMap, c);
        if (reason) live.current.notify(MESSAGES.connection_refused(reason), "error");
        return;
      }
      // Released on empty canvas: offer the nodes that fit.
      const node = graph.nodes[s.fromHandle.nodeId];
      const decl = node ? declMap.get(node.type) : undefined;
      if (!decl) return;
      const type =
        fromSide === "source"
          ? outputHandleType(decl, s.fromHandle.id ?? "")
          : inputHandleType(decl, s.fromHandle.id ?? "");
      if (!type) return;
      const pt = "changedTouches" in event ? event.changedTouches[0] : event;
      const screen = { x: pt.clientX, y: pt.clientY };
      const choices = compatibleNodes(decls, { type: type as PortType, side: fromSide });
      if (choices.length === 0) return live.current.notify(MESSAGES.no_compatible(type));
      setSearch({
        screen,
        flow: rf.screenToFlowPosition(screen),
        choices,
        title: fromSide === "source" ? `Nodes that take ${type}` : `Nodes that give ${type}`,
        from: { node: s.fromHandle.nodeId, handle: s.fromHandle.id ?? "", side: fromSide },
      });
    },
    [rf],
  );

  const openSearch = useCallback(
    (e: React.MouseEvent) => {
      const el = e.target as HTMLElement;
      if (!el.classList.contains("react-flow__pane")) return;
      const screen = { x: e.clientX, y: e.clientY };
      setSearch({
        screen,
        flow: rf.screenToFlowPosition(screen),
        choices: live.current.decls.map((decl) => ({ decl })),
      });
    },
    [rf],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      const at = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const type = e.dataTransfer.getData(NODE_DRAG_TYPE);
      if (type) {
        const d = live.current.declMap.get(type);
        if (d) live.current.onAdd(d, at);
        return;
      }
      const f = e.dataTransfer.files?.[0];
      if (f) live.current.onOpenFile(f);
    },
    [rf],
  );

  return (
    <div
      className="relative h-full w-full"
      onDoubleClick={openSearch}
      onDragOver={(e) => e.preventDefault()}
      onDrop={onDrop}
      data-testid="canvas"
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        zoomOnDoubleClick={false}
        minZoom={0.1}
        maxZoom={2}
        defaultViewport={{ x: 40, y: 40, zoom: 1 }}
        onlyRenderVisibleElements={false}
        proOptions={{ hideAttribution: true }}
        colorMode="dark"
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1} color="#333" />
        <Controls />
      </ReactFlow>
      {Object.keys(p.graph.nodes).length === 0 && (
        <div className="pointer-events-none absolute inset-0 flex items-center justify-center text-sm text-neutral-500">
          Double-click the canvas to add a node, pick one from the palette, or open an example.
        </div>
      )}
      {search && (
        <NodeSearch
          at={search.screen}
          choices={search.choices}
          title={search.title}
          onClose={() => setSearch(null)}
          onPick={(c) => {
            const at = search.from?.side === "target" ? { x: search.flow.x - 280, y: search.flow.y } : search.flow;
            live.current.onAdd(
              c.decl,
              at,
              search.from && c.handle ? { handle: c.handle, other: search.from } : undefined,
            );
            setSearch(null);
          }}
        />
      )}
    </div>
  );
}
