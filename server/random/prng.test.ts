import { describe, expect, it } from "vitest";
import { createRng, deriveSeed, Prng, uniforms } from "./prng";

describe("xoshiro128** PRNG", () => {
  it("is pinned: the same seed gives the same stream forever", () => {
    const r = new Prng(42);
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([660444221, 3652823732, 77672526]);
    const q = new Prng(42);
    expect([q.normal(), q.normal(), q.normal()].map(Math.fround)).toEqual([
      0.5741420388221741, 0.06552115082740784, -0.1762818843126297,
    ]);
    expect(new Prng(0).nextU32()).toBe(1789933344);
  });

  it("uses the high word of seeds above 2^32 and rejects bad seeds", () => {
    expect(new Prng(2 ** 40 + 5).nextU32()).not.toBe(new Prng(5).nextU32());
    expect(() => new Prng(-1)).toThrow(/seed must be an integer/);
    expect(() => new Prng(1.5)).toThrow(/seed must be an integer/);
  });

  it("repeats the same uniforms for the same seed, differs for another, stays in [0, 1)", () => {
    const xs = Array.from({ length: 1000 }, uniforms(42));
    expect(Array.from({ length: 1000 }, uniforms(42))).toEqual(xs);
    expect(Array.from({ length: 1000 }, uniforms(43))).not.toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
  });

  it("normals have mean ≈ 0 and variance ≈ 1", () => {
    const g = new Prng(7);
    let s = 0,
      s2 = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = g.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
  });

  it("fillNormal draws the requested mean and std", () => {
    const x = createRng(7).fillNormal(new Float32Array(100_000), 0.02, 1);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(1, 3);
    expect(std).toBeCloseTo(0.02, 3);
  });

  it("deriveSeed separates labels and base seeds", () => {
    expect(deriveSeed(1, "a")).not.toBe(deriveSeed(1, "b"));
    expect(deriveSeed(1, "a")).not.toBe(deriveSeed(2, "a"));
    expect(deriveSeed(1, "a")).toBe(deriveSeed(1, "a"));
  });
});
