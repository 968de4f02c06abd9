// Tiny official-layout checkpoints with seeded weights, for tests and demos.
export {
  TINY_DIT_BASE_CONFIG,
  TINY_DIT_SFT_CONFIG,
  TINY_DIT_TURBO_CONFIG,
  TINY_LM_17B_CONFIG,
  TINY_LM_4B_CONFIG,
  TINY_LM_CONFIG,
  TINY_TEXT_ENCODER_CONFIG,
  TINY_TEXT_HIDDEN,
  TINY_VAE_CONFIG,
} from "./configs";
export { initTensor, tinySilenceLatent } from "./init";
export { createRng, deriveSeed, type Prng } from "./prng";
export {
  AUDIO_CODE_BASE_ID,
  AUDIO_CODE_COUNT,
  ENDOFTEXT_ID,
  qwen3TokenizerPaths,
  writeTinyTokenizers,
} from "./tokenizers";
export {
  SILENCE_LATENT_FRAMES,
  TINY_FOLDERS,
  type TinyCheckpointDirs,
  type TinyCheckpointOptions,
  type TinyFolder,
  writeTinyCheckpoints,
} from "./write";
