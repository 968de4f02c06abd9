// A param can also be fed by a link (like ComfyUI's "widget to input"); its port type
// follows the param's JSON type.
import { z } from "zod";
import type { PortType } from "../../nodes/port-types";

const cache = new WeakMap<z.ZodType, PortType | null>();

export function paramPortType(schema: z.ZodType): PortType | null {
  const hit = cache.get(schema);
  if (hit !== undefined) return hit;
  let t: PortType | null = null;
  try {
    const js = z.toJSONSchema(schema, { io: "input" }) as { type?: string; enum?: unknown[] };
    if (js.type === "integer") t = "INT";
    else if (js.type === "number") t = "FLOAT";
    else if (js.type === "string") t = "STRING";
    else if (js.type === "boolean") t = "BOOLEAN";
  } catch {
    t = null;
  }
  cache.set(schema, t);
  return t;
}
