// Memory tiers after upstream's GPU tiers (ace-step/ACE-Step-1.5 acestep/gpu_config.py, GPU_TIER_CONFIGS and
// get_gpu_tier at f30aee4): the memory budget (ACESTEP_MEMORY_BUDGET, or a share of the machine's memory) picks
// the tier, and the tier says which LM sizes fit, the longest song and the largest batch with and without the LM,
// and whether models are offloaded between stages. Upstream sizes the tier by GPU memory in GiB
// (torch total_memory / 1024³) and turns offload on below the 16 GB class (auto_offload in
// acestep/api_server.py); here "offload" means the sessions the rest of a run does not need are released before
// each stage (server/models/memory-plan.ts) instead of only when the budget is short.

export type TierName = "tier1" | "tier2" | "tier3" | "tier4" | "tier5" | "tier6" | "unlimited";
export type LmSize = "0.6B" | "1.7B" | "4B";

export interface MemoryTier {
  tier: TierName;
  /** The budget the tier was chosen from, in GiB. */
  budgetGiB: number;
  maxDurationWithLm: number;
  maxDurationWithoutLm: number;
  maxBatchWithLm: number;
  maxBatchWithoutLm: number;
  /** LM sizes this tier runs (upstream's available_lm_models). */
  lmSizes: LmSize[];
  /** The largest of them (upstream's get_recommended_lm_model), null when none fits. */
  recommendedLm: LmSize | null;
  /** Release sessions the rest of the run does not need before each stage. */
  offload: boolean;
}

type Row = Omit<MemoryTier, "tier" | "budgetGiB" | "recommendedLm" | "offload">;

/** Upstream's GPU_TIER_CONFIGS values (durations in seconds). */
const TIERS: Record<TierName, Row> = {
  tier1: { maxDurationWithLm: 180, maxDurationWithoutLm: 180, maxBatchWithLm: 1, maxBatchWithoutLm: 1, lmSizes: [] },
  tier2: { maxDurationWithLm: 360, maxDurationWithoutLm: 360, maxBatchWithLm: 1, maxBatchWithoutLm: 1, lmSizes: [] },
  tier3: {
    maxDurationWithLm: 240,
    maxDurationWithoutLm: 360,
    maxBatchWithLm: 1,
    maxBatchWithoutLm: 2,
    lmSizes: ["0.6B"],
  },
  tier4: {
    maxDurationWithLm: 240,
    maxDurationWithoutLm: 360,
    maxBatchWithLm: 2,
    maxBatchWithoutLm: 4,
    lmSizes: ["0.6B"],
  },
  tier5: {
    maxDurationWithLm: 240,
    maxDurationWithoutLm: 360,
    maxBatchWithLm: 2,
    maxBatchWithoutLm: 4,
    lmSizes: ["0.6B", "1.7B"],
  },
  tier6: {
    maxDurationWithLm: 480,
    maxDurationWithoutLm: 480,
    maxBatchWithLm: 4,
    maxBatchWithoutLm: 8,
    lmSizes: ["0.6B", "1.7B", "4B"],
  },
  unlimited: {
    maxDurationWithLm: 600,
    maxDurationWithoutLm: 600,
    maxBatchWithLm: 8,
    maxBatchWithoutLm: 8,
    lmSizes: ["0.6B", "1.7B", "4B"],
  },
};

/** Upstream treats ≥ 15.5 GiB as the 16 GB class (VRAM_16GB_MIN_GB: drivers reserve a little). */
const GIB16_CLASS = 16 - 0.5;

/** The tier name for a budget in GiB (upstream's get_gpu_tier thresholds). */
export function tierName(gib: number): TierName {
  if (gib <= 4) return "tier1";
  if (gib <= 6) return "tier2";
  if (gib <= 8) return "tier3";
  if (gib <= 12) return "tier4";
  if (gib < GIB16_CLASS) return "tier5";
  if (gib <= 24) return "tier6";
  return "unlimited";
}

/** The tier of a memory budget in bytes (Infinity: unlimited). */
export function memoryTier(budgetBytes: number): MemoryTier {
  const gib = budgetBytes / 2 ** 30;
  const tier = tierName(gib);
  const row = TIERS[tier];
  return {
    tier,
    budgetGiB: Number.isFinite(gib) ? Math.round(gib * 100) / 100 : gib,
    ...row,
    lmSizes: [...row.lmSizes],
    recommendedLm: row.lmSizes.at(-1) ?? null,
    offload: gib < GIB16_CLASS,
  };
}

/** The LM size in a model name (upstream's get_lm_model_size; unknown names count as the smallest). */
export function lmSizeOf(name: string): LmSize {
  if (name.includes("0.6B")) return "0.6B";
  if (name.includes("1.7B")) return "1.7B";
  if (name.includes("4B")) return "4B";
  return "0.6B";
}

/**
 * Upstream's batch clamp (acestep/inference.py generate_music, check_batch_size_limit in gpu_config.py): a batch
 * above the tier's limit is clamped, with a message saying so.
 */
export function clampBatch(batch: number, tier: MemoryTier, withLm: boolean): { batch: number; message?: string } {
  const max = withLm ? tier.maxBatchWithLm : tier.maxBatchWithoutLm;
  if (batch <= max) return { batch };
  return {
    batch: max,
    message: `batch size ${batch} exceeds the limit of memory ${tier.tier} (budget ${tier.budgetGiB} GiB): at most ${max} ${withLm ? "with" : "without"} the LM; clamped to ${max}`,
  };
}
