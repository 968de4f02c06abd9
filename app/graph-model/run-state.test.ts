import { describe, expect, it } from "vitest";
import { applyRunEvent, runResults, startRunView, type StreamEvent } from "./run-state";
import { placeIssues, issuesOf } from "./issues";
import type { EngineEvent } from "../../server/engine/events";

const fold = (events: EngineEvent[]) =>
  events.map((event, i): StreamEvent => ({ seq: i + 1, event })).reduce(applyRunEvent, startRunView("r1"));

describe("run view", () => {
  it("follows a run through queue, progress, cache and finish", () => {
    const v = fold([
      { type: "run.queued", position: 2 },
      { type: "run.started", nodes: ["a", "b", "c"] },
      { type: "node.cached", nodeId: "a", nodeType: "x", outputs: {}, results: [] },
      { type: "node.started", nodeId: "b", nodeType: "y" },
      { type: "node.progress", nodeId: "b", fraction: 0.5, step: 5, total: 10 },
    ]);
    expect(v.status).toBe("running");
    expect(v.nodes.a.status).toBe("cached");
    expect(v.nodes.b).toMatchObject({ status: "running", step: 5, total: 10, fraction: 0.5 });
    expect(v.nodes.c.status).toBe("queued");
    const done = [
      {
        type: "node.finished",
        nodeId: "b",
        nodeType: "y",
        ms: 12,
        outputs: {},
        results: [{ kind: "audio", path: "outputs/r1/x.wav" }],
      },
      { type: "node.finished", nodeId: "c", ms: 1, outputs: {}, results: [{ kind: "value", value: 3 }] },
      { type: "run.finished", ms: 20 },
    ].reduce((acc, event, i) => applyRunEvent(acc, { seq: 6 + i, event: event as EngineEvent }), v);
    expect(done.status).toBe("finished");
    expect(done.nodes.b.status).toBe("done");
    expect(runResults(done).map((r) => r.result.kind)).toEqual(["audio", "value"]);
  });
  it("remembers the queue position while waiting", () => {
    expect(fold([{ type: "run.queued", position: 3 }])).toMatchObject({ status: "queued", position: 3 });
  });
  it("places a failure on its node and drops unrun badges", () => {
    const v = fold([
      { type: "run.started", nodes: ["a", "b"] },
      { type: "node.started", nodeId: "a", nodeType: "x" },
      { type: "node.failed", nodeId: "a", error: "boom", field: "steps" },
      { type: "run.failed", error: "boom", nodeId: "a", field: "steps" },
    ]);
    expect(v.status).toBe("failed");
    expect(v.nodes.a).toMatchObject({ status: "failed", error: "boom", field: "steps" });
    expect(v.nodes.b).toBeUndefined();
  });
  it("ignores events it has already seen (a resumed stream)", () => {
    const v = fold([{ type: "run.started", nodes: ["a"] }]);
    expect(applyRunEvent(v, { seq: 1, event: { type: "run.cancelled" } })).toBe(v);
  });
});

describe("issues", () => {
  it("places issues on node and field, the rest globally", () => {
    const p = placeIssues(
      [
        { code: "invalid_param", message: "too big", nodeId: "a", field: "steps" },
        { code: "required_input_missing", message: "missing", nodeId: "a", field: "audio" },
        { code: "unknown_node_type", message: "unknown", nodeId: "b", field: "type" },
        { code: "no_output_node", message: "nothing runs" },
        { code: "x", message: "gone", nodeId: "zzz" },
      ],
      new Set(["a", "b"]),
    );
    expect(p.byNode.a.fields).toEqual({ steps: ["too big"], audio: ["missing"] });
    expect(p.byNode.b.node).toEqual(["unknown"]);
    expect(p.global.map((i) => i.message)).toEqual(["nothing runs", "gone"]);
  });
  it("reads issues from a tRPC error's data", () => {
    expect(issuesOf({ data: { issues: [{ code: "c", message: "m" }] } })).toEqual([{ code: "c", message: "m" }]);
    expect(issuesOf(new Error("x"))).toBeNull();
  });
});
