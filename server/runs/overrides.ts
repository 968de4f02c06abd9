// Param overrides for a run (`--set node.param=value`, runs.start overrides): applied to a
// copy of the graph before validation, so overridden values are validated like any other.
import type { ValidationIssue } from "../graph/issues";

export type Overrides = Record<string, unknown>;

export function applyOverrides(graph: unknown, overrides: Overrides | undefined): { graph: unknown; issues: ValidationIssue[] } {
  if (!overrides || Object.keys(overrides).length === 0) return { graph, issues: [] };
  const copy = structuredClone(graph) as { nodes?: Record<string, { params?: Record<string, unknown> }> };
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    const dot = key.indexOf(".");
    if (dot <= 0 || dot === key.length - 1) {
      issues.push({ code: "bad_structure", field: key, message: `override "${key}" must look like <node>.<param>` });
      continue;
    }
    const nodeId = key.slice(0, dot);
    const name = key.slice(dot + 1);
    const node = copy?.nodes && Object.hasOwn(copy.nodes, nodeId) ? copy.nodes[nodeId] : undefined;
    if (!node || typeof node !== "object") {
      issues.push({ code: "link_to_missing_node", nodeId, field: name, message: `override "${key}": the graph has no node "${nodeId}"` });
      continue;
    }
    node.params = { ...(node.params ?? {}), [name]: value };
  }
  return { graph: copy, issues };
}

/** Parses CLI `node.param=value` pairs; values are JSON when they parse, else strings. */
export function parseSetArgs(pairs: string[]): Overrides {
  const out: Overrides = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new Error(`--set expects <node>.<param>=<value>, got "${p}"`);
    const raw = p.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    out[p.slice(0, eq)] = value;
  }
  return out;
}
