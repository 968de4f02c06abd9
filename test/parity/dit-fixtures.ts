// Tiny ACE-Step DiT checkpoint for the DiT / condition / tokenizer parity tests: the official config with
// small widths (hidden 64, 4/2 heads × 16, MLP 96, 4 DiT layers alternating sliding/full with window 3,
// latent 8), weights seeded-random in the official key layout of server/checkpoints/layout/dit.ts.
import { OFFICIAL_DIT_TURBO_CONFIG } from "../../server/checkpoints/layout/official-configs";
import { ditLayout } from "../../server/checkpoints/layout/dit";
import { ditConfigFromJson, encoderStackConfig, type AceStepDitConfig } from "../../server/models/dit/config";
import type { MemoryWeights } from "../../server/onnx/weights";
import type { DitRefConfig } from "./reference/dit";
import type { RefDims } from "./reference/transformer";
import { randomWeights } from "./helpers";

const layerTypes = (n: number) =>
  Array.from({ length: n }, (_, i) => (i % 2 === 0 ? "sliding_attention" : "full_attention"));
const LATENT = 8;

export const tinyDitJson = {
  ...OFFICIAL_DIT_TURBO_CONFIG,
  hidden_size: 64,
  intermediate_size: 96,
  num_hidden_layers: 4,
  num_audio_decoder_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  sliding_window: 3,
  layer_types: layerTypes(4),
  audio_acoustic_hidden_dim: LATENT,
  timbre_hidden_dim: LATENT,
  in_channels: 3 * LATENT,
  text_hidden_dim: 24,
  num_lyric_encoder_hidden_layers: 3,
  num_timbre_encoder_hidden_layers: 2,
  num_attention_pooler_hidden_layers: 2,
  fsq_dim: 64,
};

export const tinyDit: AceStepDitConfig = ditConfigFromJson(tinyDitJson);

/** Every key of the tiny checkpoint with its shape, from the shared layout. */
export function tinyDitSpec(cfg: unknown = tinyDitJson): Record<string, number[]> {
  return Object.fromEntries(ditLayout(cfg).required);
}

let cached: MemoryWeights | undefined;
/** Seeded random weights for the whole tiny checkpoint (decoder, encoder, tokenizer, detokenizer, null condition). */
export function tinyDitWeights(): MemoryWeights {
  return (cached ??= scaleConvWeights(randomWeights(tinyDitSpec(), 1234)));
}

/** randomWeights takes the fan-in of a conv weight [out, in, k] as k (= 2): scale patchify/unpatchify to ~1/√fan-in. */
export function scaleConvWeights(w: MemoryWeights): MemoryWeights {
  for (const k of ["decoder.proj_in.1.weight", "decoder.proj_out.1.weight"]) {
    if (w.has(k)) w.get(k).data.forEach((x, i, a) => (a[i] = x * 0.25));
  }
  return w;
}

export function ditRefConfig(c: AceStepDitConfig = tinyDit): DitRefConfig {
  return {
    hidden: c.hidden_size,
    heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads,
    headDim: c.head_dim,
    intermediate: c.intermediate_size,
    eps: c.rms_norm_eps,
    theta: c.rope_theta,
    layers: c.num_hidden_layers,
    layerTypes: c.layer_types ?? layerTypes(c.num_hidden_layers),
    window: c.use_sliding_window ? c.sliding_window : null,
    patch: c.patch_size,
    latent: c.audio_acoustic_hidden_dim,
    context: c.in_channels - c.audio_acoustic_hidden_dim,
    condition: c.encoder_hidden_size ?? c.hidden_size,
  };
}

/** RefDims of the encoder-layer stacks (lyric, timbre, pooler, detokenizer). */
export function encoderRefDims(c: AceStepDitConfig = tinyDit): RefDims {
  const e = encoderStackConfig(c);
  return {
    hidden: e.hidden_size,
    heads: e.num_attention_heads,
    kvHeads: e.num_key_value_heads,
    headDim: e.head_dim,
    eps: e.rms_norm_eps,
    theta: e.rope_theta,
    intermediate: e.intermediate_size,
  };
}

export const stackLayerTypes = (n: number) => (tinyDit.layer_types ?? layerTypes(n)).slice(0, n);
