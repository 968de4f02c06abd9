// Param overrides for a run (`--set node.param=value`, runs.start overrides): applied to a
// copy of the graph before validation, so overridden values are validated like any other.
// The key splits at its last dot (param names never hold one), so `a.b.seconds` sets param
// "seconds" of node "a.b". Size, depth and key checks run on the graph and the overrides before any copy.
import type { ValidationIssue } from "../graph/issues";
import { checkShape, isReservedName } from "../graph/parse";

export type Overrides = Record<string, unknown>;

export const MAX_OVERRIDES = 1000;

export function applyOverrides(
  graph: unknown,
  overrides: Overrides | undefined,
): { graph: unknown; issues: ValidationIssue[] } {
  if (!overrides || Object.keys(overrides).length === 0) return { graph, issues: [] };
  const count = Object.keys(overrides).length;
  if (count > MAX_OVERRIDES)
    return {
      graph,
      issues: [
        {
          code: "input_too_large",
          field: "overrides",
          message: `there are ${count} overrides; the limit is ${MAX_OVERRIDES}`,
        },
      ],
    };
  const shape = [
    ...checkShape(graph),
    ...checkShape(overrides).map((i) => ({ ...i, message: `overrides: ${i.message}` })),
  ];
  if (shape.length > 0) return { graph, issues: shape };
  if (graph === null || typeof graph !== "object" || Array.isArray(graph)) return { graph, issues: [] }; // validation names it
  const copy = structuredClone(graph) as { nodes?: Record<string, { params?: Record<string, unknown> }> };
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    const dot = key.lastIndexOf(".");
    if (dot <= 0 || dot === key.length - 1) {
      issues.push({ code: "bad_structure", field: key, message: `override "${key}" must look like <node>.<param>` });
      continue;
    }
    const nodeId = key.slice(0, dot);
    const name = key.slice(dot + 1);
    if (isReservedName(name) || isReservedName(nodeId)) {
      issues.push({
        code: "reserved_name",
        nodeId,
        field: name,
        message: `override "${key}": "${isReservedName(name) ? name : nodeId}" is a reserved name`,
      });
      continue;
    }
    const nodes = copy.nodes !== null && typeof copy.nodes === "object" ? copy.nodes : undefined;
    const node = nodes && Object.hasOwn(nodes, nodeId) ? nodes[nodeId] : undefined;
    if (!node || typeof node !== "object") {
      issues.push({
        code: "link_to_missing_node",
        nodeId,
        field: name,
        message: `override "${key}": the graph has no node "${nodeId}"`,
      });
      continue;
    }
    const params = node.params ?? {};
    if (params === null || typeof params !== "object" || Array.isArray(params)) continue; // validation reports the params
    node.params = { ...params, [name]: value };
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
