import { describe, expect, it } from "vitest";
import type { NodeDecl } from "./decls";
import { declMap } from "./decls";
import { fieldValue, setField, simpleFields } from "./simple-mode";

const decl = (type: string, props: Record<string, object>): NodeDecl => ({
  type,
  title: type,
  category: "x",
  description: "",
  output: false,
  inputs: {},
  outputs: {},
  params: { type: "object", properties: props },
  paramPorts: {},
});
const decls = declMap([
  decl("ace.textConditioning", { caption: { type: "string", default: "" }, duration: { type: "number", default: -1 } }),
  decl("ace.emptyLatent", { duration: { type: "number", default: 30 } }),
]);
const graph = {
  version: 1 as const,
  nodes: { text: { type: "ace.textConditioning", params: { caption: "hi" } }, latent: { type: "ace.emptyLatent" } },
};

describe("simple mode fields", () => {
  it("reads the fields marked in the graph, dropping unknown targets", () => {
    const g = {
      ...graph,
      ui: {
        simple: [
          { label: "Prompt", targets: [{ node: "text", param: "caption" }] },
          { label: "Gone", targets: [{ node: "nope", param: "x" }] },
        ],
      },
    };
    expect(simpleFields(g, decls)).toEqual([{ label: "Prompt", targets: [{ node: "text", param: "caption" }] }]);
  });
  it("finds the usual params by name when nothing is marked, and one field sets all its targets", () => {
    const fields = simpleFields(graph, decls);
    expect(fields.map((f) => f.label)).toEqual(["Prompt", "Duration (s)"]);
    const dur = fields[1];
    expect(fieldValue(graph, decls, dur)).toBe(-1);
    const g = setField(graph, dur, 12);
    expect(g.nodes.text.params).toEqual({ caption: "hi", duration: 12 });
    expect(g.nodes.latent.params).toEqual({ duration: 12 });
  });
  it("leaves out params fed by a link", () => {
    const g = {
      ...graph,
      nodes: { ...graph.nodes, text: { ...graph.nodes.text, inputs: { caption: { node: "x", output: "value" } } } },
    };
    expect(simpleFields(g, decls).map((f) => f.label)).toEqual(["Duration (s)"]);
  });
});
