// AceStepConfig (config.json of acestep-v15-{turbo,base,sft}) as the DiT-side graph builders read it,
// with the field names of the file. Ports `AceStepConfig` (configuration_acestep_v15.py) and the
// encoder-config derivation of `AceStepConditionGenerationModel.__init__` (modeling_acestep_v15_*.py):
// the condition encoders, the audio tokenizer and the detokenizer run at `encoder_hidden_size` (XL:
// 2048 while the DiT is 2560); the 2B models use `hidden_size` everywhere.
// Layer i of every stack (DiT, lyric, timbre, pooler, detokenizer) is `layer_types[i]`: even →
// "sliding_attention" (|i − j| ≤ sliding_window), odd → "full_attention" in the official files.
import { z } from "zod";
import { parseConfig } from "../../checkpoints/layout/shapes";
import { ditConfigSchema } from "../../checkpoints/layout/dit";
import type { AceStepEncoderConfig } from "../../onnx/encoder-layers";

export { TIMESTEP_SINUSOID_DIM } from "../../checkpoints/layout/dit";
/** `TimestepEmbedding.scale`: the sinusoid is taken of 1000·t. */
export const TIMESTEP_SCALE = 1000;
/** `timestep_embedding(max_period=10000)`. */
export const TIMESTEP_MAX_PERIOD = 10000;

/** The layout schema (server/checkpoints/layout/dit.ts) plus the fields only the graph builders read. */
const schema = ditConfigSchema.extend({
  rms_norm_eps: z.number().positive(),
  rope_theta: z.number().positive(),
  use_sliding_window: z.boolean().default(true),
  sliding_window: z.number().int().positive().nullable(),
  layer_types: z.array(z.string()).optional(),
});
export type AceStepDitConfig = z.infer<typeof schema>;

/** Parse a `config.json` object; throws naming every invalid field. */
export function ditConfigFromJson(raw: unknown): AceStepDitConfig {
  return parseConfig(schema, raw, "DiT");
}

/** Width of the condition encoders, tokenizer and detokenizer (`encoder_hidden_size` or `hidden_size`). */
export function encoderWidth(c: AceStepDitConfig): number {
  return c.encoder_hidden_size ?? c.hidden_size;
}

/** The AceStepEncoderLayer config of the condition encoders / tokenizer / detokenizer (XL: encoder_* fields). */
export function encoderStackConfig(c: AceStepDitConfig): AceStepEncoderConfig {
  return {
    hidden_size: encoderWidth(c),
    intermediate_size: c.encoder_intermediate_size ?? c.intermediate_size,
    num_attention_heads: c.encoder_num_attention_heads ?? c.num_attention_heads,
    num_key_value_heads: c.encoder_num_key_value_heads ?? c.num_key_value_heads,
    head_dim: c.head_dim,
    rms_norm_eps: c.rms_norm_eps,
    rope_theta: c.rope_theta,
    sliding_window: c.use_sliding_window ? c.sliding_window : null,
    layer_types: c.layer_types,
  };
}

/** The DiT's own attention geometry as an encoder-layer config (used for layer types and masks). */
export function ditStackConfig(c: AceStepDitConfig): AceStepEncoderConfig {
  return {
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    num_attention_heads: c.num_attention_heads,
    num_key_value_heads: c.num_key_value_heads,
    head_dim: c.head_dim,
    rms_norm_eps: c.rms_norm_eps,
    rope_theta: c.rope_theta,
    sliding_window: c.use_sliding_window ? c.sliding_window : null,
    layer_types: c.layer_types,
  };
}
