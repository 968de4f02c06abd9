// Writing LoRA adapters in the official PEFT layout (what `decoder.save_pretrained` produces in
// ace-step/ACE-Step-1.5 acestep/training/lora_utils.py): <dir>/adapter_config.json and
// <dir>/adapter_model.safetensors with `base_model.model.<module>.lora_A.weight` [r, in] and
// `…lora_B.weight` [out, r]. Used for the tiny demo adapter, tests and benchmarks (random factors; a trained
// adapter starts with B = 0, which would change nothing).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors, type TensorToWrite } from "../../checkpoints";
import { f32ToBf16Array } from "../../checkpoints/float16";
import { ditLayout } from "../../checkpoints/layout";
import { createRng, deriveSeed, TINY_DIT_TURBO_CONFIG } from "../../checkpoints/tiny";
import { PEFT_CONFIG_FILE, PEFT_WEIGHTS_FILE } from "./adapter";

export interface LoraFactors {
  /** Module path inside the decoder, e.g. `layers.0.self_attn.q_proj`. */
  module: string;
  rank: number;
  /** [rank, in] */
  a: Float32Array;
  /** [out, rank] */
  b: Float32Array;
  in: number;
  out: number;
}

export interface PeftAdapterOptions {
  r: number;
  alpha: number;
  rslora?: boolean;
  targetModules?: string[];
  baseModel?: string;
  dtype?: "F32" | "BF16";
}

/** The official trainer's default targets (acestep/training/configs.py `LoRAConfig.target_modules`). */
export const OFFICIAL_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj"];

export function writePeftAdapter(dir: string, factors: LoraFactors[], o: PeftAdapterOptions): void {
  mkdirSync(dir, { recursive: true });
  const config = {
    peft_type: "LORA",
    task_type: "FEATURE_EXTRACTION",
    base_model_name_or_path: o.baseModel ?? null,
    r: o.r,
    lora_alpha: o.alpha,
    lora_dropout: 0.1,
    use_rslora: o.rslora ?? false,
    use_dora: false,
    bias: "none",
    target_modules: o.targetModules ?? OFFICIAL_TARGET_MODULES,
    rank_pattern: {},
    alpha_pattern: {},
    inference_mode: true,
  };
  writeFileSync(join(dir, PEFT_CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
  const dtype = o.dtype ?? "F32";
  const data = (x: Float32Array) => (dtype === "BF16" ? f32ToBf16Array(x) : x);
  const tensors: TensorToWrite[] = factors.flatMap((f) => [
    { name: `base_model.model.${f.module}.lora_A.weight`, dtype, shape: [f.rank, f.in], data: () => data(f.a) },
    { name: `base_model.model.${f.module}.lora_B.weight`, dtype, shape: [f.out, f.rank], data: () => data(f.b) },
  ]);
  writeSafetensors(join(dir, PEFT_WEIGHTS_FILE), tensors, { format: "pt" });
}

/**
 * Random factors for every decoder Linear whose module name ends with one of `targetModules` (PEFT's suffix
 * match), shapes from the DiT config. A ~ N(0, 1/in), B ~ N(0, std).
 */
export function randomLoraFactors(
  ditConfig: unknown,
  o: { rank: number; seed?: number; std?: number; targetModules?: string[] },
): LoraFactors[] {
  const targets = o.targetModules ?? OFFICIAL_TARGET_MODULES;
  const out: LoraFactors[] = [];
  for (const [key, shape] of ditLayout(ditConfig).required) {
    const m = key.match(/^decoder\.(.+)\.weight$/);
    if (!m || shape.length !== 2 || !targets.some((t) => m[1] === t || m[1].endsWith(`.${t}`))) continue;
    const [outF, inF] = shape;
    const rng = createRng(deriveSeed(o.seed ?? 0, m[1]));
    const a = rng.fillNormal(new Float32Array(o.rank * inF), 1 / Math.sqrt(inF));
    const b = rng.fillNormal(new Float32Array(outF * o.rank), o.std ?? 0.05);
    out.push({ module: m[1], rank: o.rank, a, b, in: inF, out: outF });
  }
  return out;
}

/** Folder name of the demo adapter (under loras/). */
export const TINY_LORA_NAME = "tiny-demo-lora";

/** The demo adapter of a tiny demo model set: `<modelsDir>/loras/tiny-demo-lora` (written once). */
export function ensureDemoLora(modelsDir: string): void {
  const dir = join(modelsDir, "loras", TINY_LORA_NAME);
  if (!existsSync(join(dir, PEFT_WEIGHTS_FILE))) writeTinyLora(dir, TINY_DIT_TURBO_CONFIG);
}

/** The demo adapter `acestep models tiny` writes for the tiny DiT: rank 4, alpha 8, the official targets. */
export function writeTinyLora(dir: string, ditConfig: unknown, seed = 0): void {
  const factors = randomLoraFactors(ditConfig, { rank: 4, seed });
  writePeftAdapter(dir, factors, { r: 4, alpha: 8, baseModel: "acestep-v15-turbo (tiny demo)", dtype: "BF16" });
}
