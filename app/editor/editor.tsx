"use client";
// ACE-Step Studio's editor: providers, the document state (graph JSON v1 with history),
// and the wiring between the canvas, menus, run controls and panels. Graph edits are the
// pure functions of app/graph-model; components render and dispatch.
import { startTransition, useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import dynamic from "next/dynamic";
import { zGraph, type Graph } from "../../server/graph/format";
import { declMap as toDeclMap, type NodeDecl } from "../graph-model/decls";
import { editorReducer, initialEditorState, isDirty, type DocInfo } from "../graph-model/editor-state";
import { canRedo, canUndo } from "../graph-model/history";
import {
  addNode,
  arrange,
  clipCorner,
  overlappingNodes,
  connect,
  copyNodes,
  isClip,
  moveNodes,
  pasteNodes,
  removeLinks,
  removeNodes,
  setParam,
  type Clip,
  type Connection,
  type XY,
} from "../graph-model/ops";
import { parseEdgeId } from "../graph-model/flow";
import { placeIssues } from "../graph-model/issues";
import { isTerminal } from "../graph-model/run-state";
import { AUTOSAVE_KEY, decodeAutosave, encodeAutosave } from "../graph-model/autosave";
import { advanceSeeds, setSeedControl } from "../graph-model/seed-control";
import { galleryCards, type GalleryCard } from "../graph-model/gallery";
import { setField, simpleFields, type SimpleField } from "../graph-model/simple-mode";
import { addLoadAudio, withSourceAudio, type Window } from "../graph-model/send-to";
import { paramSchemas, widgetKind } from "../graph-model/decls";
import { QueueList } from "./queue-list";
import type { SendTo } from "./gallery";
import { TRPCProvider, makeTrpcClient, useTRPC, useTRPCClient } from "./trpc";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { AppRouter } from "../../server/trpc/app-router";
import { Canvas } from "./canvas";
import { NodeActionsContext, type NodeActions } from "./actions-context";
import { Palette, RunHistory } from "./panels";
import { DemoBanner, StatusBar } from "./status-bar";
import { Button, Menu, MenuItem, RunStatus } from "./toolbar";
import { Toasts, useToasts } from "./toasts";
import { useRun } from "./use-run";
import { MESSAGES } from "./messages";

// Simple mode and its gallery/audio player load on first use, not with the editor's first page (issue 18:
// time to interactive); next/dynamic, https://nextjs.org/docs/app/guides/lazy-loading
const SimpleMode = dynamic(() => import("./simple-mode").then((m) => m.SimpleMode), { ssr: false });

const EXAMPLES_STALE_MS = 60_000;

export function Editor() {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false, retry: 1 } } }),
  );
  const [trpcClient] = useState(makeTrpcClient);
  // nodes.list (and the examples, for a first visit) are asked for as the page hydrates, not after the whole
  // tree has committed and useQuery's effects have subscribed: the palette and the canvas wait on them.
  useState(() => {
    if (typeof window === "undefined") return; // (server render)
    const t = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
    void queryClient.prefetchQuery(t.nodes.list.queryOptions());
    void queryClient.prefetchQuery({ ...t.graphs.examples.queryOptions(), staleTime: EXAMPLES_STALE_MS });
  });
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <ReactFlowProvider>
          <Studio />
        </ReactFlowProvider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}

const isEditable = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));

const MODE_KEY = "acestep-studio.mode.v1";
/** The example a first visit opens. */
const FIRST_EXAMPLE = "text2music";

function Studio() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const rf = useReactFlow();
  const { toasts, notify, dismiss } = useToasts();
  const declsQ = useQuery(trpc.nodes.list.queryOptions());
  const decls = useMemo(() => (declsQ.data ?? []) as NodeDecl[], [declsQ.data]);
  const declMap = useMemo(() => toDeclMap(decls), [decls]);
  const liveDecls = useRef({ loaded: false, map: declMap });
  liveDecls.current = { loaded: declsQ.isSuccess, map: declMap };
  const [state, dispatch] = useReducer(editorReducer, undefined, () => initialEditorState());
  const graph = state.history.present;
  const dirty = useMemo(() => isDirty(state), [state.history.present, state.doc]); // eslint-disable-line react-hooks/exhaustive-deps
  const [restored, setRestored] = useState(false);
  const [firstVisit, setFirstVisit] = useState(false);
  const [mode, setMode] = useState<"graph" | "simple">("graph");
  useEffect(() => {
    if (localStorage.getItem(MODE_KEY) === "simple") setMode("simple");
  }, []);
  const switchMode = useCallback((m: "graph" | "simple") => {
    setMode(m);
    localStorage.setItem(MODE_KEY, m);
  }, []);
  const [saveDialog, setSaveDialog] = useState<string | null>(null);
  const clipboard = useRef<Clip | null>(null);
  const pasteCount = useRef(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const live = useRef({ state, graph, dirty });
  live.current = { state, graph, dirty };

  const queryClient = useQueryClient();
  const refreshRuns = useCallback(() => {
    void queryClient.invalidateQueries(trpc.runs.list.queryFilter());
    void queryClient.invalidateQueries(trpc.system.info.queryFilter()); // queue counts, loaded models
  }, [queryClient, trpc]);
  const run = useRun(notify, refreshRuns);
  const placed = useMemo(
    () => (run.issues ? placeIssues(run.issues, new Set(Object.keys(graph.nodes))) : null),
    [run.issues, graph],
  );

  // Autosave of the working graph (which saved graph it is, and the run shown with it) to
  // localStorage: debounced while editing, at once when the page is hidden or unloaded.
  // A reload reattaches to that run through its resumable event stream.
  useEffect(() => {
    const saved = decodeAutosave(localStorage.getItem(AUTOSAVE_KEY));
    if (saved) {
      dispatch({
        type: "load",
        graph: saved.graph,
        doc: { id: saved.doc.id, name: saved.doc.name },
        savedJson: saved.doc.savedJson,
      });
      if (Object.keys(saved.graph.nodes).length > 0) setTimeout(() => void rf.fitView({ maxZoom: 1, duration: 0 }), 50);
      if (saved.runId) run.follow(saved.runId);
    } else setFirstVisit(true);
    setRestored(true);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const shownRunId = run.view?.runId;
  const liveRunId = useRef<string | undefined>(undefined);
  liveRunId.current = shownRunId;
  const writeAutosave = useCallback(() => {
    const { graph: g, state: s } = live.current;
    try {
      localStorage.setItem(AUTOSAVE_KEY, encodeAutosave({ graph: g, doc: s.doc, runId: liveRunId.current }));
    } catch {
      /* storage full or disabled: the working graph is only in memory */
    }
  }, []);
  useEffect(() => {
    if (!restored) return;
    const t = setTimeout(writeAutosave, 300);
    return () => clearTimeout(t);
  }, [graph, state.doc, shownRunId, restored, writeAutosave]);
  useEffect(() => {
    if (!restored) return;
    const now = () => writeAutosave();
    const onHidden = () => document.visibilityState === "hidden" && writeAutosave();
    window.addEventListener("pagehide", now);
    document.addEventListener("visibilitychange", onHidden);
    return () => {
      window.removeEventListener("pagehide", now);
      document.removeEventListener("visibilitychange", onHidden);
    };
  }, [restored, writeAutosave]);
  useEffect(() => {
    document.title = `${dirty ? "● " : ""}${state.doc.name ?? "Untitled"} · ACE-Step Studio`;
  }, [dirty, state.doc.name]);

  // While validation issues are shown, edits re-validate (debounced) so fixed problems clear.
  const showingIssues = run.issues !== null;
  const { setIssues } = run;
  useEffect(() => {
    if (!showingIssues) return;
    const t = setTimeout(() => {
      client.graphs.validate
        .query({ graph })
        .then((r) => setIssues(r.issues.length ? r.issues : null))
        .catch(() => {}); // e.g. a graph too large for a GET; the next run validates anyway
    }, 400);
    return () => clearTimeout(t);
  }, [graph, showingIssues, client, setIssues]);

  // ---- edits ----
  const actions = useMemo<NodeActions>(
    () => ({
      setParam: (id, name, value) =>
        dispatch({ type: "edit", fn: (g) => setParam(g, id, name, value), key: `${id}.${name}` }),
      setSeedControl: (id, name, c) => dispatch({ type: "edit", fn: (g) => setSeedControl(g, id, name, c) }),
      notify,
    }),
    [notify],
  );
  const viewCenter = useCallback((): XY => {
    const el = document.querySelector("[data-testid=canvas]")?.getBoundingClientRect();
    const p = el ? rf.screenToFlowPosition({ x: el.left + el.width / 2, y: el.top + el.height / 2 }) : { x: 0, y: 0 };
    return { x: p.x - 128 + (Math.random() - 0.5) * 40, y: p.y - 80 + (Math.random() - 0.5) * 40 };
  }, [rf]);
  const onAdd = useCallback(
    (
      decl: NodeDecl,
      at: XY,
      link?: { handle: string; other: { node: string; handle: string; side: "source" | "target" } },
    ) => {
      const { graph: g0 } = live.current;
      const { graph: g1, id } = addNode(g0, decl, at);
      let g = g1;
      if (link) {
        const c: Connection =
          link.other.side === "source"
            ? { source: link.other.node, sourceHandle: link.other.handle, target: id, targetHandle: link.handle }
            : { source: id, sourceHandle: link.handle, target: link.other.node, targetHandle: link.other.handle };
        const r = connect(g, declMap, c);
        if (r.ok) g = r.graph;
        else notify(MESSAGES.connection_refused(r.reason), "error");
      }
      dispatch({ type: "edit", fn: () => g, select: [id] });
    },
    [declMap, notify],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const r = connect(live.current.graph, declMap, c);
      if (!r.ok) return notify(MESSAGES.connection_refused(r.reason), "error");
      dispatch({ type: "edit", fn: () => r.graph });
    },
    [declMap, notify],
  );
  const onMove = useCallback((positions: Record<string, XY>, dragging: boolean) => {
    if (Object.keys(positions).length)
      dispatch({ type: "edit", fn: (g) => moveNodes(g, positions), transient: dragging });
    if (!dragging) dispatch({ type: "settle" });
  }, []);
  const onSelect = useCallback(
    (nodes: Record<string, boolean>, edges: Record<string, boolean>) => dispatch({ type: "select", nodes, edges }),
    [],
  );

  const deleteSelection = useCallback(() => {
    const { state: s } = live.current;
    const nodes = [...s.selectedNodes];
    const links = [...s.selectedEdges].map(parseEdgeId);
    if (!nodes.length && !links.length) return;
    dispatch({ type: "edit", fn: (g) => removeNodes(removeLinks(g, links), nodes), select: [] });
  }, []);
  const copy = useCallback(() => {
    const { state: s, graph: g } = live.current;
    if (s.selectedNodes.size === 0) return false;
    clipboard.current = copyNodes(g, s.selectedNodes);
    pasteCount.current = 0;
    void navigator.clipboard?.writeText(JSON.stringify(clipboard.current)).catch(() => {});
    return true;
  }, []);
  const paste = useCallback(
    (clip: Clip | null = clipboard.current) => {
      if (!clip) return notify(MESSAGES.paste_empty());
      pasteCount.current++;
      // At the mouse pointer when it is over the canvas (the clip's top-left corner there), else offset.
      const at = pointer.current ? rf.screenToFlowPosition(pointer.current) : null;
      const corner = clipCorner(clip);
      const d = 40 * pasteCount.current;
      const r = pasteNodes(live.current.graph, clip, at ? { x: at.x - corner.x, y: at.y - corner.y } : { x: d, y: d });
      dispatch({ type: "edit", fn: () => r.graph, select: r.ids });
    },
    [notify, rf],
  );
  // The last pointer position over the canvas (screen coordinates), for paste.
  const pointer = useRef<XY | null>(null);
  useEffect(() => {
    const onMove = (e: PointerEvent) => {
      const inCanvas = e.target instanceof Element && e.target.closest("[data-testid=canvas]");
      pointer.current = inCanvas ? { x: e.clientX, y: e.clientY } : null;
    };
    window.addEventListener("pointermove", onMove);
    return () => window.removeEventListener("pointermove", onMove);
  }, []);

  // ---- documents ----
  /**
   * Once every node of the graph just opened is on screen: arranges the graph if any two
   * overlap. Sizes are read from the DOM (offsetWidth/Height ignore the zoom), from node
   * elements that show the new graph's node types, after they kept their size for a frame.
   */
  const untangleWhenMeasured = useCallback(() => {
    const giveUpAt = performance.now() + 20_000; // a slow machine may take seconds to render a big graph
    let last = "";
    const step = () => {
      const g = live.current.graph;
      const ids = Object.keys(g.nodes);
      if (ids.length === 0) return;
      const sizes: Record<string, { width: number; height: number }> = {};
      for (const id of ids) {
        const el = document.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
        const inner = el?.querySelector("[data-type]");
        // (a node drawn before the declarations arrived is a small "unknown type" box: wait for its real size)
        const drawn = inner
          ? inner.getAttribute("data-type") === g.nodes[id].type
          : liveDecls.current.loaded && !liveDecls.current.map.has(g.nodes[id].type);
        if (el && el.offsetWidth > 0 && drawn) sizes[id] = { width: el.offsetWidth, height: el.offsetHeight };
      }
      const key = JSON.stringify(sizes);
      if (Object.keys(sizes).length < ids.length || key !== last) {
        last = key;
        if (performance.now() < giveUpAt) requestAnimationFrame(step);
        return;
      }
      if (overlappingNodes(g, sizes).length === 0) return;
      dispatch({ type: "layout", fn: (x) => arrange(x, sizes) });
      requestAnimationFrame(() => void rf.fitView({ maxZoom: 1, duration: 0 }));
    };
    requestAnimationFrame(step);
  }, [rf]);
  const load = useCallback(
    (g: Graph, doc: Omit<DocInfo, "savedJson">, message?: string, o: { untangle?: boolean } = {}) => {
      if (
        live.current.dirty &&
        Object.keys(live.current.graph.nodes).length > 0 &&
        !window.confirm("Replace the working graph? Its unsaved changes will be lost.")
      )
        return false;
      dispatch({ type: "load", graph: g, doc });
      run.detach(); // results belong to the graph that ran, not to the one opened now
      // (an empty graph must not queue a fit: React Flow would run it on the first node added)
      if (Object.keys(g.nodes).length > 0) requestAnimationFrame(() => void rf.fitView({ maxZoom: 1, duration: 0 }));
      if (o.untangle) untangleWhenMeasured();
      if (message) notify(message);
      return true;
    },
    [rf, notify, run, untangleWhenMeasured],
  );
  const openFile = useCallback(
    async (f: File) => {
      let json: unknown;
      try {
        json = JSON.parse(await f.text());
      } catch {
        return notify(MESSAGES.file_not_json(f.name), "error");
      }
      const g = zGraph.safeParse(json);
      if (!g.success) return notify(MESSAGES.file_not_graph(f.name, g.error.issues[0]?.message ?? "unknown"), "error");
      load(g.data, { name: g.data.meta?.name ?? f.name.replace(/\.json$/i, "") }, MESSAGES.opened(f.name));
    },
    [load, notify],
  );
  const download = useCallback(() => {
    const { graph: g, state: s } = live.current;
    const name = s.doc.name ?? g.meta?.name ?? "Untitled";
    const out: Graph = { ...g, meta: { ...(g.meta ?? {}), name } };
    const url = URL.createObjectURL(new Blob([JSON.stringify(out, null, 2)], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${name.replace(/[^\w.-]+/g, "_")}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }, []);
  const saveAs = useCallback(
    async (name: string, id?: string) => {
      const g = live.current.graph;
      const graphToSave: Graph = { ...g, meta: { ...(g.meta ?? {}), name } };
      try {
        const r = await client.graphs.save.mutate({ id, name, graph: graphToSave });
        dispatch({ type: "edit", fn: (x) => (x === g ? graphToSave : x) });
        dispatch({ type: "saved", id: r.id, name: r.name });
        notify(MESSAGES.saved(r.name));
      } catch (e) {
        notify(MESSAGES.save_failed((e as Error).message), "error");
      }
    },
    [client, notify],
  );
  const save = useCallback(() => {
    const d = live.current.state.doc;
    if (d.id && d.name) void saveAs(d.name, d.id);
    else setSaveDialog(d.name ?? "Untitled");
  }, [saveAs]);
  const openSaved = useCallback(
    async (id: string) => {
      const g = await client.graphs.get.query({ id });
      const parsed = zGraph.safeParse(g.graph);
      if (!parsed.success)
        return notify(MESSAGES.file_not_graph(g.name, parsed.error.issues[0]?.message ?? ""), "error");
      load(parsed.data, { id: g.id, name: g.name }, MESSAGES.opened(g.name));
    },
    [client, load, notify],
  );
  const openRun = useCallback(
    async (runId: string) => {
      const r = await client.runs.get.query({ runId });
      const parsed = zGraph.safeParse(r.graph);
      if (!parsed.success)
        return notify(
          MESSAGES.file_not_graph(`run ${runId.slice(0, 8)}`, parsed.error.issues[0]?.message ?? ""),
          "error",
        );
      if (load(parsed.data, { name: `Run ${runId.slice(0, 8)}` })) run.follow(runId);
    },
    [client, load, notify, run],
  );

  // After a run is accepted, seeds set to increment / randomize move on (as ComfyUI's control after generate).
  const startRun = useCallback(() => {
    const g = live.current.graph;
    void run.start(g).then((accepted) => {
      refreshRuns();
      if (accepted) dispatch({ type: "edit", fn: (x) => advanceSeeds(x, declMap), key: "seed-control" });
    });
  }, [run, refreshRuns, declMap]);
  const running = run.view !== null && !isTerminal(run.view.status);

  // ---- keyboard ----
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (mod && e.key === "Enter") {
        e.preventDefault();
        return startRun();
      }
      if (mod && k === "s") {
        e.preventDefault();
        return save();
      }
      if (isEditable(e.target) || document.querySelector("[data-testid=node-search]")) return;
      if (mod && k === "z") {
        e.preventDefault();
        return dispatch({ type: e.shiftKey ? "redo" : "undo" });
      }
      if (mod && k === "y") {
        e.preventDefault();
        return dispatch({ type: "redo" });
      }
      if (e.key === "Delete" || e.key === "Backspace") {
        e.preventDefault();
        return deleteSelection();
      }
      if (mod && k === "c") {
        if (copy()) e.preventDefault();
        return;
      }
      if (mod && k === "v") {
        if (!clipboard.current) return; // the paste event may carry nodes copied elsewhere
        e.preventDefault();
        return paste();
      }
      if (mod && k === "a") {
        e.preventDefault();
        dispatch({
          type: "select",
          nodes: Object.fromEntries(Object.keys(live.current.graph.nodes).map((id) => [id, true])),
          only: true,
        });
      }
    };
    // Pasting nodes copied in another tab arrives as a paste event with JSON text.
    const onPaste = (e: ClipboardEvent) => {
      if (isEditable(e.target) || clipboard.current) return;
      try {
        const x = JSON.parse(e.clipboardData?.getData("text/plain") ?? "");
        if (isClip(x)) {
          e.preventDefault();
          paste(x);
        }
      } catch {
        /* not ours */
      }
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("paste", onPaste);
    };
  }, [startRun, save, deleteSelection, copy, paste]);

  const examples = useQuery({ ...trpc.graphs.examples.queryOptions(), staleTime: EXAMPLES_STALE_MS });
  const savedList = useQuery({ ...trpc.graphs.list.queryOptions(), enabled: false });

  // ---- simple mode and the gallery ----
  const fields = useMemo(() => (mode === "simple" ? simpleFields(graph, declMap) : []), [mode, graph, declMap]);
  const cards = useMemo(() => galleryCards(run.view), [run.view]);
  const onSetField = useCallback(
    (f: SimpleField, v: unknown) => dispatch({ type: "edit", fn: (g) => setField(g, f, v), key: `simple.${f.label}` }),
    [],
  );
  const onUseSeed = useCallback(
    (c: GalleryCard) => {
      const n = c.seedNode ? live.current.graph.nodes[c.seedNode] : undefined;
      const decl = n ? declMap.get(n.type) : undefined;
      const seedParam = decl ? paramSchemas(decl).find(([, sch]) => widgetKind(sch) === "seed")?.[0] : undefined;
      if (!c.seedNode || !seedParam || c.seed === undefined) return;
      const id = c.seedNode;
      const seed = c.seed;
      dispatch({ type: "edit", fn: (g) => setSeedControl(setParam(g, id, seedParam, seed), id, seedParam, "fixed") });
      notify(MESSAGES.seed_set(seed, id));
    },
    [declMap, notify],
  );
  const onSend = useCallback(
    (c: GalleryCard, to: SendTo, window?: Window) => {
      if (to === "load") {
        const r = addLoadAudio(live.current.graph, c.path, viewCenter());
        dispatch({ type: "edit", fn: () => r.graph, select: [r.id] });
        return notify(MESSAGES.sent_to_load(c.item, r.id));
      }
      const ex = examples.data?.find((e) => e.id === to);
      const g = ex ? zGraph.safeParse(ex.graph) : null;
      if (!ex || !g?.success) return notify(MESSAGES.no_example(to), "error");
      load(
        withSourceAudio(g.data, c.path, window),
        { name: `${ex.name} of #${c.item}` },
        MESSAGES.sent_to(c.item, ex.name, window),
        { untangle: true },
      );
    },
    [examples.data, load, notify, viewCenter],
  );

  // A first visit (nothing autosaved) opens the text2music example.
  useEffect(() => {
    if (firstVisit && examples.isError) setFirstVisit(false);
    // (after the declarations, so the example's nodes are drawn at their real size before untangling)
    if (!firstVisit || !examples.data || !declsQ.isSuccess) return;
    setFirstVisit(false);
    const ex = examples.data.find((e) => e.id === FIRST_EXAMPLE);
    const g = ex ? zGraph.safeParse(ex.graph) : null;
    if (!ex || !g?.success) return;
    // After the first interactive frame (toolbar, palette, empty canvas) has painted: the example's nodes
    // render in a task of their own instead of lengthening the one that makes the editor ready.
    // (requestAnimationFrame runs before that paint, the timeout after it.)
    requestAnimationFrame(() =>
      setTimeout(() => {
        // (a transition: React renders the example's nodes in slices, yielding to input between them)
        if (Object.keys(live.current.graph.nodes).length === 0)
          startTransition(() => void load(g.data, { name: ex.name }, undefined, { untangle: true }));
      }, 0),
    );
  }, [firstVisit, examples.data, examples.isError, declsQ.isSuccess, load]);
  const ready = declsQ.isSuccess && restored;

  return (
    <NodeActionsContext.Provider value={actions}>
      <div className="flex h-screen flex-col" data-testid="editor" data-ready={ready ? "true" : "false"}>
        {/* side data (system.info, runs.list) is asked for once the editor is ready, not alongside nodes.list */}
        <DemoBanner active={ready} />
        <header className="flex flex-none items-center gap-2 border-b border-neutral-800 bg-neutral-900 px-3 py-1.5">
          <span className="text-sm font-semibold text-neutral-100">ACE-Step Studio</span>
          <span className="text-xs text-neutral-400" data-testid="doc-name">
            {state.doc.name ?? "Untitled"}
          </span>
          {dirty && (
            <span className="text-amber-400" title="Unsaved changes" data-testid="dirty">
              ●
            </span>
          )}
          <div className="ml-3 flex items-center gap-1.5">
            <Menu label="File" testId="menu-file">
              {(close) => (
                <>
                  <MenuItem onClick={() => (close(), load({ version: 1, nodes: {} }, {}))}>New</MenuItem>
                  <MenuItem onClick={() => (close(), fileInput.current?.click())} testId="open-file">
                    Open JSON file…
                  </MenuItem>
                  <MenuItem onClick={() => (close(), download())} testId="download">
                    Download JSON
                  </MenuItem>
                  <MenuItem onClick={() => (close(), save())}>Save (Ctrl+S)</MenuItem>
                  <MenuItem onClick={() => (close(), setSaveDialog(state.doc.name ?? "Untitled"))}>Save as…</MenuItem>
                </>
              )}
            </Menu>
            <Menu label="Open" testId="menu-open" onOpen={() => void savedList.refetch()}>
              {(close) => (
                <>
                  {savedList.data?.length === 0 && (
                    <div className="px-3 py-1 text-xs text-neutral-500">No saved graphs</div>
                  )}
                  {savedList.data?.map((g) => (
                    <MenuItem
                      key={g.id}
                      onClick={() => (close(), void openSaved(g.id))}
                      testId={`saved-${g.name}`}
                      title={new Date(g.updatedAt).toLocaleString()}
                    >
                      {g.name}
                    </MenuItem>
                  ))}
                </>
              )}
            </Menu>
            <Menu label="Examples" testId="menu-examples">
              {(close) =>
                examples.data?.map((ex) => (
                  <MenuItem
                    key={ex.id}
                    title={ex.description}
                    testId={`example-${ex.id}`}
                    onClick={() => {
                      close();
                      const g = zGraph.safeParse(ex.graph);
                      if (g.success) load(g.data, { name: ex.name }, MESSAGES.opened(ex.name), { untangle: true });
                      else notify(MESSAGES.file_not_graph(ex.name, g.error.issues[0]?.message ?? ""), "error");
                    }}
                  >
                    {ex.name}
                  </MenuItem>
                ))
              }
            </Menu>
            <Button
              onClick={() => switchMode(mode === "simple" ? "graph" : "simple")}
              title={
                mode === "simple" ? "Show the node graph" : "Big controls for the main params, and the results gallery"
              }
              testId="mode-toggle"
            >
              {mode === "simple" ? "Graph mode" : "Simple mode"}
            </Button>
            <Button
              onClick={() => {
                const sizes = Object.fromEntries(
                  rf.getNodes().map((n) => [n.id, { width: n.measured?.width, height: n.measured?.height }]),
                );
                dispatch({ type: "edit", fn: (g) => arrange(g, sizes) });
                requestAnimationFrame(() => void rf.fitView({ maxZoom: 1, duration: 200 }));
              }}
              title="Arrange the nodes in columns so none overlap"
              testId="arrange"
              disabled={Object.keys(graph.nodes).length === 0}
            >
              Arrange
            </Button>
            <Button onClick={save} title="Save to the server (Ctrl+S)" testId="save">
              Save
            </Button>
            <Button
              onClick={() => dispatch({ type: "undo" })}
              disabled={!canUndo(state.history)}
              title="Undo (Ctrl+Z)"
              testId="undo"
            >
              ↶
            </Button>
            <Button
              onClick={() => dispatch({ type: "redo" })}
              disabled={!canRedo(state.history)}
              title="Redo (Ctrl+Shift+Z)"
              testId="redo"
            >
              ↷
            </Button>
          </div>
          <span
            className="ml-1 cursor-help rounded border border-neutral-700 px-1.5 text-[11px] text-neutral-400"
            title={
              "Double-click canvas: add a node\nDrag a port onto empty canvas: add a fitting node\nCtrl+Enter run · Ctrl+S save · Delete remove\nCtrl+Z undo · Ctrl+Shift+Z redo · Ctrl+C / Ctrl+V copy/paste · Ctrl+A select all\nDrop a .json graph on the canvas to open it"
            }
          >
            ?
          </span>
          <div className="ml-auto flex items-center gap-2">
            <RunStatus view={run.view} refused={run.refused ? (run.issues?.length ?? 0) : null} />
            {running && (
              <Button onClick={() => void run.cancel()} variant="danger" testId="cancel">
                Cancel
              </Button>
            )}
            <Button
              onClick={startRun}
              variant="run"
              title="Run the graph (Ctrl+Enter)"
              testId="run"
              disabled={Object.keys(graph.nodes).length === 0}
            >
              ▶ Run
            </Button>
          </div>
          <input
            ref={fileInput}
            type="file"
            accept=".json,application/json"
            className="hidden"
            data-testid="file-input"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void openFile(f);
              e.target.value = "";
            }}
          />
        </header>
        <div className="flex min-h-0 flex-1">
          <Palette decls={decls} onAdd={(d) => onAdd(d, viewCenter())} />
          <main className="relative min-w-0 flex-1">
            {placed && placed.global.length > 0 && (
              <div
                className="absolute left-2 right-2 top-2 z-10 rounded border border-red-700 bg-red-950/90 p-2 text-xs text-red-200"
                data-testid="global-issues"
              >
                {placed.global.map((i, k) => (
                  <div key={k}>{i.message}</div>
                ))}
              </div>
            )}
            {run.view?.status === "failed" && run.view.error && !run.view.error.nodeId && (
              <div className="absolute bottom-2 left-2 right-2 z-10 rounded border border-red-700 bg-red-950/90 p-2 text-xs text-red-200">
                {MESSAGES.run_failed(run.view.error.message)}
              </div>
            )}
            {mode === "simple" && (
              <SimpleMode
                graph={graph}
                decls={declMap}
                fields={fields}
                run={run.view}
                cards={cards}
                onSet={onSetField}
                onGenerate={startRun}
                onCancel={() => void run.cancel()}
                onUseSeed={onUseSeed}
                onSend={onSend}
              />
            )}
            <Canvas
              graph={graph}
              decls={decls}
              declMap={declMap}
              run={run.view?.nodes}
              issues={placed?.byNode}
              selectedNodes={state.selectedNodes}
              selectedEdges={state.selectedEdges}
              onMove={onMove}
              onSelect={onSelect}
              onConnect={onConnect}
              onAdd={onAdd}
              onOpenFile={(f) => void openFile(f)}
              notify={notify}
            />
          </main>
          <aside className="w-56 flex-none overflow-auto border-l border-neutral-800 bg-neutral-900/80">
            <QueueList onChanged={refreshRuns} active={ready} />
            <RunHistory currentRunId={run.view?.runId} onOpen={(id) => void openRun(id)} active={ready} />
          </aside>
        </div>
        <StatusBar active={ready} />
        <Toasts toasts={toasts} dismiss={dismiss} />
        {saveDialog !== null && (
          <SaveDialog
            initial={saveDialog}
            onCancel={() => setSaveDialog(null)}
            onSave={(name) => {
              setSaveDialog(null);
              void saveAs(name, name === state.doc.name ? state.doc.id : undefined);
            }}
          />
        )}
      </div>
    </NodeActionsContext.Provider>
  );
}

function SaveDialog({ initial, onSave, onCancel }: { initial: string; onSave(name: string): void; onCancel(): void }) {
  const [name, setName] = useState(initial);
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/50" onMouseDown={onCancel}>
      <form
        className="w-80 rounded-md border border-neutral-700 bg-neutral-900 p-3 shadow-2xl"
        onMouseDown={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) onSave(name.trim());
        }}
        data-testid="save-dialog"
      >
        <div className="mb-2 text-sm text-neutral-200">Save graph as</div>
        <input
          autoFocus
          onFocus={(e) => e.currentTarget.select()}
          className="w-full rounded border border-neutral-700 bg-neutral-950 px-2 py-1 text-sm outline-none focus:border-sky-500"
          value={name}
          maxLength={200}
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => e.key === "Escape" && onCancel()}
          aria-label="Graph name"
        />
        <div className="mt-3 flex justify-end gap-2">
          <Button onClick={onCancel}>Cancel</Button>
          <button
            type="submit"
            className="rounded bg-sky-700 px-2.5 py-1 text-xs text-white hover:bg-sky-600"
            data-testid="save-confirm"
          >
            Save
          </button>
        </div>
      </form>
    </div>
  );
}
