// LoRA tensor key names → the DiT checkpoint weight they patch (`decoder.<module>.weight`).
//
// Formats users have (all relative to the DiT decoder, AceStepDiTModel):
// * official PEFT adapter (ace-step/ACE-Step-1.5 acestep/training/lora_utils.py `inject_lora_into_dit` wraps
//   `model.decoder` with `get_peft_model`, `save_lora_weights` calls `decoder.save_pretrained`):
//   `base_model.model.layers.0.self_attn.q_proj.lora_A.weight` (`.lora_A.default.weight` before PEFT strips the
//   adapter name) and `…lora_B.weight`; alpha lives in adapter_config.json.
// * ComfyUI single file (Comfy-Org/ComfyUI comfy/lora.py `model_lora_keys_unet`, ACEStep15 branch, and
//   comfy/weight_adapter/lora.py `LoRAAdapter.load`): the same module path under `base_model.model.`,
//   `diffusion_model.decoder.` or `lora_unet_decoder_` / `lycoris_` (dots as underscores), with
//   `.lora_down.weight` (A), `.lora_up.weight` (B) and an optional scalar `.alpha` per module.
// * acestep.cpp (src/lora-merge.h `lora_base_name`) also strips `diffusion_model.` and accepts module paths that
//   start at `layers.` or `decoder.layers.`.

export type LoraPart = "A" | "B" | "alpha";

export interface ParsedLoraKey {
  /** The base weight the tensor patches, e.g. `decoder.layers.0.self_attn.q_proj.weight`. */
  target: string;
  part: LoraPart;
}

const PART_SUFFIXES: Array<[RegExp, LoraPart]> = [
  [/\.lora_A(?:\.default)?\.weight$/, "A"],
  [/\.lora_B(?:\.default)?\.weight$/, "B"],
  [/\.lora_down\.weight$/, "A"],
  [/\.lora_up\.weight$/, "B"],
  [/\.alpha$/, "alpha"],
];

/** Adapter kinds we recognise but cannot apply as W + s·B·A (LyCORIS LoKr/LoHa, DoRA, trained biases). */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\.(lokr_w[12](_[ab])?|hada_w[12]_[ab]|hada_t[12])/, "LoKr/LoHa (LyCORIS) tensors are not supported, only LoRA"],
  [/lora_magnitude_vector/, "DoRA adapters are not supported, only plain LoRA"],
  [/\.lora_[AB](\.default)?\.bias$|\.lora_(up|down)\.bias$/, "LoRA bias tensors are not supported"],
  [/\.lora_mid\./, "LoRA mid (conv) tensors are not supported"],
];

/** Underscored module names (`layers_0_self_attn_q_proj`) back to dotted paths of the DiT decoder. */
const UNDERSCORED: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^layers_(\d+)_(self_attn|cross_attn)_(q_proj|k_proj|v_proj|o_proj)$/, (m) => `layers.${m[1]}.${m[2]}.${m[3]}`],
  [/^layers_(\d+)_mlp_(gate_proj|up_proj|down_proj)$/, (m) => `layers.${m[1]}.mlp.${m[2]}`],
  [/^(time_embed|time_embed_r)_(linear_1|linear_2|time_proj)$/, (m) => `${m[1]}.${m[2]}`],
  [/^condition_embedder$/, () => "condition_embedder"],
];

export class LoraKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
    readonly file: string,
  ) {
    super(`LoRA ${file}: key "${key}": ${reason}`);
    this.name = "LoraKeyError";
  }
}

/** Maps one adapter tensor key to its target weight; throws LoraKeyError naming the key when it cannot. */
export function parseLoraKey(key: string, file: string): ParsedLoraKey {
  for (const [re, why] of UNSUPPORTED) if (re.test(key)) throw new LoraKeyError(key, why, file);
  const suffix = PART_SUFFIXES.find(([re]) => re.test(key));
  if (!suffix) {
    throw new LoraKeyError(key, "not a LoRA tensor (expected …lora_A/lora_B/lora_down/lora_up.weight or …alpha)", file);
  }
  const module = key.replace(suffix[0], "");
  const path = modulePath(module);
  if (path === null) {
    throw new LoraKeyError(key, `module "${module}" is not part of the ACE-Step DiT decoder`, file);
  }
  return { target: `decoder.${path}.weight`, part: suffix[1] };
}

/** The module path inside the decoder (`layers.0.self_attn.q_proj`), or null when the key is for another model. */
function modulePath(module: string): string | null {
  for (const prefix of ["base_model.model.", "diffusion_model.", "model.diffusion_model.", "transformer."]) {
    if (module.startsWith(prefix)) {
      module = module.slice(prefix.length);
      break;
    }
  }
  for (const prefix of ["lora_unet_", "lycoris_"]) {
    if (module.startsWith(prefix)) {
      const rest = module.slice(prefix.length).replace(/^decoder_/, "");
      for (const [re, to] of UNDERSCORED) {
        const m = rest.match(re);
        if (m) return to(m);
      }
      return null;
    }
  }
  if (module.startsWith("decoder.")) module = module.slice("decoder.".length);
  return /^(layers\.\d+\.|time_embed|condition_embedder|proj_)/.test(module) ? module : null;
}
