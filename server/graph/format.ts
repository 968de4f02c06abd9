// Graph JSON format v1 — the one format the editor saves, the API accepts and the CLI runs.
// Named params and named ports only; editor-only data lives under `ui` and never affects execution.
import { z } from "zod";

export const GRAPH_VERSION = 1 as const;

/** Node ids: short, printable, and never an Object.prototype key. */
export const zNodeId = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "node ids are 1-64 characters of letters, digits, '_', '.', ':' or '-'");

export const zLink = z
  .object({
    node: zNodeId.describe("Id of the upstream node"),
    output: z.string().min(1).max(64).describe("Name of the upstream node's output port"),
  })
  .strict();

const zJsonValue: z.ZodType<unknown> = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);

export const zNodeUi = z
  .object({
    x: z.number().optional(),
    y: z.number().optional(),
    width: z.number().optional(),
    height: z.number().optional(),
    title: z.string().max(200).optional(),
    collapsed: z.boolean().optional(),
    color: z.string().max(64).optional(),
  })
  .catchall(z.unknown())
  .describe("Editor-only data; ignored by the engine");

export const zGraphNode = z
  .object({
    type: z.string().min(1).max(128).describe("Node type name, see `acestep nodes`"),
    params: z
      .record(z.string(), zJsonValue)
      .optional()
      .describe("Param values by name; missing params take their defaults"),
    inputs: z.record(z.string(), zLink).optional().describe("Input port (or param) name → upstream output"),
    ui: zNodeUi.optional(),
  })
  .strict();

export const zGraph = z
  .object({
    version: z.literal(GRAPH_VERSION).describe("Graph format version"),
    nodes: z.record(zNodeId, zGraphNode),
    meta: z
      .object({ name: z.string().max(200).optional(), description: z.string().max(5000).optional() })
      .catchall(z.unknown())
      .optional()
      .describe("Free-form information about the graph; ignored by the engine"),
    ui: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("Editor-only data (viewport, groups); ignored by the engine"),
  })
  .strict();

export type Graph = z.infer<typeof zGraph>;
export type GraphNode = z.infer<typeof zGraphNode>;
export type GraphLink = z.infer<typeof zLink>;

/** The JSON Schema of the graph format (kept in schema/graph.v1.schema.json; a test keeps them equal). */
export function graphJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(zGraph, { io: "input" }),
    $id: "https://acestep.local/schema/graph.v1.schema.json",
    title: "ACE-Step pipeline graph, version 1",
  };
}
