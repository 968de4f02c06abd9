// Simple mode: the few params a graph exposes for a big-control panel. A graph marks them in
// its editor-only `ui.simple` (a label and the node params it sets, e.g. one duration for
// both the latent and the text conditioning); a graph without marks gets the params named
// like the official simple form's (caption, lyrics, duration, seed, batch size).
import type { Graph } from "../../server/graph/format";
import { paramSchemas, type DeclMap, type ParamSchema } from "./decls";
import { setParam } from "./ops";

export interface SimpleTarget {
  node: string;
  param: string;
}

export interface SimpleField {
  label: string;
  targets: SimpleTarget[];
}

const isTarget = (x: unknown): x is SimpleTarget =>
  typeof x === "object" &&
  x !== null &&
  typeof (x as SimpleTarget).node === "string" &&
  typeof (x as SimpleTarget).param === "string";

/** The fields marked in `graph.ui.simple`, keeping only targets that exist and are not fed by a link. */
export function markedFields(graph: Graph, decls: DeclMap): SimpleField[] {
  const raw = (graph.ui as { simple?: unknown } | undefined)?.simple;
  if (!Array.isArray(raw)) return [];
  const out: SimpleField[] = [];
  for (const f of raw) {
    if (
      typeof f !== "object" ||
      f === null ||
      typeof (f as SimpleField).label !== "string" ||
      !Array.isArray((f as SimpleField).targets)
    )
      continue;
    const targets = (f as SimpleField).targets
      .filter(isTarget)
      .filter((t) => schemaOf(graph, decls, t) && !graph.nodes[t.node].inputs?.[t.param]);
    if (targets.length) out.push({ label: (f as SimpleField).label, targets });
  }
  return out;
}

const GUESSES: Array<[string, string]> = [
  ["Prompt", "caption"],
  ["Lyrics", "lyrics"],
  ["Duration (s)", "duration"],
  ["Seed", "seed"],
  ["Batch", "batchSize"],
];

/** The marked fields, or the usual ones found by param name when the graph marks none. */
export function simpleFields(graph: Graph, decls: DeclMap): SimpleField[] {
  const marked = markedFields(graph, decls);
  if (marked.length) return marked;
  const out: SimpleField[] = [];
  for (const [label, param] of GUESSES) {
    const targets = Object.keys(graph.nodes)
      .map((node) => ({ node, param }))
      .filter((t) => schemaOf(graph, decls, t) && !graph.nodes[t.node].inputs?.[t.param]);
    if (targets.length) out.push({ label, targets });
  }
  return out;
}

export function schemaOf(graph: Graph, decls: DeclMap, t: SimpleTarget): ParamSchema | undefined {
  const n = graph.nodes[t.node];
  const d = n ? decls.get(n.type) : undefined;
  return d ? paramSchemas(d).find(([name]) => name === t.param)?.[1] : undefined;
}

/** The field's value: its first target's param (or that param's default). */
export function fieldValue(graph: Graph, decls: DeclMap, f: SimpleField): unknown {
  const t = f.targets[0];
  return graph.nodes[t.node]?.params?.[t.param] ?? schemaOf(graph, decls, t)?.default;
}

/** Sets every target of the field. */
export function setField(graph: Graph, f: SimpleField, value: unknown): Graph {
  return f.targets.reduce((g, t) => setParam(g, t.node, t.param, value), graph);
}
