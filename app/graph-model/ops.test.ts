import { describe, expect, it } from "vitest";
import {
  addNode,
  arrange,
  compatibleNodes,
  connect,
  copyNodes,
  emptyGraph,
  freshId,
  layoutMissing,
  moveNodes,
  overlappingNodes,
  pasteNodes,
  removeLinks,
  removeNodes,
  setParam,
} from "./ops";
import { declMap, paramDefaults, searchDecls, widgetKind, type NodeDecl } from "./decls";
import { ALL, INFO, SHOW, TEXT, TONE } from "./fixtures";

const decls = declMap(ALL);

function chain() {
  let g = emptyGraph();
  g = addNode(g, TONE, { x: 0, y: 0 }).graph;
  g = addNode(g, INFO, { x: 300, y: 0 }).graph;
  g = addNode(g, SHOW, { x: 600, y: 0 }).graph;
  const a = connect(g, decls, { source: "testTone1", sourceHandle: "audio", target: "info1", targetHandle: "audio" });
  if (!a.ok) throw new Error(a.reason);
  const b = connect(a.graph, decls, {
    source: "info1",
    sourceHandle: "peak",
    target: "showNumber1",
    targetHandle: "value",
  });
  if (!b.ok) throw new Error(b.reason);
  return b.graph;
}

describe("addNode", () => {
  it("adds a node with every param at its declared default and a fresh id", () => {
    const { graph, id } = addNode(emptyGraph(), TONE, { x: 10.4, y: 20.6 });
    expect(id).toBe("testTone1");
    expect(graph.nodes[id]).toEqual({
      type: "audio.testTone",
      params: { frequency: 440, seconds: 2 },
      ui: { x: 10, y: 21 },
    });
    expect(freshId(graph, "audio.testTone")).toBe("testTone2");
  });
  it("does not mutate the graph it was given", () => {
    const g = emptyGraph();
    addNode(g, TONE, { x: 0, y: 0 });
    expect(g.nodes).toEqual({});
  });
});

describe("connect", () => {
  it("links an output to an input of the same type", () => {
    const g = chain();
    expect(g.nodes.info1.inputs).toEqual({ audio: { node: "testTone1", output: "audio" } });
  });
  it("refuses a type mismatch with the reason from port-types", () => {
    const g = chain();
    const r = connect(g, decls, {
      source: "testTone1",
      sourceHandle: "audio",
      target: "showNumber1",
      targetHandle: "value",
    });
    expect(r).toEqual({ ok: false, reason: "a AUDIO output cannot feed a FLOAT input" });
  });
  it("accepts INT into FLOAT and feeds a linkable param", () => {
    const g = chain();
    const r = connect(g, decls, {
      source: "info1",
      sourceHandle: "sampleRate",
      target: "testTone1",
      targetHandle: "frequency",
    });
    // info1 is downstream of testTone1, so this one closes a cycle.
    expect(r).toEqual({ ok: false, reason: "this link would form a cycle" });
    const g2 = addNode(g, TONE, { x: 0, y: 300 }).graph;
    const r2 = connect(g2, decls, {
      source: "info1",
      sourceHandle: "sampleRate",
      target: "testTone2",
      targetHandle: "frequency",
    });
    expect(r2.ok).toBe(true);
    if (r2.ok) expect(r2.graph.nodes.testTone2.inputs?.frequency).toEqual({ node: "info1", output: "sampleRate" });
  });
  it("replaces the link already on an input", () => {
    let g = addNode(chain(), TONE, { x: 0, y: 300 }).graph;
    const r = connect(g, decls, { source: "testTone2", sourceHandle: "audio", target: "info1", targetHandle: "audio" });
    expect(r.ok).toBe(true);
    if (r.ok) g = r.graph;
    expect(g.nodes.info1.inputs).toEqual({ audio: { node: "testTone2", output: "audio" } });
  });
  it("refuses unknown handles and self links", () => {
    const g = chain();
    expect(
      connect(g, decls, { source: "info1", sourceHandle: "nope", target: "showNumber1", targetHandle: "value" }),
    ).toEqual({ ok: false, reason: 'Audio Info has no output "nope"' });
    expect(
      connect(g, decls, { source: "testTone1", sourceHandle: "audio", target: "testTone1", targetHandle: "frequency" }),
    ).toEqual({ ok: false, reason: "a node cannot feed itself" });
  });
});

describe("remove", () => {
  it("removing a node drops the links pointing at it", () => {
    const g = removeNodes(chain(), ["info1"]);
    expect(Object.keys(g.nodes)).toEqual(["testTone1", "showNumber1"]);
    expect(g.nodes.showNumber1.inputs).toBeUndefined();
  });
  it("removes one link", () => {
    const g = removeLinks(chain(), [{ node: "info1", input: "audio" }]);
    expect(g.nodes.info1.inputs).toBeUndefined();
    expect(g.nodes.showNumber1.inputs?.value).toBeDefined();
  });
});

describe("setParam and moveNodes", () => {
  it("sets a param and keeps the graph when nothing changes", () => {
    const g = chain();
    const g2 = setParam(g, "testTone1", "seconds", 3);
    expect(g2.nodes.testTone1.params?.seconds).toBe(3);
    expect(setParam(g2, "testTone1", "seconds", 3)).toBe(g2);
    expect(g2.nodes.info1).toBe(g.nodes.info1);
  });
  it("moves nodes, keeping untouched node objects", () => {
    const g = chain();
    const g2 = moveNodes(g, { info1: { x: 5, y: 6 } });
    expect(g2.nodes.info1.ui).toEqual({ x: 5, y: 6 });
    expect(g2.nodes.testTone1).toBe(g.nodes.testTone1);
    expect(moveNodes(g2, { info1: { x: 5, y: 6 } })).toBe(g2);
  });
});

describe("copy and paste", () => {
  it("pastes under fresh ids, keeps only links inside the selection, shifts positions", () => {
    const g = chain();
    const clip = copyNodes(g, ["info1", "showNumber1"]);
    expect(clip.nodes.info1.inputs).toBeUndefined();
    const { graph, ids } = pasteNodes(g, clip, { x: 10, y: 10 });
    expect(ids).toEqual(["info2", "showNumber2"]);
    expect(graph.nodes.showNumber2.inputs).toEqual({ value: { node: "info2", output: "peak" } });
    expect(graph.nodes.info2.ui).toEqual({ x: 310, y: 10 });
    expect(Object.keys(graph.nodes)).toHaveLength(5);
  });
});

describe("compatibleNodes", () => {
  it("offers nodes whose input takes a dragged output", () => {
    const hits = compatibleNodes(ALL, { type: "FLOAT", side: "source" }).map((h) => [h.decl.type, h.handle]);
    expect(hits).toEqual([
      ["audio.testTone", "frequency"],
      ["core.showNumber", "value"],
    ]);
  });
  it("offers nodes whose output fits a dragged input", () => {
    expect(compatibleNodes(ALL, { type: "AUDIO", side: "target" }).map((h) => h.decl.type)).toEqual(["audio.testTone"]);
  });
});

describe("decls", () => {
  it("reads defaults and widget kinds", () => {
    expect(paramDefaults(TEXT)).toEqual({ value: "" });
    expect(widgetKind({ type: "string", enum: ["a"] })).toBe("select");
    expect(widgetKind({ type: "boolean" })).toBe("toggle");
  });
  it("searches titles first", () => {
    expect(searchDecls(ALL, "audio").map((d) => d.type)).toEqual(["audio.info", "audio.testTone"]);
    expect(searchDecls(ALL, "show num").map((d) => d.type)).toEqual(["core.showNumber"]);
  });
});

describe("arrange", () => {
  it("puts each depth in a column and stacks nodes by their heights", () => {
    let g = addNode(chain(), TONE, { x: 0, y: 500 }).graph;
    g = arrange(g, {
      testTone1: { width: 256, height: 300 },
      testTone2: { width: 256, height: 100 },
      info1: { width: 200, height: 50 },
    });
    expect(g.nodes.testTone1.ui).toEqual({ x: 0, y: 0 });
    expect(g.nodes.testTone2.ui).toEqual({ x: 0, y: 330 });
    expect(g.nodes.info1.ui).toEqual({ x: 316, y: 0 });
    expect(g.nodes.showNumber1.ui).toEqual({ x: 576, y: 0 });
  });
});

describe("layoutMissing", () => {
  it("places nodes without positions by depth", () => {
    const g = layoutMissing({
      version: 1,
      nodes: {
        a: { type: "audio.testTone" },
        b: { type: "audio.info", inputs: { audio: { node: "a", output: "audio" } } },
      },
    });
    expect(g.nodes.a.ui).toEqual({ x: 0, y: 0 });
    expect(g.nodes.b.ui).toEqual({ x: 340, y: 0 });
  });
});

import { toFlowEdges, toFlowNodes, parseEdgeId } from "./flow";
describe("flow view", () => {
  it("reuses unchanged nodes and colours edges by port type", () => {
    const g = chain();
    const inp = { graph: g, decls, run: undefined, issues: undefined, selected: new Set<string>() };
    const a = toFlowNodes(inp);
    const g2 = moveNodes(g, { info1: { x: 1, y: 1 } });
    const b = toFlowNodes({ ...inp, graph: g2 }, new Map(a.map((n) => [n.id, n])));
    expect(b[0]).toBe(a[0]);
    expect(b[1]).not.toBe(a[1]);
    expect(b[1].position).toEqual({ x: 1, y: 1 });
    // a move keeps the data object, so the node component skips re-rendering
    expect(b[1].data).toBe(a[1].data);
    const g3 = setParam(g2, "testTone1", "seconds", 9);
    const c = toFlowNodes({ ...inp, graph: g3 }, new Map(b.map((n) => [n.id, n])));
    expect(c[0].data).not.toBe(b[0].data);
    const edges = toFlowEdges(g, decls, new Set());
    expect(edges.map((e) => [e.source, e.target, e.style?.stroke])).toEqual([
      ["testTone1", "info1", "#22c55e"],
      ["info1", "showNumber1", "#38bdf8"],
    ]);
    expect(parseEdgeId(edges[0].id)).toEqual({ node: "info1", input: "audio" });
  });
});

describe("overlappingNodes", () => {
  it("finds boxes that overlap by their measured sizes, and none after arrange", () => {
    let g = addNode(emptyGraph(), TONE, { x: 0, y: 0 }).graph;
    g = addNode(g, TONE, { x: 100, y: 150 }).graph;
    g = addNode(g, TONE, { x: 600, y: 0 }).graph;
    const sizes = {
      testTone1: { width: 256, height: 200 },
      testTone2: { width: 256, height: 200 },
      testTone3: { width: 256, height: 200 },
    };
    expect(overlappingNodes(g, sizes)).toEqual(["testTone1/testTone2"]);
    expect(overlappingNodes(g, { ...sizes, testTone1: { width: 256, height: 140 } })).toEqual([]);
    expect(overlappingNodes(arrange(g, sizes), sizes)).toEqual([]);
  });
});

describe("search aliases", () => {
  const SAMPLER: NodeDecl = {
    ...TONE,
    type: "ace.ditSampler",
    title: "DiT Sampler",
    description: "Samples latents",
    params: { type: "object", properties: { seed: { type: "integer", default: -1, ui: "seed" } } },
  };
  const TEXT_COND: NodeDecl = {
    ...TONE,
    type: "ace.textConditioning",
    title: "Text Conditioning",
    description: "Encodes",
    params: { type: "object", properties: { bpm: { type: "integer", default: 0 } } },
  };
  it("finds nodes by their ComfyUI names and by the params they set", () => {
    expect(searchDecls([TONE, SAMPLER, TEXT_COND], "ksampler").map((d) => d.type)).toEqual(["ace.ditSampler"]);
    expect(searchDecls([TONE, SAMPLER, TEXT_COND], "bpm").map((d) => d.type)).toEqual(["ace.textConditioning"]);
    expect(searchDecls([TONE, SAMPLER, TEXT_COND], "seed").map((d) => d.type)).toEqual(["ace.ditSampler"]);
    expect(searchDecls([TONE, SAMPLER, TEXT_COND], "clip text encode").map((d) => d.type)).toEqual([
      "ace.textConditioning",
    ]);
  });
});
