// writeTinyCheckpoints: the tiny demo tree, i.e. fabricateCheckpoints at size "tiny" (server/checkpoints/fabricate):
//   <out>/acestep-v15-turbo/   config.json model.safetensors silence_latent.pt
//   <out>/acestep-v15-base/    config.json model.safetensors silence_latent.pt
//   <out>/vae/                 config.json diffusion_pytorch_model.safetensors
//   <out>/Qwen3-Embedding-0.6B/ config.json model.safetensors tokenizer.json tokenizer_config.json
//   <out>/acestep-5Hz-lm-0.6B/ config.json model.safetensors tokenizer.json tokenizer_config.json
//   <out>/acestep-v15-sft/, acestep-5Hz-lm-1.7B/, acestep-5Hz-lm-4B/  (as turbo and the 0.6B LM; configs.ts)
import path from "node:path";
import { FABRICATE_CATALOG } from "../fabricate/catalog";
import { fabricateCheckpoints } from "../fabricate/fabricate";
import { OFFICIAL_DIRS } from "../layout/components";

export { SILENCE_LATENT_FRAMES } from "../fabricate/fabricate";

export type TinyFolder = keyof typeof OFFICIAL_DIRS;
export type TinyCheckpointDirs = { [K in TinyFolder]: string };

export interface TinyCheckpointOptions {
  seed?: number;
  /** shard the text encoder and LM weights at this many bytes (default: one file each) */
  maxShardBytes?: number;
  /** Only these folders (keys of OFFICIAL_DIRS); default: all of them. */
  only?: readonly TinyFolder[];
}

/** Every tiny folder key, in writing order. */
export const TINY_FOLDERS: TinyFolder[] = FABRICATE_CATALOG.map((c) => c.key);

/** Writes the tiny tree (or the `only` folders of it); returns the path of every folder, written or not. */
export function writeTinyCheckpoints(outDir: string, opts: TinyCheckpointOptions = {}): TinyCheckpointDirs {
  const wanted = opts.only ?? TINY_FOLDERS;
  const components = FABRICATE_CATALOG.filter((c) => wanted.includes(c.key)).map((c) => c.id);
  fabricateCheckpoints(outDir, { size: "tiny", seed: opts.seed, maxShardBytes: opts.maxShardBytes, components });
  return Object.fromEntries(
    Object.entries(OFFICIAL_DIRS).map(([k, v]) => [k, path.join(outDir, v)]),
  ) as TinyCheckpointDirs;
}
