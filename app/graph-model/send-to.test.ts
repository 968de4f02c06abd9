import { describe, expect, it } from "vitest";
import { addLoadAudio, sourceNodes, withSourceAudio } from "./send-to";

const repaint = {
  version: 1 as const,
  nodes: {
    source: { type: "audio.testTone", params: { seconds: 1.5 }, ui: { x: 0, y: 300 } },
    task: {
      type: "ace.repaint",
      params: { start: 0.5, end: 1 },
      inputs: { audio: { node: "source", output: "audio" } },
    },
  },
};

describe("send to", () => {
  it("replaces a task's source with a Load Audio of the file and sets the repaint window", () => {
    expect(sourceNodes(repaint)).toEqual(["source"]);
    const g = withSourceAudio(repaint, "runs/r/a.flac", { start: 2, end: 4.5 });
    expect(g.nodes.source).toEqual({ type: "audio.load", params: { file: "runs/r/a.flac" }, ui: { x: 0, y: 300 } });
    expect(g.nodes.task.params).toEqual({ start: 2, end: 4.5 });
    expect(g.nodes.task.inputs).toEqual(repaint.nodes.task.inputs);
    expect(withSourceAudio(repaint, "a.flac").nodes.task.params).toEqual({ start: 0.5, end: 1 });
  });
  it("adds a Load Audio node under a fresh id", () => {
    const r = addLoadAudio(repaint, "a.flac", { x: 10.4, y: 20 });
    expect(r.id).toBe("load1");
    expect(r.graph.nodes.load1).toEqual({ type: "audio.load", params: { file: "a.flac" }, ui: { x: 10, y: 20 } });
  });
});
