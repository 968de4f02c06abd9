import { describe, expect, it } from "vitest";
import { samplePosterior, posteriorLatents } from "./posterior";
import { Xoshiro128 } from "./prng";

describe("xoshiro128** posterior PRNG", () => {
  it("is pinned: the same seed gives the same stream forever", () => {
    const r = new Xoshiro128(42);
    expect([r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([660444221, 3652823732, 77672526]);
    const q = new Xoshiro128(42);
    expect([q.normal(), q.normal(), q.normal()].map(Math.fround)).toEqual([
      0.5741420388221741, 0.06552115082740784, -0.1762818843126297,
    ]);
    expect(new Xoshiro128(0).nextU32()).toBe(1789933344);
  });

  it("uses the high word of seeds above 2^32 and rejects bad seeds", () => {
    expect(new Xoshiro128(2 ** 40 + 5).nextU32()).not.toBe(new Xoshiro128(5).nextU32());
    expect(() => new Xoshiro128(-1)).toThrow();
    expect(() => new Xoshiro128(1.5)).toThrow();
  });

  it("normals have mean ≈ 0 and variance ≈ 1", () => {
    const g = new Xoshiro128(7);
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

  it("posterior: mean by default, mean + std·N(0,1) seeded on request", () => {
    const mean = Float32Array.from([1, 2, 3, 4]);
    const std = Float32Array.from([0, 0.5, 1, 2]);
    expect(posteriorLatents(mean, std)).toBe(mean);
    const a = posteriorLatents(mean, std, { kind: "sample", seed: 9 });
    expect(a[0]).toBe(1); // std 0 → the mean
    expect(Array.from(a)).toEqual(Array.from(samplePosterior(mean, std, 9)));
    const g = new Xoshiro128(9);
    const expected = Array.from(mean, (m, i) => Math.fround(m + std[i] * g.normal()));
    expect(Array.from(a)).toEqual(expected);
  });
});
