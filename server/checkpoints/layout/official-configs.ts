// config.json contents of the official checkpoints, as published in the
// Hugging Face repository ACE-Step/Ace-Step1.5 (acestep-v15-*/config.json, vae/config.json,
// Qwen3-Embedding-0.6B/config.json, acestep-5Hz-lm-*/config.json). Field names
// follow the real files; values marked UNCONFIRMED there are noted inline.
// The tiny writer derives its small configs from these by shrinking widths.

const layerTypes = (n: number) =>
  Array.from({ length: n }, (_, i) => (i % 2 === 0 ? "sliding_attention" : "full_attention"));

/** acestep-v15-turbo/config.json (AceStepConfig) */
export const OFFICIAL_DIT_TURBO_CONFIG = {
  architectures: ["AceStepConditionGenerationModel"],
  model_type: "acestep",
  torch_dtype: "bfloat16", // on-disk dtype UNCONFIRMED (most likely bf16)
  model_version: "turbo",
  is_turbo: true,
  hidden_size: 2048,
  intermediate_size: 6144,
  num_hidden_layers: 24,
  num_audio_decoder_hidden_layers: 24,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  hidden_act: "silu",
  rms_norm_eps: 1e-6,
  rope_theta: 1_000_000,
  rope_scaling: null,
  max_position_embeddings: 32768,
  attention_bias: false,
  attention_dropout: 0.0,
  initializer_range: 0.02,
  use_cache: true,
  use_sliding_window: true,
  sliding_window: 128,
  layer_types: layerTypes(24),
  patch_size: 2,
  in_channels: 192,
  audio_acoustic_hidden_dim: 64,
  text_hidden_dim: 1024,
  num_lyric_encoder_hidden_layers: 8,
  timbre_hidden_dim: 64,
  num_timbre_encoder_hidden_layers: 4,
  timbre_fix_frame: 750,
  pool_window_size: 5,
  num_attention_pooler_hidden_layers: 2,
  fsq_dim: 2048,
  fsq_input_levels: [8, 8, 8, 5, 5, 5],
  fsq_input_num_quantizers: 1,
  vocab_size: 64003,
  timestep_mu: -0.4,
  timestep_sigma: 1.0,
  data_proportion: 0.5,
};

/** acestep-v15-base/config.json: same as turbo apart from these (literals UNCONFIRMED) */
export const OFFICIAL_DIT_BASE_CONFIG = { ...OFFICIAL_DIT_TURBO_CONFIG, model_version: "base", is_turbo: false };

/** acestep-v15-sft/config.json: the base architecture fine-tuned (upstream acestep/model_downloader.py maps it to
 * the "sft" model code, which shares base's layout); literals UNCONFIRMED */
export const OFFICIAL_DIT_SFT_CONFIG = { ...OFFICIAL_DIT_TURBO_CONFIG, model_version: "sft", is_turbo: false };

/** vae/config.json (diffusers AutoencoderOobleck) */
export const OFFICIAL_VAE_CONFIG = {
  _class_name: "AutoencoderOobleck",
  _diffusers_version: "0.34.0",
  audio_channels: 2,
  sampling_rate: 48000,
  encoder_hidden_size: 128,
  decoder_input_channels: 64,
  decoder_channels: 128,
  channel_multiples: [1, 2, 4, 8, 16],
  downsampling_ratios: [2, 4, 4, 6, 10],
};

const qwen3Common = {
  model_type: "qwen3",
  hidden_act: "silu",
  attention_bias: false,
  attention_dropout: 0.0,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  rope_theta: 1_000_000,
  rope_scaling: null,
  use_cache: true,
  use_sliding_window: false,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  bos_token_id: 151643,
};

/** Qwen3-Embedding-0.6B/config.json (architectures / eos literal UNCONFIRMED) */
export const OFFICIAL_TEXT_ENCODER_CONFIG = {
  ...qwen3Common,
  architectures: ["Qwen3ForCausalLM"],
  eos_token_id: 151643,
  vocab_size: 151669,
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  max_window_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  max_position_embeddings: 32768,
};

/** acestep-5Hz-lm-0.6B/config.json (max_position_embeddings UNCONFIRMED: Qwen3-0.6B's 40960) */
export const OFFICIAL_LM_06B_CONFIG = {
  ...qwen3Common,
  architectures: ["Qwen3ForCausalLM"],
  eos_token_id: 151645,
  vocab_size: 217204,
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  max_window_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  max_position_embeddings: 40960,
};

/** acestep-5Hz-lm-1.7B/config.json: Qwen3-1.7B widths (ComfyUI comfy/text_encoders/llama.py Qwen3_2B_ACE15_lm_Config) */
export const OFFICIAL_LM_17B_CONFIG = {
  ...OFFICIAL_LM_06B_CONFIG,
  hidden_size: 2048,
  intermediate_size: 6144,
  num_hidden_layers: 28,
  max_window_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
};

/** acestep-5Hz-lm-4B/config.json: Qwen3-4B widths (ComfyUI comfy/text_encoders/llama.py Qwen3_4B_ACE15_lm_Config) */
export const OFFICIAL_LM_4B_CONFIG = {
  ...OFFICIAL_LM_06B_CONFIG,
  hidden_size: 2560,
  intermediate_size: 9728,
  num_hidden_layers: 36,
  max_window_layers: 36,
  num_attention_heads: 32,
  num_key_value_heads: 8,
};
