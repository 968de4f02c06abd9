// What the editor keeps in localStorage between page loads: the working graph, which saved
// graph it is, and the run whose results are shown (so a reload reattaches to that run).
import { zGraph, type Graph } from "../../server/graph/format";
import type { DocInfo } from "./editor-state";

export const AUTOSAVE_KEY = "acestep-studio.working-graph.v1";

export interface Autosave {
  graph: Graph;
  doc: DocInfo;
  /** The run shown with this graph (running or done), if any. */
  runId?: string;
}

export function encodeAutosave(a: Autosave): string {
  return JSON.stringify(a);
}

/** The stored state, or null when there is none or it is not a valid graph. */
export function decodeAutosave(raw: string | null): Autosave | null {
  if (!raw) return null;
  let x: { graph?: unknown; doc?: Partial<DocInfo>; runId?: unknown };
  try {
    x = JSON.parse(raw) as typeof x;
  } catch {
    return null;
  }
  const g = zGraph.safeParse(x?.graph);
  if (!g.success) return null;
  const doc: DocInfo = {
    id: x.doc?.id,
    name: x.doc?.name,
    savedJson: typeof x.doc?.savedJson === "string" ? x.doc.savedJson : "",
  };
  return { graph: g.data, doc, runId: typeof x.runId === "string" ? x.runId : undefined };
}
