// config.json of each tiny component: the official configs with small widths
// and depths, keeping every structural fact (latent 64 ch, patch 2, in_channels
// 192, FSQ levels, pool window 5, sliding window 128 with alternating
// layer_types, rope theta 1e6, hop 1920, real vocabulary sizes).
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

const layerTypes = (n: number) =>
  Array.from({ length: n }, (_, i) => (i % 2 === 0 ? "sliding_attention" : "full_attention"));

/** Width of the tiny Qwen3 text encoder, which is also the DiT's text_hidden_dim. */
export const TINY_TEXT_HIDDEN = 32;

const tinyDit = {
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_audio_decoder_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  layer_types: layerTypes(2),
  text_hidden_dim: TINY_TEXT_HIDDEN,
  // upstream encoder stacks index layer_types by layer and run at most
  // num_hidden_layers layers, so they stay <= num_hidden_layers here
  num_lyric_encoder_hidden_layers: 2,
  num_timbre_encoder_hidden_layers: 2,
  num_attention_pooler_hidden_layers: 2,
  fsq_dim: 64,
};

export const TINY_DIT_TURBO_CONFIG = { ...OFFICIAL_DIT_TURBO_CONFIG, ...tinyDit };
export const TINY_DIT_BASE_CONFIG = { ...OFFICIAL_DIT_BASE_CONFIG, ...tinyDit };
export const TINY_DIT_SFT_CONFIG = { ...OFFICIAL_DIT_SFT_CONFIG, ...tinyDit };

/** Same strides (hop 1920) and latent size; encoder_hidden_size must stay 2 x 64 (mean + scale), widths flattened. */
export const TINY_VAE_CONFIG = {
  ...OFFICIAL_VAE_CONFIG,
  channel_multiples: [1, 1, 1, 1, 1],
  decoder_channels: 16,
};

const tinyQwen3 = {
  hidden_size: TINY_TEXT_HIDDEN,
  intermediate_size: 64,
  num_hidden_layers: 2,
  max_window_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
};

export const TINY_TEXT_ENCODER_CONFIG = { ...OFFICIAL_TEXT_ENCODER_CONFIG, ...tinyQwen3 };
export const TINY_LM_CONFIG = { ...OFFICIAL_LM_06B_CONFIG, ...tinyQwen3 };

// The 1.7B- and 4B-shaped LMs shrink the official widths by the same factors as the 0.6B one (hidden / 32,
// intermediate / 48 rounded to even, heads and KV heads / 4, head_dim / 8, layers / 14 rounded), so their relations to each
// other stay real: 1.7B is twice as wide as 0.6B with heads × head_dim = hidden, 4B is 2.5× as wide with more
// query heads than hidden / head_dim (4 query heads per KV head) and more layers.
export const TINY_LM_17B_CONFIG = {
  ...OFFICIAL_LM_17B_CONFIG,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  max_window_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
};
export const TINY_LM_4B_CONFIG = {
  ...OFFICIAL_LM_4B_CONFIG,
  hidden_size: 80,
  intermediate_size: 204,
  num_hidden_layers: 3,
  max_window_layers: 3,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  head_dim: 16,
};
