// Tiny configs and checkpoint-key specs for the parity tests (shapes in checkpoint layout, Linear [out, in]).
import type { Qwen3Config } from "../../server/onnx/qwen3";
import type { AceStepEncoderConfig } from "../../server/onnx/encoder-layers";
import type { RefDims } from "./reference/transformer";

export const tinyQwen3: Qwen3Config = {
  vocab_size: 61,
  hidden_size: 32,
  intermediate_size: 40,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  attention_bias: false,
};

export const tinyEncoder: AceStepEncoderConfig = {
  hidden_size: 32,
  intermediate_size: 48,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  rms_norm_eps: 1e-6,
  rope_theta: 1_000_000,
  sliding_window: 2,
  layer_types: ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
};

export function layerSpec(
  p: string,
  H: number,
  heads: number,
  kvHeads: number,
  D: number,
  I: number,
): Record<string, number[]> {
  return {
    [`${p}input_layernorm.weight`]: [H],
    [`${p}post_attention_layernorm.weight`]: [H],
    [`${p}self_attn.q_proj.weight`]: [heads * D, H],
    [`${p}self_attn.k_proj.weight`]: [kvHeads * D, H],
    [`${p}self_attn.v_proj.weight`]: [kvHeads * D, H],
    [`${p}self_attn.o_proj.weight`]: [H, heads * D],
    [`${p}self_attn.q_norm.weight`]: [D],
    [`${p}self_attn.k_norm.weight`]: [D],
    [`${p}mlp.gate_proj.weight`]: [I, H],
    [`${p}mlp.up_proj.weight`]: [I, H],
    [`${p}mlp.down_proj.weight`]: [H, I],
  };
}

/** `layers` transformer layers `{prefix}layers.{i}.…` of one attention geometry (Qwen3 stacks and the encoders). */
function layersSpec(
  c: Pick<
    Qwen3Config,
    "hidden_size" | "num_attention_heads" | "num_key_value_heads" | "head_dim" | "intermediate_size"
  >,
  prefix: string,
  layers: number,
): Record<string, number[]> {
  const spec: Record<string, number[]> = {};
  for (let i = 0; i < layers; i++) {
    const p = `${prefix}layers.${i}.`;
    Object.assign(
      spec,
      layerSpec(p, c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.intermediate_size),
    );
  }
  return spec;
}

export function qwen3Spec(c: Qwen3Config, prefix: string, withHead = false): Record<string, number[]> {
  const spec: Record<string, number[]> = {
    [`${prefix}embed_tokens.weight`]: [c.vocab_size, c.hidden_size],
    [`${prefix}norm.weight`]: [c.hidden_size],
  };
  Object.assign(spec, layersSpec(c, prefix, c.num_hidden_layers));
  if (withHead) spec["lm_head.weight"] = [c.vocab_size, c.hidden_size];
  return spec;
}

export function encoderSpec(c: AceStepEncoderConfig, prefix: string, layers: number): Record<string, number[]> {
  const spec: Record<string, number[]> = { [`${prefix}norm.weight`]: [c.hidden_size] };
  Object.assign(spec, layersSpec(c, prefix, layers));
  return spec;
}

export function qwen3Dims(c: Qwen3Config): RefDims & { layers: number } {
  return {
    hidden: c.hidden_size,
    heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads,
    headDim: c.head_dim,
    eps: c.rms_norm_eps,
    theta: c.rope_theta,
    intermediate: c.intermediate_size,
    layers: c.num_hidden_layers,
  };
}

export function encoderDims(c: AceStepEncoderConfig): RefDims {
  return {
    hidden: c.hidden_size,
    heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads,
    headDim: c.head_dim,
    eps: c.rms_norm_eps,
    theta: c.rope_theta,
    intermediate: c.intermediate_size,
  };
}
