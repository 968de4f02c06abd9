import { describe, expect, it } from "vitest";
import { seededRandn } from "./noise";
import {
  batchNoise,
  batchNoiseYielding,
  configSeedsToSeedString,
  prepareSeeds,
  resolveSeeds,
  sdeStepNoise,
} from "./seeds";

/** A deterministic stand-in for random seeds: 1000, 1001, … */
function counter(start = 1000) {
  let n = start;
  return () => n++;
}

describe("prepare_seeds", () => {
  it("draws fresh seeds when use_random_seed is on", () => {
    expect(prepareSeeds(3, "5,6,7", true, counter())).toEqual({
      seeds: [1000, 1001, 1002],
      seedValue: "1000, 1001, 1002",
    });
  });

  it("uses a comma-separated list one per item", () => {
    expect(prepareSeeds(3, "5, 6,7", false, counter()).seeds).toEqual([5, 6, 7]);
  });

  it("pads a short list with random seeds and truncates a long one", () => {
    expect(prepareSeeds(4, "5,6", false, counter()).seeds).toEqual([5, 6, 1000, 1001]);
    expect(prepareSeeds(2, "5,6,7", false, counter()).seeds).toEqual([5, 6]);
  });

  it("seeds only item 0 when a single seed is given with batch > 1", () => {
    expect(prepareSeeds(3, 42, false, counter()).seeds).toEqual([42, 1000, 1001]);
    expect(prepareSeeds(3, "42", false, counter()).seeds).toEqual([42, 1000, 1001]);
    expect(prepareSeeds(1, 42, false, counter()).seeds).toEqual([42]);
  });

  it("turns -1, empty and unparsable entries into random seeds", () => {
    expect(prepareSeeds(3, "-1,7,abc", false, counter()).seeds).toEqual([1000, 7, 1001]);
    expect(prepareSeeds(2, "", false, counter()).seeds).toEqual([1000, 1001]);
    expect(prepareSeeds(2, -1, false, counter()).seeds).toEqual([1000, 1001]);
    expect(prepareSeeds(2, null, false, counter()).seeds).toEqual([1000, 1001]);
    expect(prepareSeeds(2, "12.9, 1e3", false, counter()).seeds).toEqual([12, 1000]);
    expect(prepareSeeds(1, "0x10", false, counter()).seeds).toEqual([1000]);
  });

  it("keeps other negative values verbatim like upstream", () => {
    expect(prepareSeeds(2, "-5,3", false, counter()).seeds).toEqual([-5, 3]);
  });

  it("formats seed_value with ', '", () => {
    expect(prepareSeeds(2, "1,2", false).seedValue).toBe("1, 2");
  });
});

describe("GenerationConfig.seeds", () => {
  it("converts list and int to the seed string", () => {
    expect(configSeedsToSeedString([1, 2])).toBe("1,2");
    expect(configSeedsToSeedString(7)).toBe("7");
    expect(configSeedsToSeedString([])).toBe("");
    expect(configSeedsToSeedString(null)).toBe("");
  });

  it("prefers config.seeds, falls back to params.seed, and is random by default", () => {
    expect(resolveSeeds({ batchSize: 2, useRandomSeed: false, seeds: [9], seed: 5 }, counter()).seeds).toEqual([
      9, 1000,
    ]);
    expect(resolveSeeds({ batchSize: 1, useRandomSeed: false, seed: 5 }, counter()).seeds).toEqual([5]);
    expect(resolveSeeds({ batchSize: 2, seeds: [1, 2] }, counter()).seeds).toEqual([1000, 1001]);
  });
});

describe("batch noise", () => {
  it("gives each item its own seeded [1, T, C] noise", () => {
    const { noise, usedSeeds } = batchNoise([3, -1], 4, 8, { dtype: "fp32" }, counter(77));
    expect(usedSeeds).toEqual([3, 77]);
    expect(noise.subarray(0, 32)).toEqual(seededRandn(3, 32, { dtype: "fp32" }));
    expect(noise.subarray(32)).toEqual(seededRandn(77, 32, { dtype: "fp32" }));
  });
});

describe("batch noise, yielding", () => {
  it("draws the same noise as batchNoise, letting the event loop run between slices of values", async () => {
    // 2 items × 750 frames × 64 channels (a 30 s song): 96 000 values, drawn in slices of 8192
    let immediates = 0;
    let on = true;
    const spin = () => {
      immediates++;
      if (on) setImmediate(spin);
    };
    for (const opts of [{ dtype: "bf16" as const }, { backend: "cpu" as const }]) {
      const sync = batchNoise([5, 6], 750, 64, opts);
      immediates = 0;
      on = true;
      setImmediate(spin);
      const yielded = await batchNoiseYielding([5, 6], 750, 64, opts);
      on = false;
      expect(yielded).toEqual(sync);
      // the sync batchNoise would let none run until it returns
      expect(immediates).toBeGreaterThanOrEqual(8);
    }
  });
});

describe("SDE step noise", () => {
  it("seeds step i with seed + i + 1", () => {
    expect(sdeStepNoise(10, 2, 8)).toEqual(seededRandn(13, 8));
  });
});
