// Node declarations as plain JSON (JSON Schema for params), like ComfyUI's object_info.
// Read by nodes.list, the editor palette and widgets, `acestep nodes` and the docs.
import { z } from "zod";
import type { AnyNodeDefinition } from "../../nodes/define-node";
import type { NodeRegistry } from "../../nodes/registry";
import { paramPortType } from "./param-ports";

export interface NodeDescription {
  type: string;
  title: string;
  category: string;
  description: string;
  output: boolean;
  inputs: Record<string, { type: string; optional: boolean; description?: string }>;
  outputs: Record<string, { type: string; description?: string }>;
  /** JSON Schema (draft 2020-12) of the params object, with defaults, ranges and `ui` hints. */
  params: Record<string, unknown>;
  /** Params that can be fed by a link, with the port type they accept. */
  paramPorts: Record<string, string>;
}

export function describeNode(def: AnyNodeDefinition): NodeDescription {
  const shape = def.params as Record<string, z.ZodType>;
  const paramPorts: Record<string, string> = {};
  for (const [name, s] of Object.entries(shape)) {
    const t = paramPortType(s);
    if (t) paramPorts[name] = t;
  }
  return {
    type: def.type,
    title: def.title,
    category: def.category,
    description: def.description,
    output: def.output === true,
    inputs: Object.fromEntries(
      Object.entries(def.inputs as Record<string, { type: string; optional?: boolean; description?: string }>).map(
        ([k, v]) => [k, { type: v.type, optional: v.optional === true, description: v.description }],
      ),
    ),
    outputs: Object.fromEntries(
      Object.entries(def.outputs as Record<string, { type: string; description?: string }>).map(([k, v]) => [
        k,
        { type: v.type, description: v.description },
      ]),
    ),
    params: z.toJSONSchema(z.object(shape), { io: "input" }) as Record<string, unknown>,
    paramPorts,
  };
}

export function describeRegistry(registry: NodeRegistry): NodeDescription[] {
  return registry.list().map(describeNode);
}
