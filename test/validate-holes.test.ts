// Validator holes found by trying hostile graphs (issue 14): names every object has, overrides on deep
// graphs, duplicate keys, non-finite numbers, dotted node ids, unreadable input errors, huge keys.
import { describe, expect, it } from "vitest";
import { validateGraph } from "../server/graph/validate";
import { parseGraphText } from "../server/graph/parse";
import { applyOverrides } from "../server/runs/overrides";
import type { ValidationIssue } from "../server/graph/issues";
import { readableInputError } from "../server/trpc/init";
import { safeParseGenerationConfig, safeParseGenerationParams } from "../server/api/params";
import { testRegistry } from "./fixtures/fake-nodes";

const reg = testRegistry();
const issuesOf = (g: unknown): ValidationIssue[] => {
  const r = validateGraph(g, reg);
  return r.ok ? [] : r.issues;
};
const sinkOf = (node: string, output = "out") => ({ type: "t.sink", inputs: { x: { node, output } } });

describe("names that every JavaScript object has", () => {
  it("refuses a link to node toString or hasOwnProperty, naming the input", () => {
    for (const name of ["toString", "hasOwnProperty", "valueOf", "isPrototypeOf"]) {
      const issues = issuesOf({ version: 1, nodes: { k: sinkOf(name) } });
      expect(issues.length).toBeGreaterThan(0);
      expect(issues[0]).toMatchObject({ code: "reserved_name", nodeId: "k", field: "x" });
      expect(issues[0].message).toContain(name);
    }
  });

  it("refuses params named toString / valueOf instead of accepting them silently", () => {
    const issues = issuesOf({
      version: 1,
      nodes: { a: { type: "t.num", params: { toString: 5, valueOf: "x" } }, k: sinkOf("a") },
    });
    expect(issues.map((i) => `${i.code}@${i.nodeId}.${i.field}`).sort()).toEqual([
      "reserved_name@a.toString",
      "reserved_name@a.valueOf",
    ]);
  });

  it("refuses reserved node ids, input names and output names", () => {
    expect(issuesOf({ version: 1, nodes: { toString: { type: "t.num" }, k: sinkOf("toString") } })[0]).toMatchObject({
      code: "reserved_name",
      nodeId: "toString",
    });
    const port = issuesOf({
      version: 1,
      nodes: {
        a: { type: "t.num" },
        k: { type: "t.sink", inputs: { x: { node: "a", output: "out" }, valueOf: { node: "a", output: "out" } } },
      },
    });
    expect(port[0]).toMatchObject({ code: "reserved_name", nodeId: "k", field: "valueOf" });
    expect(issuesOf({ version: 1, nodes: { a: { type: "t.num" }, k: sinkOf("a", "toString") } })[0]).toMatchObject({
      code: "reserved_name",
      field: "x",
    });
  });
});

/** {"version":1,"nodes":{"a":{...}},"meta":{"x":[[[…]]]}} nested `depth` levels, built without recursion. */
function deepGraph(depth: number): Record<string, unknown> {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return { version: 1, nodes: { a: { type: "t.num" }, k: sinkOf("a") }, meta: { x: v } };
}

describe("overrides", () => {
  it("checks depth before copying the graph for overrides (no stack overflow)", () => {
    const r = applyOverrides(deepGraph(50_000), { "a.value": 3 });
    expect(r.issues[0]).toMatchObject({ code: "input_too_deep" });
  });

  it("checks the override values themselves", () => {
    let v: unknown = 1;
    for (let i = 0; i < 50_000; i++) v = [v];
    const r = applyOverrides({ version: 1, nodes: { a: { type: "t.num" } } }, { "a.value": v });
    expect(r.issues[0]).toMatchObject({ code: "input_too_deep", message: expect.stringContaining("overrides") });
  });

  it("splits the key at its last dot, so dotted node ids can be overridden", () => {
    const g = { version: 1, nodes: { "a.b": { type: "t.num" }, k: sinkOf("a.b") } };
    const r = applyOverrides(g, { "a.b.value": 7 });
    expect(r.issues).toEqual([]);
    expect((r.graph as { nodes: Record<string, { params: unknown }> }).nodes["a.b"].params).toEqual({ value: 7 });
    expect(g.nodes["a.b"]).not.toHaveProperty("params");
  });

  it("refuses an override of a reserved param or node name", () => {
    const r = applyOverrides(
      { version: 1, nodes: { a: { type: "t.num" } } },
      { "a.__proto__": 1, "toString.value": 2 },
    );
    expect(r.issues.map((i) => i.code)).toEqual(["reserved_name", "reserved_name"]);
  });
});

describe("JSON text", () => {
  it("reports duplicate node ids instead of keeping the last one", () => {
    const text =
      '{"version":1,"nodes":{"a":{"type":"t.num"},"a":{"type":"t.noise"},"k":{"type":"t.sink","inputs":{"x":{"node":"a","output":"out"}}}}}';
    const p = parseGraphText(text);
    expect(p.issues).toHaveLength(1);
    expect(p.issues[0]).toMatchObject({
      code: "duplicate_key",
      nodeId: "a",
      message: expect.stringContaining("twice"),
    });
  });

  it("reports duplicate param names with node and field", () => {
    const p = parseGraphText('{"version":1,"nodes":{"a":{"type":"t.num","params":{"value":1,"value":2}}}}');
    expect(p.issues[0]).toMatchObject({ code: "duplicate_key", nodeId: "a", field: "value" });
  });

  it("says 1e999 must be a finite number, naming node and param", () => {
    const p = parseGraphText(
      '{"version":1,"nodes":{"a":{"type":"t.num","params":{"value":1e999}},"k":{"type":"t.sink","inputs":{"x":{"node":"a","output":"out"}}}}}',
    );
    expect(p.issues[0]).toMatchObject({
      code: "not_a_finite_number",
      nodeId: "a",
      field: "value",
      message: expect.stringContaining("must be a finite number"),
    });
    // The same through validateGraph (the tRPC path parses JSON itself).
    expect(
      issuesOf({ version: 1, nodes: { a: { type: "t.num", params: { value: -Infinity } }, k: sinkOf("a") } })[0]
        .message,
    ).toContain("must be a finite number");
  });

  it("refuses a 200 000-character key quickly, without echoing it", () => {
    const key = "k".repeat(200_000);
    const p = parseGraphText(JSON.stringify({ version: 1, nodes: { [key]: { type: "t.num" } } }));
    expect(p.issues[0].code).toBe("input_too_large");
    expect(p.issues[0].message.length).toBeLessThan(300);
  });
});

describe("messages", () => {
  it("turns raw schema issues into one readable line", () => {
    const msg = readableInputError({
      issues: [{ path: [], message: "Invalid input: expected object, received undefined" }],
    });
    expect(msg).toBe("the request has no input; send a JSON object");
    expect(readableInputError({ issues: [{ path: ["overrides", "x"], message: "Invalid input" }] })).toBe(
      "overrides.x: Invalid input",
    );
    expect(readableInputError(new Error("plain"))).toBeUndefined();
  });

  it("says how many seeds are allowed when the list is too long", () => {
    const r = safeParseGenerationConfig({ seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0].message).toBe("seeds has 9 entries; the limit is 8 (one per batch item)");
  });

  it("answers an unknown 200 000-character key at once with a short message", () => {
    const r = safeParseGenerationParams({
      ["x".repeat(200_000)]: 1,
      caption: "y".repeat(1000),
      bpm: "z".repeat(100_000),
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const text = r.issues.map((i) => `${i.field} ${i.message}`).join(" ");
      expect(text).toContain("200000 characters");
      expect(text.length).toBeLessThan(1000);
    }
  });
});
