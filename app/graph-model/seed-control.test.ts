import { describe, expect, it } from "vitest";
import type { NodeDecl } from "./decls";
import { declMap } from "./decls";
import { advanceSeeds, seedControlOf, setSeedControl } from "./seed-control";

const SAMPLER: NodeDecl = {
  type: "ace.ditSampler",
  title: "DiT Sampler",
  category: "ace",
  description: "samples",
  output: false,
  inputs: {},
  outputs: {},
  params: {
    type: "object",
    properties: { seed: { type: "integer", default: -1, ui: "seed" }, steps: { type: "integer", default: 8 } },
  },
  paramPorts: { seed: "INT" },
};
const decls = declMap([SAMPLER]);
const graph = (seed: number) => ({
  version: 1 as const,
  nodes: { s: { type: "ace.ditSampler", params: { seed, steps: 8 } } },
});

describe("seed control after a run", () => {
  it("keeps fixed seeds and random (-1) seeds", () => {
    const g = graph(7);
    expect(advanceSeeds(g, decls)).toBe(g);
    const r = setSeedControl(graph(-1), "s", "seed", "increment");
    expect(advanceSeeds(r, decls)).toBe(r);
  });
  it("increments, wrapping at the largest 32-bit seed", () => {
    const g = setSeedControl(graph(7), "s", "seed", "increment");
    expect(seedControlOf(g.nodes.s, "seed")).toBe("increment");
    expect(advanceSeeds(g, decls).nodes.s.params).toEqual({ seed: 8, steps: 8 });
    expect(advanceSeeds(setSeedControl(graph(2 ** 32 - 1), "s", "seed", "increment"), decls).nodes.s.params?.seed).toBe(
      0,
    );
  });
  it("randomizes with the given source and leaves linked seeds alone", () => {
    const g = setSeedControl(graph(7), "s", "seed", "randomize");
    expect(advanceSeeds(g, decls, () => 0.5).nodes.s.params?.seed).toBe(Math.floor(0.5 * (2 ** 32 - 1)));
    const linked = {
      ...g,
      nodes: { ...g.nodes, s: { ...g.nodes.s, inputs: { seed: { node: "x", output: "value" } } } },
    };
    expect(advanceSeeds(linked, decls)).toBe(linked);
  });
});
