// Graph validation before anything runs. Collects every issue at once, each naming the
// node and the port or param, and returns a resolved graph (params with defaults) when clean.
import type { z } from "zod";
import type { AnyNodeDefinition, LinkedNodeInfo } from "../../nodes/define-node";
import { connectionRefusal, type PortType } from "../../nodes/port-types";
import type { NodeRegistry } from "../../nodes/registry";
import { zGraph, GRAPH_VERSION, type Graph, type GraphLink } from "./format";
import { preview, type ValidationIssue } from "./issues";
import { checkShape, INPUT_LIMITS, isReservedName } from "./parse";
import { paramPortType } from "./param-ports";

export interface ResolvedNode {
  id: string;
  type: string;
  def: AnyNodeDefinition;
  /** Params after schema parsing (defaults filled in); linked params are filled at run time. */
  params: Record<string, unknown>;
  /** Input port name → upstream link. */
  inputs: Record<string, GraphLink>;
  /** Param name → upstream link, for params fed by another node. */
  paramLinks: Record<string, GraphLink>;
}

export interface ResolvedGraph {
  graph: Graph;
  nodes: Map<string, ResolvedNode>;
}

export type ValidationResult =
  { ok: true; issues: []; resolved: ResolvedGraph } | { ok: false; issues: ValidationIssue[] };

export function validateGraph(input: unknown, registry: NodeRegistry, limits = INPUT_LIMITS): ValidationResult {
  if (input === null || typeof input !== "object" || Array.isArray(input))
    return fail([
      {
        code: "not_an_object",
        message: `a graph must be a JSON object, got ${Array.isArray(input) ? "an array" : input === null ? "null" : typeof input}`,
      },
    ]);
  const shapeIssues = checkShape(input, limits);
  if (shapeIssues.length > 0) return fail(shapeIssues);

  const rec = input as Record<string, unknown>;
  if (!("version" in rec))
    return fail([
      {
        code: "missing_version",
        message: `the graph has no "version" field; this build reads version ${GRAPH_VERSION}`,
      },
    ]);
  if (rec.version !== GRAPH_VERSION)
    return fail([
      {
        code: "unsupported_version",
        field: "version",
        received: preview(rec.version),
        message: `graph version ${JSON.stringify(preview(rec.version))} is not supported; this build reads version ${GRAPH_VERSION}`,
      },
    ]);

  const parsed = zGraph.safeParse(input);
  if (!parsed.success) return fail(parsed.error.issues.map(structureIssue));
  const graph = parsed.data;
  const ids = Object.keys(graph.nodes);
  if (ids.length > limits.maxNodes)
    return fail([
      { code: "too_many_nodes", message: `the graph has ${ids.length} nodes; the limit is ${limits.maxNodes}` },
    ]);
  const reserved = reservedNameIssues(graph);
  if (reserved.length > 0) return fail(reserved);

  const issues: ValidationIssue[] = [];
  const nodes = new Map<string, ResolvedNode>();
  for (const id of ids) {
    const n = graph.nodes[id];
    const def = registry.get(n.type);
    if (!def) {
      issues.push({
        code: "unknown_node_type",
        nodeId: id,
        field: "type",
        received: preview(n.type),
        message: `unknown node type "${preview(n.type)}"`,
      });
      continue;
    }
    nodes.set(id, { id, type: n.type, def, params: {}, inputs: {}, paramLinks: {} });
  }

  for (const node of nodes.values()) {
    const raw = graph.nodes[node.id];
    checkParams(node, raw.params ?? {}, raw.inputs ?? {}, issues);
    checkLinks(node, raw.inputs ?? {}, graph, nodes, issues);
  }
  for (const node of nodes.values()) crossFieldChecks(node, nodes, issues);

  for (const cycle of findCycles(graph))
    issues.push({
      code: "cycle",
      nodeId: cycle[0],
      message: `the links form a cycle: ${[...cycle, cycle[0]].join(" → ")}`,
    });

  if (![...nodes.values()].some((n) => n.def.output) && nodes.size === ids.length)
    issues.push({
      code: "no_output_node",
      message: "the graph has no output node (e.g. Save Audio or Preview), so nothing would run",
    });

  return issues.length > 0 ? fail(issues) : { ok: true, issues: [], resolved: { graph, nodes } };
}

function fail(issues: ValidationIssue[]): ValidationResult {
  return { ok: false, issues };
}

const reservedWhy = "is reserved: every JavaScript object has a property of that name";

/** Node ids, param names, input names and link targets named like an Object.prototype member (toString, …). */
function reservedNameIssues(graph: Graph): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const [id, node] of Object.entries(graph.nodes)) {
    if (isReservedName(id))
      issues.push({
        code: "reserved_name",
        nodeId: id,
        message: `the node id "${id}" ${reservedWhy}; rename the node`,
      });
    for (const name of Object.keys(node.params ?? {}))
      if (isReservedName(name))
        issues.push({
          code: "reserved_name",
          nodeId: id,
          field: name,
          message: `the param name "${name}" ${reservedWhy}`,
        });
    for (const [port, link] of Object.entries(node.inputs ?? {})) {
      if (isReservedName(port))
        issues.push({
          code: "reserved_name",
          nodeId: id,
          field: port,
          message: `the input name "${port}" ${reservedWhy}`,
        });
      if (isReservedName(link.node))
        issues.push({
          code: "reserved_name",
          nodeId: id,
          field: port,
          received: link.node,
          message: `input "${port}" links to node "${link.node}", a name that ${reservedWhy}`,
        });
      if (isReservedName(link.output))
        issues.push({
          code: "reserved_name",
          nodeId: id,
          field: port,
          received: link.output,
          message: `input "${port}" links to output "${link.output}", a name that ${reservedWhy}`,
        });
    }
  }
  return issues;
}

function structureIssue(zi: z.core.$ZodIssue): ValidationIssue {
  const path = zi.path.map(String);
  if (path[0] === "nodes" && path.length >= 2) {
    const field = path.slice(2).join(".") || undefined;
    return { code: "bad_structure", nodeId: path[1], field, message: `${field ?? "node"}: ${zi.message}` };
  }
  return {
    code: "bad_structure",
    field: path.join(".") || undefined,
    message: `${path.join(".") || "graph"}: ${zi.message}`,
  };
}

function checkParams(
  node: ResolvedNode,
  raw: Record<string, unknown>,
  links: Record<string, GraphLink>,
  issues: ValidationIssue[],
): void {
  const shape = node.def.params as Record<string, z.ZodType>;
  for (const name of Object.keys(raw))
    if (!Object.hasOwn(shape, name))
      issues.push({
        code: "unknown_param",
        nodeId: node.id,
        field: name,
        received: preview(raw[name]),
        message: `node type "${node.type}" has no param "${name}" (params: ${Object.keys(shape).join(", ") || "none"})`,
      });
  for (const [name, schema] of Object.entries(shape)) {
    if (Object.hasOwn(links, name)) continue; // fed by a link, checked when the value arrives
    const r = schema.safeParse(raw[name]);
    if (r.success) node.params[name] = r.data;
    else for (const zi of r.error.issues) issues.push(paramIssue(node.id, name, raw[name], zi));
  }
}

export function paramIssue(nodeId: string, name: string, value: unknown, zi: z.core.$ZodIssue): ValidationIssue {
  const field = [name, ...zi.path.map(String)].join(".");
  const base = { nodeId, field, received: preview(value) };
  if (zi.code === "too_small" && zi.origin === "number")
    return {
      ...base,
      code: "value_smaller_than_min",
      message: `${JSON.stringify(preview(value))} is below the minimum ${String(zi.minimum)}`,
    };
  if (zi.code === "too_big" && zi.origin === "number")
    return {
      ...base,
      code: "value_bigger_than_max",
      message: `${JSON.stringify(preview(value))} is above the maximum ${String(zi.maximum)}`,
    };
  return { ...base, code: "invalid_param", message: zi.message };
}

function checkLinks(
  node: ResolvedNode,
  links: Record<string, GraphLink>,
  graph: Graph,
  nodes: Map<string, ResolvedNode>,
  issues: ValidationIssue[],
): void {
  const shape = node.def.params as Record<string, z.ZodType>;
  for (const [port, link] of Object.entries(links)) {
    const spec = Object.hasOwn(node.def.inputs, port) ? (node.def.inputs[port] as { type: PortType }) : undefined;
    const paramType = spec ? null : Object.hasOwn(shape, port) ? paramPortType(shape[port]) : null;
    if (!spec && !paramType) {
      const names = [...Object.keys(node.def.inputs), ...Object.keys(shape)].join(", ");
      issues.push({
        code: "unknown_input",
        nodeId: node.id,
        field: port,
        message: `node type "${node.type}" has no input or param "${port}" (has: ${names || "none"})`,
      });
      continue;
    }
    const want: PortType = spec ? spec.type : paramType!;
    if (!Object.hasOwn(graph.nodes, link.node)) {
      issues.push({
        code: "link_to_missing_node",
        nodeId: node.id,
        field: port,
        received: link.node,
        message: `input "${port}" is linked to node "${link.node}", which does not exist`,
      });
      continue;
    }
    const up = nodes.get(link.node);
    if (!up) continue; // its unknown type is reported on that node
    const out = Object.hasOwn(up.def.outputs, link.output)
      ? (up.def.outputs[link.output] as { type: PortType })
      : undefined;
    if (!out) {
      issues.push({
        code: "link_to_missing_output",
        nodeId: node.id,
        field: port,
        received: link.output,
        message: `input "${port}" is linked to output "${link.output}" of node "${link.node}" (${up.type}), which has outputs: ${Object.keys(up.def.outputs).join(", ") || "none"}`,
      });
      continue;
    }
    const refusal = connectionRefusal(out.type, want);
    if (refusal) {
      issues.push({
        code: "type_mismatch",
        nodeId: node.id,
        field: port,
        message: `input "${port}" expects ${want} but is linked to ${link.node}.${link.output} (${out.type}): ${refusal}`,
      });
      continue;
    }
    if (spec) node.inputs[port] = link;
    else node.paramLinks[port] = link;
  }
  for (const [port, spec] of Object.entries(node.def.inputs as Record<string, { type: PortType; optional?: boolean }>))
    if (!spec.optional && !Object.hasOwn(links, port))
      issues.push({
        code: "required_input_missing",
        nodeId: node.id,
        field: port,
        message: `required input "${port}" (${spec.type}) is not connected`,
      });
}

function crossFieldChecks(node: ResolvedNode, nodes: Map<string, ResolvedNode>, issues: ValidationIssue[]): void {
  if (!node.def.validate) return;
  if (Object.keys(node.paramLinks).length > 0) return; // values unknown until run time
  if (Object.keys(node.params).length !== Object.keys(node.def.params).length) return; // a param already failed
  const links: Record<string, LinkedNodeInfo> = {};
  for (const [port, link] of Object.entries(node.inputs)) {
    const up = nodes.get(link.node);
    if (up) links[port] = { nodeId: up.id, type: up.type, output: link.output, params: up.params };
  }
  for (const fi of node.def.validate(node.params, links))
    issues.push({
      code: "cross_field",
      nodeId: node.id,
      field: fi.field,
      received: preview(fi.received),
      message: fi.message,
    });
}

/** Every cycle found by an iterative DFS over the links (each reported once). */
export function findCycles(graph: Graph): string[][] {
  const state = new Map<string, 1 | 2>();
  const cycles: string[][] = [];
  const deps = (id: string) =>
    Object.hasOwn(graph.nodes, id)
      ? Object.values(graph.nodes[id].inputs ?? {})
          .map((l) => l.node)
          .filter((d) => Object.hasOwn(graph.nodes, d))
      : [];
  for (const start of Object.keys(graph.nodes)) {
    if (state.has(start)) continue;
    const stack: Array<{ id: string; next: string[] }> = [{ id: start, next: deps(start) }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const d = top.next.pop();
      if (d === undefined) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const s = state.get(d);
      if (s === 1) {
        const from = stack.findIndex((f) => f.id === d);
        cycles.push(
          stack
            .slice(from)
            .map((f) => f.id)
            .reverse(),
        );
      } else if (s === undefined) {
        state.set(d, 1);
        stack.push({ id: d, next: deps(d) });
      }
    }
  }
  return cycles;
}
