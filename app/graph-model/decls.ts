// Node declarations as nodes.list sends them, and pure helpers over them: param schemas,
// defaults, and the port type of any handle (input port, linkable param, output).
import type { PortType } from "../../nodes/port-types";
import type { NodeDescription } from "../../server/graph/describe";
import { SEARCH_ALIASES } from "./search-aliases";

/** One param's JSON Schema as produced by zod's toJSONSchema plus our `ui` meta. */
export interface ParamSchema {
  type?: "integer" | "number" | "string" | "boolean";
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  maxLength?: number;
  enum?: unknown[];
  /** The values the editor offers when fewer than `enum` (one spelling each). */
  choices?: string[];
  description?: string;
  title?: string;
  ui?:
    | "number"
    | "slider"
    | "textarea"
    | "text"
    | "select"
    | "seed"
    | "toggle"
    | "file"
    | { widget: "model"; component: string };
  step?: number;
  advanced?: boolean;
}

/** A nodes.list entry: the server's NodeDescription with its params schema typed for the widgets. */
export interface NodeDecl extends Omit<NodeDescription, "params"> {
  params: { properties?: Record<string, ParamSchema>; [k: string]: unknown };
}

export type DeclMap = ReadonlyMap<string, NodeDecl>;

export function declMap(decls: readonly NodeDecl[]): Map<string, NodeDecl> {
  return new Map(decls.map((d) => [d.type, d]));
}

export function paramSchemas(decl: NodeDecl): Array<[string, ParamSchema]> {
  return Object.entries(decl.params.properties ?? {});
}

/** Every param's default, as a new node gets them. */
export function paramDefaults(decl: NodeDecl): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of paramSchemas(decl)) if (s.default !== undefined) out[name] = structuredClone(s.default);
  return out;
}

export type WidgetKind = Exclude<NonNullable<ParamSchema["ui"]>, object> | "model";

/** The widget a param gets: its `ui` hint, or one inferred from its JSON type. */
export function widgetKind(s: ParamSchema): WidgetKind {
  if (s.enum) return "select";
  if (typeof s.ui === "object") return "model";
  if (s.ui) return s.ui;
  if (s.type === "boolean") return "toggle";
  if (s.type === "string") return "text";
  return "number";
}

/** Type of an input handle: an input port, or a param that can be fed by a link. */
export function inputHandleType(decl: NodeDecl, handle: string): PortType | null {
  const port = decl.inputs[handle];
  if (port) return port.type as PortType;
  const pp = decl.paramPorts[handle];
  return pp ? (pp as PortType) : null;
}

export function outputHandleType(decl: NodeDecl, handle: string): PortType | null {
  const o = decl.outputs[handle];
  return o ? (o.type as PortType) : null;
}

/**
 * Lower-case words of a node declaration, for the search box: its names, its params (so
 * "bpm" or "seed" finds the nodes that set them) and other names it goes by (ComfyUI's).
 */
export function searchText(decl: NodeDecl): string {
  const params = paramSchemas(decl).map(([name, s]) => `${name} ${s.title ?? ""}`);
  return `${decl.title} ${decl.type} ${decl.category} ${decl.description} ${params.join(" ")} ${(SEARCH_ALIASES[decl.type] ?? []).join(" ")}`.toLowerCase();
}

/** Declarations matching a query (every word must appear), titles starting with the query first. */
export function searchDecls(decls: readonly NodeDecl[], query: string): NodeDecl[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hits = decls.filter((d) => words.every((w) => searchText(d).includes(w)));
  const q = query.trim().toLowerCase();
  const named = (d: NodeDecl) => (SEARCH_ALIASES[d.type] ?? []).some((a) => a === q || a.replace(/\s+/g, "") === q);
  const rank = (d: NodeDecl) =>
    d.title.toLowerCase().startsWith(q) ? 0 : named(d) ? 1 : d.type.toLowerCase().includes(q) ? 2 : 3;
  return hits.sort((a, b) => rank(a) - rank(b) || a.title.localeCompare(b.title));
}
