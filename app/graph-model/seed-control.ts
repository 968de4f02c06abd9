// What happens to a seed after each run (ComfyUI's "control after generate", kept in the
// node's editor-only `ui.seedControl`): kept, incremented, or replaced by a random seed.
// A seed of -1 is left alone: the engine draws a fresh one every run.
import type { Graph, GraphNode } from "../../server/graph/format";
import { paramSchemas, widgetKind, type DeclMap } from "./decls";

export const SEED_CONTROLS = ["fixed", "increment", "randomize"] as const;
export type SeedControl = (typeof SEED_CONTROLS)[number];

/** Largest seed (upstream seeds are 32-bit), as nodes/params.ts MAX_SEED. */
export const MAX_SEED = 2 ** 32 - 1;

export function seedControlOf(node: GraphNode, param: string): SeedControl {
  const c = (node.ui?.seedControl as Record<string, unknown> | undefined)?.[param];
  return (SEED_CONTROLS as readonly unknown[]).includes(c) ? (c as SeedControl) : "fixed";
}

export function setSeedControl(graph: Graph, id: string, param: string, control: SeedControl): Graph {
  const n = graph.nodes[id];
  if (!n || seedControlOf(n, param) === control) return graph;
  const seedControl = { ...((n.ui?.seedControl as Record<string, unknown> | undefined) ?? {}), [param]: control };
  return { ...graph, nodes: { ...graph.nodes, [id]: { ...n, ui: { ...(n.ui ?? {}), seedControl } } } };
}

/** The graph after a run started: every seed set to increment or randomize moves on. */
export function advanceSeeds(graph: Graph, decls: DeclMap, random: () => number = Math.random): Graph {
  let nodes: Record<string, GraphNode> | null = null;
  for (const [id, n] of Object.entries(graph.nodes)) {
    const decl = decls.get(n.type);
    if (!decl) continue;
    for (const [name, schema] of paramSchemas(decl)) {
      if (widgetKind(schema) !== "seed" || n.inputs?.[name]) continue;
      const control = seedControlOf(n, name);
      const seed = n.params?.[name] ?? schema.default;
      if (control === "fixed" || typeof seed !== "number" || seed < 0) continue;
      const next = control === "increment" ? (seed + 1) % (MAX_SEED + 1) : Math.floor(random() * MAX_SEED);
      nodes ??= { ...graph.nodes };
      const cur = nodes[id];
      nodes[id] = { ...cur, params: { ...(cur.params ?? {}), [name]: next } };
    }
  }
  return nodes ? { ...graph, nodes } : graph;
}
