import { describe, expect, it } from "vitest";
import { decodeAutosave, encodeAutosave } from "./autosave";

describe("autosave", () => {
  it("round-trips the graph, the document and the shown run", () => {
    const a = {
      graph: { version: 1 as const, nodes: { t: { type: "audio.testTone", params: { seconds: 2 } } } },
      doc: { id: "g1", name: "Mine", savedJson: "{}" },
      runId: "r1",
    };
    expect(decodeAutosave(encodeAutosave(a))).toEqual(a);
  });
  it("ignores what is not a stored graph", () => {
    expect(decodeAutosave(null)).toBeNull();
    expect(decodeAutosave("{not json")).toBeNull();
    expect(decodeAutosave(JSON.stringify({ graph: { version: 2, nodes: {} } }))).toBeNull();
  });
  it("reads an older record without a run or saved state as dirty and run-less", () => {
    const r = decodeAutosave(JSON.stringify({ graph: { version: 1, nodes: {} }, doc: { name: "x" } }));
    expect(r).toEqual({
      graph: { version: 1, nodes: {} },
      doc: { id: undefined, name: "x", savedJson: "" },
      runId: undefined,
    });
  });
});
