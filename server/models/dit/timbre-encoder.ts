// Timbre encoder graph `timbre_encoder.onnx`. Ports `AceStepTimbreEncoder.forward`
// up to the packed per-reference embedding (modeling_acestep_v15_*.py); the unpacking by
// `refer_audio_order_mask` is host code (condition-pack.ts `unpackTimbre`).
// Weight prefix `encoder.timbre_encoder.`: embed_tokens.{weight,bias} (Linear timbre_hidden_dim→E),
// layers.0..3, norm.weight. `special_token` is stored but unused upstream (its prepend is commented out).
//
//   refer_latents [R,F,64] (VAE latents of the 30 s montage, F = 750; silence_latent[:750] without a reference)
//   ─ embed_tokens ─► [R,F,E] ─ 4 encoder layers (no mask; sliding/full) ─ output at position 0 ─ norm
//   ─► timbre_embeds [R,E]   (one conditioning token per reference clip)
import { aceEncoderLayerStack } from "../../onnx/encoder-layers";
import { seqShape, shapeWith } from "../../onnx/blocks";
import { GraphBuilder, type BuiltModel, type Precision } from "../../onnx/graph";
import type { Weights } from "../../onnx/weights";
import { encoderStackConfig, type AceStepDitConfig } from "./config";

export const TIMBRE_PREFIX = "encoder.timbre_encoder.";

export function buildTimbreEncoder(
  weights: Weights,
  cfg: AceStepDitConfig,
  o: { precision?: Precision } = {},
): BuiltModel {
  const g = new GraphBuilder({ weights, precision: o.precision, name: "timbre_encoder" });
  const ec = encoderStackConfig(cfg);
  const E = ec.hidden_size;
  const C = cfg.timbre_hidden_dim;
  const x = g.input("refer_latents", "float32", ["refs", "frames", C]);
  const emb = g.linear(
    g.reshape(x, [-1, C]),
    `${TIMBRE_PREFIX}embed_tokens.weight`,
    `${TIMBRE_PREFIX}embed_tokens.bias`,
    { in: C, out: E },
  );
  const h = aceEncoderLayerStack(g, g.reshape(emb, shapeWith(g, seqShape(g, x).bs, [E])), ec, {
    prefix: TIMBRE_PREFIX,
    numLayers: cfg.num_timbre_encoder_hidden_layers,
  });
  const first = g.squeeze(g.slice(h, [0], [1], [1]), [1]); // [R,E]; RMSNorm is per token, so slicing first is exact
  g.output("timbre_embeds", g.rmsNorm(first, `${TIMBRE_PREFIX}norm.weight`, ec.rms_norm_eps, E), ["refs", E]);
  return g.finish({ requireAllUsed: [TIMBRE_PREFIX], ignoreUnused: [`${TIMBRE_PREFIX}special_token`] });
}
