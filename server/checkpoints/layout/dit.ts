// Key names and shapes of an ACE-Step 1.5 DiT checkpoint (model.safetensors of
// acestep-v15-{turbo,base,sft}), derived from its config.json. Ports the
// module tree of AceStepConditionGenerationModel (modeling_acestep_v15_*.py):
//   decoder.     AceStepDiTModel: proj_in.1 Conv1d(in_channels->H, k=patch),
//                time_embed{,_r} (256->H->H, time_proj H->6H), condition_embedder,
//                N x AceStepDiTLayer, norm_out, proj_out.1 ConvTranspose1d(H->latent), scale_shift_table [1,2,H]
//   encoder.     text_projector (text->E, no bias), lyric_encoder, timbre_encoder
//   tokenizer.   audio_acoustic_proj, attention_pooler, quantizer (ResidualFSQ projections only)
//   detokenizer. embed_tokens, special_tokens [1,pool,E], layers, norm, proj_out (E->latent)
//   null_condition_emb [1,1,E]
// E = encoder_hidden_size when the config has one (XL), else hidden_size.
import { z } from "zod";
import { attentionKeys, type Layout, mlpKeys, parseConfig, type Shape } from "./shapes";

const int = z.number().int().positive();

export const ditConfigSchema = z.looseObject({
  hidden_size: int,
  intermediate_size: int,
  num_hidden_layers: int,
  num_attention_heads: int,
  num_key_value_heads: int,
  head_dim: int,
  attention_bias: z.boolean().default(false),
  in_channels: int,
  patch_size: int,
  audio_acoustic_hidden_dim: int,
  text_hidden_dim: int,
  timbre_hidden_dim: int,
  num_lyric_encoder_hidden_layers: int,
  num_timbre_encoder_hidden_layers: int,
  num_attention_pooler_hidden_layers: int,
  pool_window_size: int,
  fsq_dim: int,
  fsq_input_levels: z.array(int).min(1),
  encoder_hidden_size: int.nullish(),
  encoder_intermediate_size: int.nullish(),
  encoder_num_attention_heads: int.nullish(),
  encoder_num_key_value_heads: int.nullish(),
});
export type DitConfig = z.infer<typeof ditConfigSchema>;

/** Sinusoid width fed to TimestepEmbedding.linear_1 (hard-coded 256 upstream). */
export const TIMESTEP_SINUSOID_DIM = 256;

export function ditLayout(rawConfig: unknown): Layout {
  const c = parseConfig(ditConfigSchema, rawConfig, "DiT");
  const required = new Map<string, Shape>();
  const add = (k: string, s: Shape) => required.set(k, s);
  const H = c.hidden_size;
  const E = c.encoder_hidden_size ?? H;
  const EI = c.encoder_intermediate_size ?? c.intermediate_size;
  const EH = c.encoder_num_attention_heads ?? c.num_attention_heads;
  const EKV = c.encoder_num_key_value_heads ?? c.num_key_value_heads;
  const hd = c.head_dim;
  const latent = c.audio_acoustic_hidden_dim;
  const linear = (p: string, out: number, inp: number) => (add(`${p}.weight`, [out, inp]), add(`${p}.bias`, [out]));

  // decoder (the DiT proper)
  add("decoder.proj_in.1.weight", [H, c.in_channels, c.patch_size]);
  add("decoder.proj_in.1.bias", [H]);
  for (const te of ["time_embed", "time_embed_r"]) {
    linear(`decoder.${te}.linear_1`, H, TIMESTEP_SINUSOID_DIM);
    linear(`decoder.${te}.linear_2`, H, H);
    linear(`decoder.${te}.time_proj`, 6 * H, H);
  }
  linear("decoder.condition_embedder", H, E);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `decoder.layers.${i}.`;
    add(`${p}self_attn_norm.weight`, [H]);
    attentionKeys(add, `${p}self_attn.`, H, c.num_attention_heads, c.num_key_value_heads, hd, c.attention_bias);
    add(`${p}cross_attn_norm.weight`, [H]);
    attentionKeys(add, `${p}cross_attn.`, H, c.num_attention_heads, c.num_key_value_heads, hd, c.attention_bias);
    add(`${p}mlp_norm.weight`, [H]);
    mlpKeys(add, `${p}mlp.`, H, c.intermediate_size);
    add(`${p}scale_shift_table`, [1, 6, H]);
  }
  add("decoder.norm_out.weight", [H]);
  add("decoder.proj_out.1.weight", [H, latent, c.patch_size]);
  add("decoder.proj_out.1.bias", [latent]);
  add("decoder.scale_shift_table", [1, 2, H]);

  // encoder-layer stacks (AceStepEncoderLayer) share one key pattern
  const stack = (p: string, layers: number) => {
    for (let i = 0; i < layers; i++) {
      const q = `${p}layers.${i}.`;
      attentionKeys(add, `${q}self_attn.`, E, EH, EKV, hd, c.attention_bias);
      add(`${q}input_layernorm.weight`, [E]);
      add(`${q}post_attention_layernorm.weight`, [E]);
      mlpKeys(add, `${q}mlp.`, E, EI);
    }
    add(`${p}norm.weight`, [E]);
  };

  // condition encoder
  add("encoder.text_projector.weight", [E, c.text_hidden_dim]);
  linear("encoder.lyric_encoder.embed_tokens", E, c.text_hidden_dim);
  stack("encoder.lyric_encoder.", c.num_lyric_encoder_hidden_layers);
  linear("encoder.timbre_encoder.embed_tokens", E, c.timbre_hidden_dim);
  add("encoder.timbre_encoder.special_token", [1, 1, E]);
  stack("encoder.timbre_encoder.", c.num_timbre_encoder_hidden_layers);

  // audio tokenizer (25 Hz latents -> 5 Hz FSQ codes)
  linear("tokenizer.audio_acoustic_proj", E, latent);
  linear("tokenizer.attention_pooler.embed_tokens", E, E);
  add("tokenizer.attention_pooler.special_token", [1, 1, E]);
  stack("tokenizer.attention_pooler.", c.num_attention_pooler_hidden_layers);
  const codeDim = c.fsq_input_levels.length;
  linear("tokenizer.quantizer.project_in", codeDim, c.fsq_dim);
  linear("tokenizer.quantizer.project_out", c.fsq_dim, codeDim);

  // detokenizer (5 Hz -> 25 Hz hints)
  linear("detokenizer.embed_tokens", E, E);
  add("detokenizer.special_tokens", [1, c.pool_window_size, E]);
  stack("detokenizer.", c.num_attention_pooler_hidden_layers);
  linear("detokenizer.proj_out", latent, E);

  add("null_condition_emb", [1, 1, E]);
  return { required, optional: new Map() };
}
