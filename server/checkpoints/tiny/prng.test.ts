// Pool-based normals for full-size fabricated weights: reproducible and N(mean, std²)-shaped.
import { describe, expect, it } from "vitest";
import { createPoolRng } from "./prng";

describe("pool normals", () => {
  it("repeat for a seed, differ for another, and have the requested mean and std", () => {
    const x = createPoolRng(7).fillNormal(new Float32Array(100_000), 0.02, 1);
    expect(createPoolRng(7).fillNormal(new Float32Array(100_000), 0.02, 1)).toEqual(x);
    expect(createPoolRng(8).fillNormal(new Float32Array(16), 0.02, 1)).not.toEqual(x.subarray(0, 16));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(1, 3);
    expect(std).toBeCloseTo(0.02, 3);
  });
});
