// The editor's document state: the graph (with undo history), the selection, and what was
// last saved or opened (for the dirty indicator). A pure reducer; edits are pure graph ops.
import type { Graph } from "../../server/graph/format";
import { commit, createHistory, redo, settle, undo, type History } from "./history";
import { emptyGraph, layoutMissing } from "./ops";

export interface DocInfo {
  /** Saved-graph id on the server, once saved or opened from there. */
  id?: string;
  name?: string;
  /** Canonical JSON of the graph as last saved/opened; the graph is dirty when it differs. */
  savedJson: string;
}

export interface EditorState {
  history: History<Graph>;
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  doc: DocInfo;
}

export type EditorAction =
  | { type: "edit"; fn: (g: Graph) => Graph; key?: string; transient?: boolean; now?: number; select?: string[] }
  | { type: "settle" }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "load"; graph: Graph; doc?: Omit<DocInfo, "savedJson">; dirty?: boolean; savedJson?: string }
  | { type: "saved"; id: string; name: string }
  /** Re-lays out the graph just opened (no undo step; a clean document stays clean). */
  | { type: "layout"; fn: (g: Graph) => Graph }
  | { type: "select"; nodes?: Record<string, boolean>; edges?: Record<string, boolean>; only?: boolean };

/** The graph as it is saved and compared: the editor-only `ui` parts included, key order stable. */
export function canonicalJson(g: Graph): string {
  return JSON.stringify(g);
}

export function initialEditorState(graph: Graph = emptyGraph(), doc?: Partial<DocInfo>): EditorState {
  const g = layoutMissing(graph);
  return {
    history: createHistory(g),
    selectedNodes: new Set(),
    selectedEdges: new Set(),
    doc: { savedJson: canonicalJson(g), ...doc },
  };
}

export function isDirty(s: EditorState): boolean {
  return canonicalJson(s.history.present) !== s.doc.savedJson;
}

function pruneSelection(s: EditorState): EditorState {
  const g = s.history.present;
  const nodes = [...s.selectedNodes].filter((id) => id in g.nodes);
  if (nodes.length === s.selectedNodes.size) return s;
  return { ...s, selectedNodes: new Set(nodes) };
}

export function editorReducer(s: EditorState, a: EditorAction): EditorState {
  switch (a.type) {
    case "edit": {
      const next = a.fn(s.history.present);
      let out: EditorState = {
        ...s,
        history: commit(s.history, next, { key: a.key, transient: a.transient, now: a.now }),
      };
      if (a.select) out = { ...out, selectedNodes: new Set(a.select), selectedEdges: new Set() };
      return next === s.history.present && !a.select ? s : pruneSelection(out);
    }
    case "settle":
      return { ...s, history: settle(s.history) };
    case "undo":
      return pruneSelection({ ...s, history: undo(s.history) });
    case "redo":
      return pruneSelection({ ...s, history: redo(s.history) });
    case "load": {
      const g = layoutMissing(a.graph);
      return {
        history: createHistory(g),
        selectedNodes: new Set(),
        selectedEdges: new Set(),
        doc: { ...a.doc, savedJson: a.savedJson ?? (a.dirty ? "" : canonicalJson(g)) },
      };
    }
    case "layout": {
      const next = a.fn(s.history.present);
      if (next === s.history.present) return s;
      const clean = !isDirty(s);
      return {
        ...s,
        history: { ...s.history, present: next },
        doc: clean ? { ...s.doc, savedJson: canonicalJson(next) } : s.doc,
      };
    }
    case "saved":
      return { ...s, doc: { id: a.id, name: a.name, savedJson: canonicalJson(s.history.present) } };
    case "select": {
      const nodes = new Set(a.only ? [] : s.selectedNodes);
      const edges = new Set(a.only ? [] : s.selectedEdges);
      for (const [id, on] of Object.entries(a.nodes ?? {}))
        if (on) nodes.add(id);
        else nodes.delete(id);
      for (const [id, on] of Object.entries(a.edges ?? {}))
        if (on) edges.add(id);
        else edges.delete(id);
      return { ...s, selectedNodes: nodes, selectedEdges: edges };
    }
  }
}
