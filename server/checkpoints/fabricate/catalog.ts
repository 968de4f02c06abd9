// What `acestep models fabricate` can write: every component we support, under its official
// folder name, weights file stem and config.json, at two sizes: "full" (the official configs:
// real parameter counts) and "tiny" (the same structure with small widths, for tests and demos).
import { type Component, OFFICIAL_DIRS } from "../layout/components";
import {
  OFFICIAL_DIT_BASE_CONFIG,
  OFFICIAL_DIT_SFT_CONFIG,
  OFFICIAL_DIT_TURBO_CONFIG,
  OFFICIAL_LM_06B_CONFIG,
  OFFICIAL_LM_17B_CONFIG,
  OFFICIAL_LM_4B_CONFIG,
  OFFICIAL_TEXT_ENCODER_CONFIG,
  OFFICIAL_VAE_CONFIG,
} from "../layout/official-configs";
import {
  TINY_DIT_BASE_CONFIG,
  TINY_DIT_SFT_CONFIG,
  TINY_DIT_TURBO_CONFIG,
  TINY_LM_17B_CONFIG,
  TINY_LM_4B_CONFIG,
  TINY_LM_CONFIG,
  TINY_TEXT_ENCODER_CONFIG,
  TINY_VAE_CONFIG,
} from "../tiny/configs";

export type FabricateSize = "tiny" | "full";
export const FABRICATE_SIZES: readonly FabricateSize[] = ["tiny", "full"];

/** Side files a component needs besides config.json and its weights. */
export type SideFiles = "silence-latent" | "text-encoder-tokenizer" | "lm-tokenizer";

export type OfficialFolderKey = keyof typeof OFFICIAL_DIRS;

export interface CatalogEntry {
  /** name on the command line (--components; the folder name works too) */
  id: string;
  /** key of the official folder name in OFFICIAL_DIRS */
  key: OfficialFolderKey;
  /** official folder name under checkpoints/ */
  folder: string;
  component: Component;
  /** weights file stem: <stem>.safetensors, or <stem>-0000i-of-0000n.safetensors + <stem>.safetensors.index.json */
  stem: string;
  configs: Record<FabricateSize, Record<string, unknown>>;
  /** added to the base seed: each component draws its own weights */
  seedOffset: number;
  side: SideFiles | null;
}

export const FABRICATE_CATALOG: readonly CatalogEntry[] = [
  {
    id: "turbo",
    key: "ditTurbo",
    folder: OFFICIAL_DIRS.ditTurbo,
    component: "dit",
    stem: "model",
    configs: { tiny: TINY_DIT_TURBO_CONFIG, full: OFFICIAL_DIT_TURBO_CONFIG },
    seedOffset: 0,
    side: "silence-latent",
  },
  {
    id: "base",
    key: "ditBase",
    folder: OFFICIAL_DIRS.ditBase,
    component: "dit",
    stem: "model",
    configs: { tiny: TINY_DIT_BASE_CONFIG, full: OFFICIAL_DIT_BASE_CONFIG },
    seedOffset: 1,
    side: "silence-latent",
  },
  {
    id: "sft",
    key: "ditSft",
    folder: OFFICIAL_DIRS.ditSft,
    component: "dit",
    stem: "model",
    configs: { tiny: TINY_DIT_SFT_CONFIG, full: OFFICIAL_DIT_SFT_CONFIG },
    seedOffset: 5,
    side: "silence-latent",
  },
  {
    id: "vae",
    key: "vae",
    folder: OFFICIAL_DIRS.vae,
    component: "vae",
    stem: "diffusion_pytorch_model",
    configs: { tiny: TINY_VAE_CONFIG, full: OFFICIAL_VAE_CONFIG },
    seedOffset: 2,
    side: null,
  },
  {
    id: "text-encoder",
    key: "textEncoder",
    folder: OFFICIAL_DIRS.textEncoder,
    component: "text-encoder",
    stem: "model",
    configs: { tiny: TINY_TEXT_ENCODER_CONFIG, full: OFFICIAL_TEXT_ENCODER_CONFIG },
    seedOffset: 3,
    side: "text-encoder-tokenizer",
  },
  {
    id: "lm-0.6B",
    key: "lm",
    folder: OFFICIAL_DIRS.lm,
    component: "lm",
    stem: "model",
    configs: { tiny: TINY_LM_CONFIG, full: OFFICIAL_LM_06B_CONFIG },
    seedOffset: 4,
    side: "lm-tokenizer",
  },
  {
    id: "lm-1.7B",
    key: "lm17b",
    folder: OFFICIAL_DIRS.lm17b,
    component: "lm",
    stem: "model",
    configs: { tiny: TINY_LM_17B_CONFIG, full: OFFICIAL_LM_17B_CONFIG },
    seedOffset: 6,
    side: "lm-tokenizer",
  },
  {
    id: "lm-4B",
    key: "lm4b",
    folder: OFFICIAL_DIRS.lm4b,
    component: "lm",
    stem: "model",
    configs: { tiny: TINY_LM_4B_CONFIG, full: OFFICIAL_LM_4B_CONFIG },
    seedOffset: 7,
    side: "lm-tokenizer",
  },
];

/** Default selection: tiny = the whole demo tree; full = what a text2music-with-thinking run needs. */
export const DEFAULT_FABRICATE_COMPONENTS: Record<FabricateSize, readonly string[]> = {
  tiny: ["turbo", "base", "sft", "vae", "text-encoder", "lm-0.6B", "lm-1.7B", "lm-4B"],
  full: ["turbo", "vae", "text-encoder", "lm-0.6B"],
};

/**
 * Largest shard: transformers' `save_pretrained` default `max_shard_size="5GB"` (decimal). With it the published
 * layout comes out: one model.safetensors for the DiT (4.8 GB bf16), the text encoder and the 0.6B/1.7B LMs, and
 * model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json for the 4B LM (8 GB bf16).
 */
export const UPSTREAM_MAX_SHARD_BYTES = 5_000_000_000;
