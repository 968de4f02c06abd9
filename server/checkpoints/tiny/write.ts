// writeTinyCheckpoints: a complete official-layout checkpoint tree with tiny
// widths, seeded random bf16 weights under the exact official key names
// (from server/checkpoints/layout), silence_latent.pt in each DiT folder and
// real Qwen3 tokenizer files:
//   <out>/acestep-v15-turbo/   config.json model.safetensors silence_latent.pt
//   <out>/acestep-v15-base/    config.json model.safetensors silence_latent.pt
//   <out>/vae/                 config.json diffusion_pytorch_model.safetensors
//   <out>/Qwen3-Embedding-0.6B/ config.json model.safetensors tokenizer.json tokenizer_config.json
//   <out>/acestep-5Hz-lm-0.6B/ config.json model.safetensors tokenizer.json tokenizer_config.json
import fs from "node:fs";
import path from "node:path";
import { f32ToBf16Array } from "../float16";
import { type Component, expectedKeys, OFFICIAL_DIRS } from "../layout";
import { type TensorToWrite, writeShardedSafetensors } from "../safetensors-writer";
import { writeTorchTensor } from "../torch-pt";
import { TINY_DIT_BASE_CONFIG, TINY_DIT_TURBO_CONFIG, TINY_LM_CONFIG, TINY_TEXT_ENCODER_CONFIG, TINY_VAE_CONFIG } from "./configs";
import { initTensor, tinySilenceLatent } from "./init";
import { writeTinyTokenizers } from "./tokenizers";

/** Frames of silence_latent.pt: 600 s at 25 Hz, as in the official file. */
export const SILENCE_LATENT_FRAMES = 15000;

export interface TinyCheckpointOptions {
  seed?: number;
  /** shard the text encoder and LM weights at this many bytes (default: one file each) */
  maxShardBytes?: number;
}

export type TinyCheckpointDirs = { [K in keyof typeof OFFICIAL_DIRS]: string };

export function writeTinyCheckpoints(outDir: string, opts: TinyCheckpointOptions = {}): TinyCheckpointDirs {
  const seed = opts.seed ?? 0;
  const dirs = Object.fromEntries(Object.entries(OFFICIAL_DIRS).map(([k, v]) => [k, path.join(outDir, v)])) as TinyCheckpointDirs;
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });

  const component = (dir: string, kind: Component, config: object, stem: string, componentSeed: number, maxShardBytes = Infinity) => {
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
    const layout = expectedKeys(kind, config);
    const tensors: TensorToWrite[] = [...layout].map(([name, shape]) => ({
      name,
      dtype: "BF16",
      shape,
      data: () => f32ToBf16Array(initTensor(name, shape, layout, componentSeed)),
    }));
    writeShardedSafetensors(dir, tensors, { maxShardBytes, baseName: stem, metadata: { format: "pt" } });
  };

  component(dirs.ditTurbo, "dit", TINY_DIT_TURBO_CONFIG, "model", seed);
  component(dirs.ditBase, "dit", TINY_DIT_BASE_CONFIG, "model", seed + 1);
  for (const [dir, s] of [[dirs.ditTurbo, seed], [dirs.ditBase, seed + 1]] as const) {
    const channels = TINY_DIT_TURBO_CONFIG.audio_acoustic_hidden_dim;
    writeTorchTensor(path.join(dir, "silence_latent.pt"), { dtype: "F32", shape: [1, channels, SILENCE_LATENT_FRAMES], data: tinySilenceLatent(channels, SILENCE_LATENT_FRAMES, s) });
  }
  component(dirs.vae, "vae", TINY_VAE_CONFIG, "diffusion_pytorch_model", seed + 2);
  component(dirs.textEncoder, "text-encoder", TINY_TEXT_ENCODER_CONFIG, "model", seed + 3, opts.maxShardBytes);
  component(dirs.lm, "lm", TINY_LM_CONFIG, "model", seed + 4, opts.maxShardBytes);
  writeTinyTokenizers(dirs.textEncoder, dirs.lm);
  return dirs;
}
