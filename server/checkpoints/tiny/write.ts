// writeTinyCheckpoints: a complete official-layout checkpoint tree with tiny
// widths, seeded random bf16 weights under the exact official key names
// (from server/checkpoints/layout), silence_latent.pt in each DiT folder and
// real Qwen3 tokenizer files:
//   <out>/acestep-v15-turbo/   config.json model.safetensors silence_latent.pt
//   <out>/acestep-v15-base/    config.json model.safetensors silence_latent.pt
//   <out>/vae/                 config.json diffusion_pytorch_model.safetensors
//   <out>/Qwen3-Embedding-0.6B/ config.json model.safetensors tokenizer.json tokenizer_config.json
//   <out>/acestep-5Hz-lm-0.6B/ config.json model.safetensors tokenizer.json tokenizer_config.json
//   <out>/acestep-v15-sft/, acestep-5Hz-lm-1.7B/, acestep-5Hz-lm-4B/  (as turbo and the 0.6B LM; configs.ts)
import fs from "node:fs";
import path from "node:path";
import { f32ToBf16Array } from "../float16";
import { type Component, expectedKeys, OFFICIAL_DIRS } from "../layout";
import { type TensorToWrite, writeShardedSafetensors } from "../safetensors-writer";
import { writeTorchTensor } from "../torch-pt";
import {
  TINY_DIT_BASE_CONFIG, TINY_DIT_SFT_CONFIG, TINY_DIT_TURBO_CONFIG, TINY_LM_17B_CONFIG, TINY_LM_4B_CONFIG, TINY_LM_CONFIG,
  TINY_TEXT_ENCODER_CONFIG, TINY_VAE_CONFIG,
} from "./configs";
import { initTensor, tinySilenceLatent } from "./init";
import { writeTinyTokenizers } from "./tokenizers";

/** Frames of silence_latent.pt: 600 s at 25 Hz, as in the official file. */
export const SILENCE_LATENT_FRAMES = 15000;

export interface TinyCheckpointOptions {
  seed?: number;
  /** shard the text encoder and LM weights at this many bytes (default: one file each) */
  maxShardBytes?: number;
  /** Only these folders (keys of OFFICIAL_DIRS); default: all of them. */
  only?: readonly TinyFolder[];
}

export type TinyFolder = keyof typeof OFFICIAL_DIRS;
export type TinyCheckpointDirs = { [K in TinyFolder]: string };

/** What each folder holds: component kind, config, weight file stem and seed offset (kept stable per folder). */
const FOLDERS: Record<TinyFolder, { kind: Component; config: object; stem: string; seedOffset: number }> = {
  ditTurbo: { kind: "dit", config: TINY_DIT_TURBO_CONFIG, stem: "model", seedOffset: 0 },
  ditBase: { kind: "dit", config: TINY_DIT_BASE_CONFIG, stem: "model", seedOffset: 1 },
  vae: { kind: "vae", config: TINY_VAE_CONFIG, stem: "diffusion_pytorch_model", seedOffset: 2 },
  textEncoder: { kind: "text-encoder", config: TINY_TEXT_ENCODER_CONFIG, stem: "model", seedOffset: 3 },
  lm: { kind: "lm", config: TINY_LM_CONFIG, stem: "model", seedOffset: 4 },
  ditSft: { kind: "dit", config: TINY_DIT_SFT_CONFIG, stem: "model", seedOffset: 5 },
  lm17b: { kind: "lm", config: TINY_LM_17B_CONFIG, stem: "model", seedOffset: 6 },
  lm4b: { kind: "lm", config: TINY_LM_4B_CONFIG, stem: "model", seedOffset: 7 },
};

/** Every tiny folder key, in writing order. */
export const TINY_FOLDERS = Object.keys(FOLDERS) as TinyFolder[];

/** Writes the tiny tree (or the `only` folders of it); returns the path of every folder, written or not. */
export function writeTinyCheckpoints(outDir: string, opts: TinyCheckpointOptions = {}): TinyCheckpointDirs {
  const seed = opts.seed ?? 0;
  const dirs = Object.fromEntries(Object.entries(OFFICIAL_DIRS).map(([k, v]) => [k, path.join(outDir, v)])) as TinyCheckpointDirs;
  const wanted = opts.only ?? TINY_FOLDERS;
  for (const key of wanted) {
    const { kind, config, stem, seedOffset } = FOLDERS[key];
    const dir = dirs[key];
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
    const layout = expectedKeys(kind, config);
    const tensors: TensorToWrite[] = [...layout].map(([name, shape]) => ({
      name,
      dtype: "BF16",
      shape,
      data: () => f32ToBf16Array(initTensor(name, shape, layout, seed + seedOffset)),
    }));
    const shard = kind === "lm" || kind === "text-encoder" ? opts.maxShardBytes : undefined;
    writeShardedSafetensors(dir, tensors, { maxShardBytes: shard ?? Infinity, baseName: stem, metadata: { format: "pt" } });
    if (kind === "dit") {
      const channels = TINY_DIT_TURBO_CONFIG.audio_acoustic_hidden_dim;
      const data = tinySilenceLatent(channels, SILENCE_LATENT_FRAMES, seed + seedOffset);
      writeTorchTensor(path.join(dir, "silence_latent.pt"), { dtype: "F32", shape: [1, channels, SILENCE_LATENT_FRAMES], data });
    }
  }
  const lmDirs = wanted.filter((k) => FOLDERS[k].kind === "lm").map((k) => dirs[k]);
  writeTinyTokenizers(wanted.includes("textEncoder") ? dirs.textEncoder : null, lmDirs);
  return dirs;
}
