import { describe, expect, it } from "vitest";
import { Prng } from "../../random/prng";
import { posteriorLatents, samplePosterior } from "./posterior";

describe("VAE posterior", () => {
  it("is the mean by default and mean + std·N(0,1) from the seeded stream on request", () => {
    const mean = Float32Array.from([1, 2, 3, 4]);
    const std = Float32Array.from([0, 0.5, 1, 2]);
    expect(posteriorLatents(mean, std)).toBe(mean);
    const a = posteriorLatents(mean, std, { kind: "sample", seed: 9 });
    expect(a[0]).toBe(1); // std 0 → the mean
    expect(Array.from(a)).toEqual(Array.from(samplePosterior(mean, std, 9)));
    const g = new Prng(9);
    const expected = Array.from(mean, (m, i) => Math.fround(m + std[i] * g.normal()));
    expect(Array.from(a)).toEqual(expected);
  });
});
