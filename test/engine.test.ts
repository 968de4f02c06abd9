import { beforeEach, describe, expect, it } from "vitest";
import { validateGraph, type ResolvedGraph } from "../server/graph/validate";
import { executeGraph, executionOrder } from "../server/engine/engine";
import { OutputCache } from "../server/engine/cache";
import type { NodeEvent } from "../server/engine/events";
import { calls, resetCalls, testRegistry } from "./fixtures/fake-nodes";

const reg = testRegistry();
function resolve(g: unknown): ResolvedGraph {
  const r = validateGraph(structuredClone(g), reg);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.resolved;
}
const run = (g: unknown, extra: Partial<Parameters<typeof executeGraph>[1]> = {}) =>
  executeGraph(resolve(g), { runId: "r", outputDir: "/tmp/x", progressIntervalMs: 0, ...extra });

const chain = {
  version: 1,
  nodes: {
    sink: { type: "t.sink", inputs: { x: { node: "sum", output: "sum" } } },
    sum: { type: "t.add", inputs: { a: { node: "a", output: "out" }, b: { node: "b", output: "out" } } },
    a: { type: "t.num", params: { value: 2 } },
    b: { type: "t.num", params: { value: 3 } },
    unused: { type: "t.num", params: { value: 9 } },
    unusedSink: { type: "t.add", inputs: { a: { node: "unused", output: "out" } } },
  },
};

beforeEach(resetCalls);

describe("engine", () => {
  it("runs only what output nodes need, upstream first", async () => {
    const order = executionOrder(resolve(chain));
    expect(order).not.toContain("unused");
    expect(order).not.toContain("unusedSink");
    expect(order.indexOf("a")).toBeLessThan(order.indexOf("sum"));
    expect(order.indexOf("b")).toBeLessThan(order.indexOf("sum"));
    expect(order.at(-1)).toBe("sink");
    const out = await run(chain);
    expect(out.status).toBe("finished");
    expect(out.results.sink).toEqual([{ kind: "value", value: 5 }]);
    expect(calls.unused).toBeUndefined();
  });

  it("reuses cached outputs on an unchanged rerun and recomputes downstream of a param change", async () => {
    const cache = new OutputCache();
    await run(chain, { cache });
    expect(calls).toMatchObject({ a: 1, b: 1, sum: 1, sink: 1 });
    const events: NodeEvent[] = [];
    await run(chain, { cache, onEvent: (e) => events.push(e) });
    expect(calls).toMatchObject({ a: 1, b: 1, sum: 1, sink: 2 });
    expect(
      events
        .filter((e) => e.type === "node.cached")
        .map((e) => e.nodeId)
        .sort(),
    ).toEqual(["a", "b", "sum"]);
    const changed = structuredClone(chain);
    changed.nodes.b.params.value = 4;
    const out = await run(changed, { cache });
    expect(calls).toMatchObject({ a: 1, b: 2, sum: 2, sink: 3 });
    expect(out.results.sink[0].value).toBe(6);
  });

  it("resolves seed -1 to a fresh seed every run and caches fixed seeds", async () => {
    const cache = new OutputCache();
    const g = {
      version: 1,
      nodes: {
        n: { type: "t.noise", params: { seed: -1 } },
        s: { type: "t.sink", inputs: { x: { node: "n", output: "out" } } },
      },
    };
    const r1 = await run(g, { cache });
    const r2 = await run(g, { cache });
    expect(calls.n).toBe(2);
    const s1 = r1.resolvedSeeds.n.seed;
    const s2 = r2.resolvedSeeds.n.seed;
    expect(s1).not.toBe(-1);
    expect(s1).not.toBe(s2);
    expect(r1.results.s[0].value).toBe(s1);
    const fixed = {
      version: 1,
      nodes: {
        n: { type: "t.noise", params: { seed: 42 } },
        s: { type: "t.sink", inputs: { x: { node: "n", output: "out" } } },
      },
    };
    await run(fixed, { cache });
    await run(fixed, { cache });
    expect(calls.n).toBe(3);
  });

  it("stops a cancelled run within one step and marks it cancelled", async () => {
    const ac = new AbortController();
    const g = {
      version: 1,
      nodes: {
        s: { type: "t.slow", params: { steps: 1000, ms: 5 } },
        k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
      },
    };
    const events: NodeEvent[] = [];
    const p = run(g, {
      signal: ac.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "node.progress" && e.step === 10) ac.abort();
      },
    });
    const out = await p;
    expect(out.status).toBe("cancelled");
    expect(calls["s:step"]).toBeGreaterThanOrEqual(10);
    expect(calls["s:step"]).toBeLessThanOrEqual(11);
    expect(calls.k).toBeUndefined();
  });

  it("reports progress events with step and total, and a failure naming the node", async () => {
    const events: NodeEvent[] = [];
    const g = {
      version: 1,
      nodes: {
        s: { type: "t.slow", params: { steps: 3, ms: 1 } },
        f: { type: "t.fail", inputs: { x: { node: "s", output: "out" } } },
        k: { type: "t.sink", inputs: { x: { node: "f", output: "out" } } },
      },
    };
    const out = await run(g, { onEvent: (e) => events.push(e) });
    expect(
      events.filter((e) => e.type === "node.progress").map((e) => e.type === "node.progress" && [e.step, e.total]),
    ).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(out.status).toBe("failed");
    expect(out.error).toMatchObject({ nodeId: "f", message: "deliberate failure" });
    expect(events.map((e) => e.type)).toEqual([
      "node.started",
      "node.progress",
      "node.progress",
      "node.progress",
      "node.finished",
      "node.started",
      "node.failed",
    ]);
  });

  it("validates linked param values at run time and names the field", async () => {
    const g = {
      version: 1,
      nodes: {
        n: { type: "core.int", params: { value: 0 } },
        s: { type: "t.slow", inputs: { steps: { node: "n", output: "value" } } },
        k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
      },
    };
    const out = await run(g);
    expect(out.status).toBe("failed");
    expect(out.error).toMatchObject({ nodeId: "s", field: "steps" });
  });
});
