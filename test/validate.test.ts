import { describe, expect, it } from "vitest";
import { validateGraph } from "../server/graph/validate";
import { parseGraphText } from "../server/graph/parse";
import type { ValidationIssue } from "../server/graph/issues";
import { testRegistry } from "./fixtures/fake-nodes";

const reg = testRegistry();
const issuesOf = (g: unknown): ValidationIssue[] => {
  const r = validateGraph(g, reg);
  return r.ok ? [] : r.issues;
};
const codes = (g: unknown) => issuesOf(g).map((i) => `${i.code}@${i.nodeId ?? ""}.${i.field ?? ""}`);

describe("graph validation", () => {
  it("accepts a valid graph and fills param defaults", () => {
    const r = validateGraph(
      {
        version: 1,
        nodes: { a: { type: "t.num" }, s: { type: "t.sink", inputs: { x: { node: "a", output: "out" } } } },
      },
      reg,
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.resolved.nodes.get("a")!.params).toEqual({ value: 1 });
  });

  it("reports every problem at once, each naming node and field", () => {
    const g = {
      version: 1,
      nodes: {
        a: { type: "t.nope" },
        b: { type: "t.num", params: { value: 5000, color: "red" } },
        c: { type: "t.add", inputs: { a: { node: "ghost", output: "out" }, z: { node: "b", output: "out" } } },
        d: { type: "t.add", inputs: { a: { node: "b", output: "nope" } } },
        e: { type: "t.sink", inputs: { x: { node: "f", output: "audio" } } },
        f: { type: "audio.testTone" },
        g: { type: "t.sink" },
        h: { type: "t.ranged", params: { start: 5, end: 2, mode: "zzz" } },
        i: { type: "t.ranged", params: { start: 5, end: 2 } },
      },
    };
    expect(codes(g).sort()).toEqual(
      [
        "unknown_node_type@a.type",
        "value_bigger_than_max@b.value",
        "unknown_param@b.color",
        "link_to_missing_node@c.a",
        "unknown_input@c.z",
        "link_to_missing_output@d.a",
        "type_mismatch@e.x",
        "required_input_missing@g.x",
        "invalid_param@h.mode",
        "cross_field@i.end",
      ].sort(),
    );
    const msg = issuesOf(g).find((i) => i.code === "value_bigger_than_max")!;
    expect(msg.message).toContain("1000");
    expect(msg.received).toBe(5000);
  });

  it("reports param values of the wrong type and below the minimum", () => {
    expect(
      codes({
        version: 1,
        nodes: {
          a: { type: "t.num", params: { value: "x" } },
          s: { type: "t.sink", inputs: { x: { node: "a", output: "out" } } },
        },
      }),
    ).toEqual(["invalid_param@a.value"]);
    expect(
      codes({
        version: 1,
        nodes: {
          a: { type: "t.slow", params: { steps: 0 } },
          s: { type: "t.sink", inputs: { x: { node: "a", output: "out" } } },
        },
      }),
    ).toEqual(["value_smaller_than_min@a.steps"]);
  });

  it("detects cycles and names the nodes in them", () => {
    const g = {
      version: 1,
      nodes: {
        a: { type: "t.add", inputs: { a: { node: "b", output: "sum" } } },
        b: { type: "t.add", inputs: { a: { node: "a", output: "sum" } } },
        s: { type: "t.sink", inputs: { x: { node: "a", output: "sum" } } },
      },
    };
    const issues = issuesOf(g);
    expect(issues.map((i) => i.code)).toEqual(["cycle"]);
    expect(issues[0].message).toMatch(/a → b → a|b → a → b/);
  });

  it("requires an output node", () => {
    expect(codes({ version: 1, nodes: { a: { type: "t.num" } } })).toEqual(["no_output_node@."]);
  });

  it("rejects missing and unsupported versions, and non-objects", () => {
    expect(codes({ nodes: {} })).toEqual(["missing_version@."]);
    expect(codes({ version: 2, nodes: {} })).toEqual(["unsupported_version@.version"]);
    expect(codes([1, 2])).toEqual(["not_an_object@."]);
    expect(codes(null)).toEqual(["not_an_object@."]);
  });

  it("rejects positional widget arrays and unknown top-level keys", () => {
    const c = codes({ version: 1, nodes: { a: { type: "t.num", widgets_values: [1] } }, links: [] });
    expect(c).toContain("bad_structure@a.");
    expect(c.some((x) => x.startsWith("bad_structure@."))).toBe(true);
  });

  it("lets a param be fed by a link of the matching type and refuses others", () => {
    const ok = {
      version: 1,
      nodes: {
        n: { type: "core.int", params: { value: 7 } },
        s: { type: "t.slow", inputs: { steps: { node: "n", output: "value" } } },
        k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
      },
    };
    expect(issuesOf(ok)).toEqual([]);
    const bad = {
      version: 1,
      nodes: {
        n: { type: "core.string" },
        s: { type: "t.slow", inputs: { steps: { node: "n", output: "value" } } },
        k: { type: "t.sink", inputs: { x: { node: "s", output: "out" } } },
      },
    };
    expect(codes(bad)).toEqual(["type_mismatch@s.steps"]);
  });

  it("widens INT outputs into FLOAT inputs", () => {
    const g = {
      version: 1,
      nodes: { n: { type: "core.int" }, s: { type: "t.sink", inputs: { x: { node: "n", output: "value" } } } },
    };
    expect(issuesOf(g)).toEqual([]);
  });
});

describe("hostile input", () => {
  const text = (t: string) => {
    const p = parseGraphText(t);
    if (p.issues.length) return p.issues;
    return issuesOf(p.value);
  };

  it("answers empty input, non-JSON and arrays with one clear issue", () => {
    expect(text("")[0]).toMatchObject({ code: "input_not_json", message: expect.stringContaining("empty") });
    expect(text("{nope")[0].code).toBe("input_not_json");
    expect(text("[]")[0].code).toBe("not_an_object");
    expect(text('"str"')[0].code).toBe("not_an_object");
  });

  it("rejects deep nesting without overflowing the stack", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const issues = text(`{"version":1,"nodes":{},"meta":{"x":${deep}}}`);
    expect(["input_too_deep", "input_not_json"]).toContain(issues[0].code);
    const moderate = { version: 1, nodes: {}, meta: { x: JSON.parse("[".repeat(50) + "]".repeat(50)) } };
    expect(issuesOf(moderate)[0].code).toBe("input_too_deep");
  });

  it("rejects __proto__ and constructor keys", () => {
    const issues = text('{"version":1,"nodes":{"a":{"type":"t.num","params":{"__proto__":{"polluted":1}}}}}');
    expect(issues[0]).toMatchObject({ code: "forbidden_key" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(text('{"version":1,"nodes":{"constructor":{"type":"t.num"}}}')[0].code).toBe("forbidden_key");
  });

  it("rejects huge strings and oversize input", () => {
    const huge = "x".repeat(300_000);
    expect(
      text(JSON.stringify({ version: 1, nodes: { a: { type: "core.string", params: { value: huge } } } }))[0].code,
    ).toBe("input_too_large");
    expect(parseGraphText(" ".repeat(6 * 1024 * 1024)).issues[0].code).toBe("input_too_large");
  });

  it("reports an unknown version value without echoing huge payloads", () => {
    const issues = text(JSON.stringify({ version: "y".repeat(1000), nodes: {} }));
    expect(issues[0].code).toBe("unsupported_version");
    expect(issues[0].message.length).toBeLessThan(300);
  });
});
