// Validation issues (from runs.start / graphs.validate) placed on the node and field they name.

export interface Issue {
  code: string;
  message: string;
  nodeId?: string;
  field?: string;
}

export interface NodeIssues {
  /** Issues about the node as a whole (no field). */
  node: string[];
  /** Field (param or input) → messages. */
  fields: Record<string, string[]>;
}

export interface PlacedIssues {
  byNode: Record<string, NodeIssues>;
  /** Issues naming no node, or a node that is not in the graph. */
  global: Issue[];
}

export function placeIssues(issues: readonly Issue[], nodeIds: ReadonlySet<string>): PlacedIssues {
  const out: PlacedIssues = { byNode: {}, global: [] };
  for (const i of issues) {
    if (i.nodeId === undefined || !nodeIds.has(i.nodeId)) {
      out.global.push(i);
      continue;
    }
    const n = (out.byNode[i.nodeId] ??= { node: [], fields: {} });
    // Dotted fields (params.steps, inputs.audio, steps.0) are placed on their first named segment.
    const field = i.field?.replace(/^(params|inputs)\./, "").split(".")[0];
    if (field && field !== "type") (n.fields[field] ??= []).push(i.message);
    else n.node.push(i.message);
  }
  return out;
}

/** Reads the issues list a tRPC error carries in `data.issues`, if any. */
export function issuesOf(error: unknown): Issue[] | null {
  const data = (error as { data?: { issues?: unknown } } | null)?.data;
  const list = data?.issues;
  if (!Array.isArray(list)) return null;
  return list.filter(
    (i): i is Issue => typeof i === "object" && i !== null && typeof (i as Issue).message === "string",
  );
}
