// Memory tiers against upstream's table (acestep/gpu_config.py GPU_TIER_CONFIGS, get_gpu_tier;
// ace-step/ACE-Step-1.5 docs/en/GPU_COMPATIBILITY.md): thresholds in GiB, limits, offload below the 16 GB class.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clampBatch, lmSizeOf, memoryTier, tierName } from "./tiers";
import { ModelManager } from "./manager";
import { MANIFEST_VERSION } from "./convert/manifest";

const GiB = 2 ** 30;

describe("memory tiers", () => {
  it("picks upstream's tier at each threshold", () => {
    const cases: Array<[number, string]> = [
      [2, "tier1"],
      [4, "tier1"],
      [4.01, "tier2"],
      [6, "tier2"],
      [8, "tier3"],
      [12, "tier4"],
      [15.4, "tier5"],
      [15.5, "tier6"], // a 16 GB card that reports 15.5–15.9 GiB
      [24, "tier6"],
      [24.01, "unlimited"],
      [Infinity, "unlimited"],
    ];
    for (const [gib, tier] of cases) expect([gib, tierName(gib)]).toEqual([gib, tier]);
  });

  it("carries upstream's limits and turns offload on below the 16 GB class", () => {
    expect(memoryTier(8 * GiB)).toEqual({
      tier: "tier3",
      budgetGiB: 8,
      maxDurationWithLm: 240,
      maxDurationWithoutLm: 360,
      maxBatchWithLm: 1,
      maxBatchWithoutLm: 2,
      lmSizes: ["0.6B"],
      recommendedLm: "0.6B",
      offload: true,
    });
    expect(memoryTier(18 * GiB)).toMatchObject({ tier: "tier6", recommendedLm: "4B", offload: false });
    expect(memoryTier(3 * GiB)).toMatchObject({ tier: "tier1", lmSizes: [], recommendedLm: null, offload: true });
    expect(memoryTier(Infinity)).toMatchObject({ tier: "unlimited", maxBatchWithLm: 8, offload: false });
  });

  it("clamps a batch above the tier's limit with a message, as upstream's generate_music", () => {
    const t = memoryTier(10 * GiB);
    expect(clampBatch(2, t, true)).toEqual({ batch: 2 });
    expect(clampBatch(6, t, true)).toEqual({
      batch: 2,
      message: "batch size 6 exceeds the limit of memory tier4 (budget 10 GiB): at most 2 with the LM; clamped to 2",
    });
    expect(clampBatch(6, t, false).batch).toBe(4);
  });

  it("reads the LM size from the model name", () => {
    expect(lmSizeOf("acestep-5Hz-lm-1.7B")).toBe("1.7B");
    expect(lmSizeOf("acestep-5Hz-lm-4B")).toBe("4B");
    expect(lmSizeOf("my-lm")).toBe("0.6B");
  });
});

describe("the default LM follows the tier", () => {
  const dir = mkdtempSync(join(tmpdir(), "acestep-tier-lm-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // a manifest with three LM entries (find() reads only the manifest)
  const lm = (name: string) => ({ name, component: "lm", files: [], config: {}, sourceFingerprint: name });
  mkdirSync(join(dir, "models"), { recursive: true });
  writeFileSync(
    join(dir, "models", "manifest.json"),
    JSON.stringify({
      version: MANIFEST_VERSION,
      entries: Object.fromEntries(
        ["acestep-5Hz-lm-4B", "acestep-5Hz-lm-0.6B", "acestep-5Hz-lm-1.7B"].map((n) => [n, lm(n)]),
      ),
    }),
  );
  const pick = async (gib: number, name?: string) =>
    (await new ModelManager({ modelsDir: join(dir, "models"), dataDir: dir, budgetBytes: gib * GiB }).find("lm", name))
      .name;

  it("is the largest installed LM the tier runs (upstream's recommended LM), else the smallest", async () => {
    expect(await pick(8)).toBe("acestep-5Hz-lm-0.6B"); // tier3: 0.6B
    expect(await pick(14)).toBe("acestep-5Hz-lm-1.7B"); // tier5: 0.6B, 1.7B
    expect(await pick(64)).toBe("acestep-5Hz-lm-4B"); // unlimited
    expect(await pick(3)).toBe("acestep-5Hz-lm-0.6B"); // tier1 runs none: the smallest when asked for
    expect(await pick(8, "acestep-5Hz-lm-4B")).toBe("acestep-5Hz-lm-4B"); // a named model is never replaced
  });
});
