import { describe, expect, it } from "vitest";
import { editorReducer, initialEditorState, isDirty } from "./editor-state";
import { addNode, moveNodes, setParam } from "./ops";
import { TONE } from "./fixtures";

describe("editor state", () => {
  it("is dirty after an edit and clean again after save or undo", () => {
    let s = initialEditorState();
    expect(isDirty(s)).toBe(false);
    s = editorReducer(s, { type: "edit", fn: (g) => addNode(g, TONE, { x: 0, y: 0 }).graph, select: ["testTone1"] });
    expect(isDirty(s)).toBe(true);
    expect([...s.selectedNodes]).toEqual(["testTone1"]);
    expect(isDirty(editorReducer(s, { type: "undo" }))).toBe(false);
    s = editorReducer(s, { type: "saved", id: "g1", name: "Mine" });
    expect(isDirty(s)).toBe(false);
    expect(s.doc).toMatchObject({ id: "g1", name: "Mine" });
  });
  it("a drag is one undo step", () => {
    let s = editorReducer(initialEditorState(), {
      type: "edit",
      fn: (g) => addNode(g, TONE, { x: 0, y: 0 }).graph,
      now: 0,
    });
    for (let x = 1; x <= 5; x++)
      s = editorReducer(s, { type: "edit", fn: (g) => moveNodes(g, { testTone1: { x, y: 0 } }), transient: true });
    s = editorReducer(s, { type: "settle" });
    expect(s.history.present.nodes.testTone1.ui?.x).toBe(5);
    s = editorReducer(s, { type: "undo" });
    expect(s.history.present.nodes.testTone1.ui?.x).toBe(0);
  });
  it("undo drops selected nodes that no longer exist", () => {
    let s = editorReducer(initialEditorState(), {
      type: "edit",
      fn: (g) => addNode(g, TONE, { x: 0, y: 0 }).graph,
      select: ["testTone1"],
    });
    s = editorReducer(s, { type: "undo" });
    expect(s.selectedNodes.size).toBe(0);
  });
  it("loading a graph resets history and lays out nodes without positions", () => {
    let s = editorReducer(initialEditorState(), { type: "edit", fn: (g) => addNode(g, TONE, { x: 0, y: 0 }).graph });
    s = editorReducer(s, {
      type: "load",
      graph: { version: 1, nodes: { t: { type: "audio.testTone" } } },
      doc: { name: "x" },
    });
    expect(s.history.past).toEqual([]);
    expect(s.history.present.nodes.t.ui).toEqual({ x: 0, y: 0 });
    expect(isDirty(s)).toBe(false);
    expect(isDirty(editorReducer(s, { type: "edit", fn: (g) => setParam(g, "t", "seconds", 1) }))).toBe(true);
  });
  it("select merges unless told to replace", () => {
    let s = editorReducer(initialEditorState(), { type: "select", nodes: { a: true } });
    s = editorReducer(s, { type: "select", nodes: { b: true } });
    expect([...s.selectedNodes]).toEqual(["a", "b"]);
    s = editorReducer(s, { type: "select", nodes: { c: true }, only: true });
    expect([...s.selectedNodes]).toEqual(["c"]);
  });
});

describe("layout of an opened graph", () => {
  it("moves nodes without an undo step and keeps a clean document clean", () => {
    let s = editorReducer(initialEditorState(), {
      type: "load",
      graph: addNode({ version: 1, nodes: {} }, TONE, { x: 0, y: 0 }).graph,
    });
    s = editorReducer(s, { type: "layout", fn: (g) => moveNodes(g, { testTone1: { x: 50, y: 60 } }) });
    expect(s.history.present.nodes.testTone1.ui).toMatchObject({ x: 50, y: 60 });
    expect(isDirty(s)).toBe(false);
    expect(s.history.past).toHaveLength(0);
  });
});
