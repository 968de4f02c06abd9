import { describe, expect, it } from "vitest";
import { toFlowNodes, type FlowNode } from "./flow";
import { editorReducer, initialEditorState } from "./editor-state";
import { declMap } from "./decls";
import { addNode, moveNodes } from "./ops";
import { ALL, TONE } from "./fixtures";

const decls = declMap(ALL);
const view = (s: ReturnType<typeof initialEditorState>, prev: Map<string, FlowNode>) => {
  const list = toFlowNodes(
    { graph: s.history.present, decls, run: undefined, issues: undefined, selected: s.selectedNodes },
    prev,
  );
  return { list, prev: new Map(list.map((n) => [n.id, n])) };
};

describe("flow view", () => {
  it("puts a node back where it was when a drag is undone", () => {
    let s = editorReducer(initialEditorState(), { type: "edit", fn: (g) => addNode(g, TONE, { x: 10, y: 20 }).graph });
    let v = view(s, new Map());
    // a drag: transient moves re-render with each new position, then settle
    for (const x of [30, 60, 90]) {
      s = editorReducer(s, { type: "edit", fn: (g) => moveNodes(g, { testTone1: { x, y: 20 } }), transient: true });
      v = view(s, v.prev);
    }
    s = editorReducer(s, { type: "settle" });
    v = view(s, v.prev);
    expect(v.list[0].position).toEqual({ x: 90, y: 20 });
    s = editorReducer(s, { type: "undo" });
    v = view(s, v.prev);
    expect(v.list[0].position).toEqual({ x: 10, y: 20 });
    s = editorReducer(s, { type: "redo" });
    v = view(s, v.prev);
    expect(v.list[0].position).toEqual({ x: 90, y: 20 });
  });
  it("keeps the view object of a node that did not change", () => {
    const s = editorReducer(initialEditorState(), { type: "edit", fn: (g) => addNode(g, TONE, { x: 0, y: 0 }).graph });
    const a = view(s, new Map());
    const b = view(s, a.prev);
    expect(b.list[0]).toBe(a.list[0]);
  });
});
