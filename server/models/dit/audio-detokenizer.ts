// Audio detokenizer graph `audio_detokenizer.onnx`: 5 Hz FSQ codes → 25 Hz "LM hints".
// Ports `ResidualFSQ.get_output_from_indices` + `AudioTokenDetokenizer.forward` (modeling_acestep_v15_*.py).
// Weights: `tokenizer.quantizer.project_out.{weight,bias}` (6→E) and prefix `detokenizer.`:
// embed_tokens.{weight,bias} (E→E), special_tokens [1,5,E], layers.0..1, norm.weight, proj_out.{weight,bias} (E→64).
//
//   indices [B,T5] int64 ─ FSQ decode (fsq-graph.ts) ─ project_out ─► quantized [B·T5,E]
//   ─ embed_tokens ─ repeat ×5 + special_tokens ─► [B·T5,5,E] ─ 2 encoder layers (RoPE 0..4, no mask)
//   ─ norm ─ proj_out ─► lm_hints_25hz [B,5·T5,64]
// The same hints come from `detokenize(quantized)` of the tokenizer (cover from audio): quantized is
// project_out of the same level values.
import { aceEncoderLayerStack } from "../../onnx/encoder-layers";
import { GraphBuilder, type BuiltModel, type Precision } from "../../onnx/graph";
import type { Weights } from "../../onnx/weights";
import { encoderStackConfig, type AceStepDitConfig } from "./config";
import { fsqDequantize } from "./fsq-graph";

export const DETOKENIZER_PREFIX = "detokenizer.";

export function buildAudioDetokenizer(
  weights: Weights,
  cfg: AceStepDitConfig,
  o: { precision?: Precision } = {},
): BuiltModel {
  const g = new GraphBuilder({ weights, precision: o.precision, name: "audio_detokenizer" });
  const ec = encoderStackConfig(cfg);
  const E = ec.hidden_size;
  const P = cfg.pool_window_size;
  const C = cfg.audio_acoustic_hidden_dim;
  const d = cfg.fsq_input_levels.length;
  const dp = DETOKENIZER_PREFIX;
  const indices = g.input("indices", "int64", ["batch", "codes"]);
  const values = fsqDequantize(g, g.reshape(indices, [-1]), cfg.fsq_input_levels); // [N,6]
  const quantized = g.linear(values, "tokenizer.quantizer.project_out.weight", "tokenizer.quantizer.project_out.bias", {
    in: d,
    out: cfg.fsq_dim,
  });
  const emb = g.linear(quantized, `${dp}embed_tokens.weight`, `${dp}embed_tokens.bias`, { in: cfg.fsq_dim, out: E }); // [N,E]
  const x = g.add(g.unsqueeze(emb, [1]), g.param(`${dp}special_tokens`, { shape: [1, P, E] })); // [N,P,E]
  const h = aceEncoderLayerStack(g, x, ec, { prefix: dp, numLayers: cfg.num_attention_pooler_hidden_layers });
  const y = g.linear(
    g.rmsNorm(g.reshape(h, [-1, E]), `${dp}norm.weight`, ec.rms_norm_eps, E),
    `${dp}proj_out.weight`,
    `${dp}proj_out.bias`,
    { in: E, out: C },
  );
  g.output("lm_hints_25hz", g.reshape(y, g.concat([g.shape(indices, 0, 1), g.constI64([-1, C])], 0)), [
    "batch",
    "frames",
    C,
  ]);
  return g.finish({ requireAllUsed: [dp, "tokenizer.quantizer.project_out."] });
}
