// Seeded PRNG: reproducible streams and normal statistics.
import { describe, expect, it } from "vitest";
import { createRng, deriveSeed, mulberry32 } from "./prng";

describe("seeded PRNG", () => {
  it("repeats the same stream for the same seed and differs for another", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(xs);
    expect(Array.from({ length: 5 }, c)).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(deriveSeed(1, "a")).not.toBe(deriveSeed(1, "b"));
  });

  it("draws normals with the requested mean and std", () => {
    const x = createRng(7).fillNormal(new Float32Array(100_000), 0.02, 1);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(1, 3);
    expect(std).toBeCloseTo(0.02, 3);
  });
});
